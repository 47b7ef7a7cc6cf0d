"""Units and procedures over the API."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import FieldFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db


def test_unit_detail_subtree_and_tree(tree, users, client_for):
    client = client_for(users["supervisor_p1"])
    detail = client.get("/api/v1/units/P1.100/").json()
    assert detail == {
        "code": "P1.100",
        "name": "Unit P1.100",
        "kind": "commune",
        "kind_name": "Xã, phường, đặc khu",
        "parent": "P1",
        "depth": 1,
        "path": "P1/P1.100/",
        "is_active": True,
        "offers_electronic_certified_copy": False,
        "area_type": "",  # urban / rural / disadvantaged; empty: as the parent unit
    }
    subtree = client.get("/api/v1/units/P1/subtree/?kind=commune").json()
    assert [u["code"] for u in subtree["results"]] == ["P1.100", "P1.101"]
    nested = client.get("/api/v1/units/P1/tree/").json()
    assert nested["code"] == "P1"
    assert sorted(c["code"] for c in nested["children"]) == ["P1.01", "P1.100", "P1.101"]
    assert client.get("/api/v1/units/?parent=P1&q=P1.10").json()["count"] == 2


def test_subtree_is_one_query(tree, users, client_for, django_assert_max_num_queries):
    client = client_for(users["supervisor_p1"])
    with django_assert_max_num_queries(4):  # user's unit, the unit, count, page
        client.get("/api/v1/units/P1/tree/")


@pytest.fixture
def catalogue(db):
    land = FieldFactory(code="LAND", name="Land")
    civil = FieldFactory(code="CIVIL", name="Civil status")
    old = ProcedureVersionFactory(
        valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2025, 12, 31), time_limit=Decimal(10), field=land
    )
    ProcedureVersionFactory(
        procedure=old.procedure,
        valid_from=dt.date(2026, 1, 1),
        time_limit=Decimal(5),
        field=land,
        name="Land v2",
    )
    ProcedureVersionFactory(field=civil, name="Birth registration", level="commune", online_level="full")
    return old.procedure


def test_procedure_list_shows_the_version_in_force(catalogue, users, client_for):
    client = client_for(users["clerk_c1"])
    current = {p["code"]: p["current"] for p in client.get("/api/v1/procedures/").json()["results"]}
    assert current[catalogue.code]["time_limit"] == "5.00"
    past = {
        p["code"]: p["current"] for p in client.get("/api/v1/procedures/?on=2025-06-01").json()["results"]
    }
    assert past[catalogue.code]["time_limit"] == "10.00"


def test_procedure_filters_and_detail(catalogue, users, client_for):
    client = client_for(users["clerk_c1"])
    assert [p["code"] for p in client.get("/api/v1/procedures/?field=CIVIL").json()["results"]] != []
    land = client.get("/api/v1/procedures/?field=LAND").json()["results"]
    assert [p["code"] for p in land] == [catalogue.code]
    assert client.get("/api/v1/procedures/?q=Birth").json()["count"] == 1
    assert client.get("/api/v1/procedures/?online_level=full").json()["count"] == 1
    detail = client.get(f"/api/v1/procedures/{catalogue.code}/").json()
    assert [v["valid_from"] for v in detail["versions"]] == ["2026-01-01", "2024-01-01"]
    bad = client.get("/api/v1/procedures/?on=someday")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "on"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("dang ky khai sinh", True),  # no diacritics, no case
        ("ĐĂNG KÝ", True),
        ("khai tu", False),
        ("1.99", True),  # code prefix
        ("2.", False),
    ],
)
def test_procedure_search_ignores_diacritics_like_the_counter(db, users, client_for, q, found):
    from apps.catalogue.models import Procedure

    ProcedureVersionFactory(procedure=Procedure.objects.create(code="1.990001"), name="Đăng ký khai sinh")
    response = client_for(users["clerk_c1"]).get("/api/v1/procedures/", {"q": q})
    assert response.status_code == 200
    assert ([p["code"] for p in response.json()["results"]] == ["1.990001"]) is found
