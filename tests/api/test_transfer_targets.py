"""``GET /dossiers/{code}/transfer-targets/``: the units ``assign`` accepts, from the same routing function.

The list must agree with ``POST …/assign/`` unit by unit (every listed unit is accepted, every unit
left out is refused), stay inside the dossier's scope (another unit's dossier is 404) and page and
filter like the unit list.
"""

import pytest
from rest_framework.test import APIClient

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.actions import transfer_targets
from apps.integrations.services.clients import create_client, issue_key
from apps.organisation.models import Unit, UnitKind
from tests.factories import UnitFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")


@pytest.fixture
def dossier(calendar, tree, procedure):
    """Received at commune P1.100 and handled there."""
    return services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, 20, 9)
    )


def url(dossier, query: str = "") -> str:
    return f"/api/v1/dossiers/{dossier.code}/transfer-targets/{query}"


def listed(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [unit["code"] for unit in response.json()["results"]]


def test_a_clerk_lists_the_province_units_but_not_its_own_handling_unit_nor_another_province(
    dossier, users, client_for
):
    codes = listed(client_for(users["clerk_c1"]).get(url(dossier)))
    assert codes == ["P1", "P1.01", "P1.101"]  # by path; P1.100 handles it already; P2 never


def test_the_list_is_exactly_what_assign_accepts(dossier, tree, users, client_for):
    clerk = client_for(users["clerk_c1"])
    offered = set(listed(clerk.get(url(dossier))))
    for unit in Unit.objects.exclude(pk=dossier.handling_unit_id).order_by("path"):
        dossier.refresh_from_db()
        answer = clerk.post(f"/api/v1/dossiers/{dossier.code}/assign/", {"handling_unit": unit.code})
        assert (answer.status_code == 200) == (unit.code in offered), (unit.code, answer.json())
        if answer.status_code == 200:  # hand it back so the next unit is tried from the same place
            services.assign_handling_unit(dossier, tree["c1"], actor=SYSTEM)


def test_the_endpoint_and_the_console_read_the_same_function(dossier, users, client_for):
    clerk = users["clerk_c1"]
    assert listed(client_for(clerk).get(url(dossier))) == [u.code for u in transfer_targets(clerk, dossier)]


def test_inactive_units_are_not_offered(dossier, tree, users, client_for):
    UnitFactory(code="P1.102", kind=UnitKind.COMMUNE, parent=tree["p1"], is_active=False)
    assert "P1.102" not in listed(client_for(users["clerk_c1"]).get(url(dossier)))


def test_another_units_dossier_is_404_and_a_reader_is_403(dossier, users, client_for):
    assert client_for(users["clerk_c3"]).get(url(dossier)).status_code == 404  # another province
    assert client_for(users["clerk_c2"]).get(url(dossier)).status_code == 404  # a sibling commune
    refused = client_for(users["supervisor_p1"]).get(url(dossier))
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_filters_narrow_and_pages_cover_every_target_once(dossier, tree, users, client_for):
    for n in range(7):
        UnitFactory(code=f"P1.2{n:02d}", kind=UnitKind.COMMUNE, parent=tree["p1"], name=f"Xã số {n}")
    admin = client_for(users["admin_p1"])
    everything = listed(admin.get(url(dossier, "?page_size=100")))
    seen, link = [], url(dossier, "?page_size=3")
    while link:
        body = admin.get(link).json()
        assert len(body["results"]) <= 3
        seen += [unit["code"] for unit in body["results"]]
        link = body["next"]
    assert seen == everything and len(set(seen)) == len(seen) == 10
    assert listed(admin.get(url(dossier, "?kind=department"))) == ["P1.01"]
    assert listed(admin.get(url(dossier, "?q=P1.20"))) == [f"P1.20{n}" for n in range(7)]
    assert listed(admin.get(url(dossier, "?parent=P2"))) == []  # a filter never widens the rule


def test_bad_filters_answer_400(dossier, users, client_for):
    clerk = client_for(users["clerk_c1"])
    unknown = clerk.get(url(dossier, "?status=2"))
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_parameter"
    bad_kind = clerk.get(url(dossier, "?kind=planet"))
    assert bad_kind.status_code == 400 and bad_kind.json()["code"] == "validation_error"
    assert [error["field"] for error in bad_kind.json()["errors"]] == ["kind"]


def test_a_machine_client_with_write_scope_lists_targets(dossier, tree):
    client = create_client(name="onestop", unit=tree["p1"], scopes=["write_dossiers", "read_dossiers"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {issue_key(client)[1]}")
    assert listed(api.get(url(dossier))) == ["P1", "P1.01", "P1.101"]


def test_the_query_count_does_not_grow_with_the_units(
    dossier, tree, users, client_for, django_assert_max_num_queries
):
    for n in range(20):
        UnitFactory(code=f"P1.3{n:02d}", kind=UnitKind.COMMUNE, parent=tree["p1"])
    clerk = client_for(users["clerk_c1"])
    with django_assert_max_num_queries(5):
        assert len(listed(clerk.get(url(dossier, "?page_size=50")))) == 23


def test_assign_refuses_an_ended_dossier_as_the_console_does(dossier, tree, users, client_for):
    """One rule (status.check_transferable): the console stops offering the transfer and the API
    answers 409 naming the status, with nothing changed."""
    from apps.dossiers.actions import allowed_actions

    clerk = users["clerk_c1"]
    finished = services.finish(dossier, actor=SYSTEM, at=vn(2026, 11, 21, 9))
    assert "assign" not in {a.code for a in allowed_actions(clerk, finished)}
    answer = client_for(clerk).post(f"/api/v1/dossiers/{dossier.code}/assign/", {"handling_unit": "P1.01"})
    assert answer.status_code == 409, answer.json()
    body = answer.json()
    assert body["code"] == "illegal_transition" and body["message"]
    assert {"field": "status", "code": "illegal_transition"} in [
        {"field": e["field"], "code": e["code"]} for e in body["errors"]
    ]
    finished.refresh_from_db()
    assert finished.handling_unit == tree["c1"]
