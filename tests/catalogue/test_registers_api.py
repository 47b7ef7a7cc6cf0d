"""The online-offering and publication-decision registers: rules, API, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.catalogue.models import CONTENT_PARTS, OnlineOffering, PublicationDecision
from apps.catalogue.registers import decision_problems, disclosure_problems, offering_problems
from tests.factories import OnlineOfferingFactory, ProcedureVersionFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def procedures(db):
    return {
        "full": ProcedureVersionFactory(online_level="full").procedure,
        "partial": ProcedureVersionFactory(online_level="partial").procedure,
        "offline": ProcedureVersionFactory(online_level="none").procedure,
    }


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


# ---- rules --------------------------------------------------------------------------------------

OFFERING_CASES = [
    pytest.param("full", "full", D(2025, 1, 1), None, {}, id="full where the catalogue allows full"),
    pytest.param("full", "partial", D(2025, 1, 1), None, {}, id="partial where full is allowed"),
    pytest.param("partial", "full", D(2025, 1, 1), None, {"level": "level_above_catalogue"}, id="above"),
    pytest.param(
        "offline", "partial", D(2025, 1, 1), None, {"procedure": "not_offered_online"}, id="offline"
    ),
    pytest.param("full", "full", D(2023, 6, 1), None, {"procedure": "no_procedure_version"}, id="before v1"),
    pytest.param("full", "full", D(2025, 2, 1), D(2025, 1, 1), {"valid_to": "before_start"}, id="ends first"),
]


@pytest.mark.parametrize(("which", "level", "start", "end", "expected"), OFFERING_CASES)
def test_offering_rules(tree, procedures, which, level, start, end, expected):
    problems = offering_problems(
        unit=tree["c1"], procedure=procedures[which], level=level, valid_from=start, valid_to=end
    )
    assert {field: code for field, (code, _m) in problems.items()} == expected


@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (D(2025, 6, 1), None, True),  # open-ended meets the existing one
        (D(2024, 1, 1), D(2024, 12, 31), False),  # ends the day before it starts
        (D(2024, 1, 1), D(2025, 1, 1), True),  # shares its first day
        (D(2026, 1, 1), D(2026, 2, 1), False),  # after the existing one ended
    ],
)
def test_offerings_of_a_unit_and_procedure_do_not_overlap(tree, procedures, start, end, overlaps):
    OnlineOfferingFactory(
        unit=tree["c1"], procedure=procedures["full"], valid_from=D(2025, 1, 1), valid_to=D(2025, 12, 31)
    )
    problems = offering_problems(
        unit=tree["c1"], procedure=procedures["full"], level="full", valid_from=start, valid_to=end
    )
    assert ("valid_from" in problems) is overlaps
    other_unit = offering_problems(
        unit=tree["c2"], procedure=procedures["full"], level="full", valid_from=start, valid_to=end
    )
    assert other_unit == {}


@pytest.mark.parametrize(
    ("authority", "decided", "expected"),
    [
        ("p1", D(2026, 3, 2), {}),
        ("c1", D(2026, 3, 2), {"authority": "not_an_issuing_authority"}),
        ("dept", D(2026, 3, 2), {"authority": "not_an_issuing_authority"}),
        ("p1", D(2026, 12, 1), {"decided_on": "in_future"}),
    ],
)
def test_decision_rules(tree, authority, decided, expected):
    problems = decision_problems(authority=tree[authority], decided_on=decided, today=D(2026, 11, 23))
    assert {field: code for field, (code, _m) in problems.items()} == expected


@pytest.mark.parametrize(
    ("disclosed", "expected"),
    [
        (None, {}),
        (D(2026, 3, 2), {}),
        (D(2026, 3, 1), {"disclosed_on": "before_decision"}),
        (D(2026, 12, 1), {"disclosed_on": "in_future"}),
    ],
)
def test_disclosure_rules(disclosed, expected):
    problems = disclosure_problems(decided_on=D(2026, 3, 2), disclosed_on=disclosed, today=D(2026, 11, 23))
    assert {field: code for field, (code, _m) in problems.items()} == expected


# ---- offerings over the API ---------------------------------------------------------------------


def test_an_administrator_records_lists_and_ends_an_offering(admin, procedures):
    body = {
        "unit": "P1.100",
        "procedure": procedures["full"].code,
        "level": "full",
        "valid_from": "2025-01-01",
    }
    created = admin.post("/api/v1/online-offerings/", body, format="json")
    assert created.status_code == 201, created.content
    offering = created.json()
    assert offering == {**body, "id": offering["id"], "valid_to": None}

    listed = admin.get(f"/api/v1/online-offerings/?within=P1&procedure={procedures['full'].code}").json()
    assert [row["id"] for row in listed["results"]] == [offering["id"]]
    assert admin.get("/api/v1/online-offerings/?on=2024-06-01").json()["results"] == []

    ended = admin.patch(
        f"/api/v1/online-offerings/{offering['id']}/", {"valid_to": "2026-06-30"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2026-06-30"
    assert admin.get("/api/v1/online-offerings/?on=2026-07-01").json()["results"] == []
    again = admin.post(
        "/api/v1/online-offerings/", {**body, "valid_from": "2026-07-01", "level": "partial"}, format="json"
    )
    assert again.status_code == 201, again.content


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"unit": "P2.100"}, "unit", "unknown_unit"),  # another province: invisible, not "forbidden"
        ({"unit": "NOPE"}, "unit", "unknown_unit"),
        ({"procedure": "9.999999"}, "procedure", "unknown_procedure"),
        ({"level": "none"}, "level", "invalid_choice"),
        ({"valid_from": "2025-02-30"}, "valid_from", "invalid"),
        ({"valid_to": "2024-12-31"}, "valid_to", "before_start"),
    ],
)
def test_bad_offerings_are_refused_with_the_field(admin, procedures, change, field, code):
    body = {
        "unit": "P1.100",
        "procedure": procedures["full"].code,
        "level": "full",
        "valid_from": "2025-01-01",
    }
    response = admin.post("/api/v1/online-offerings/", {**body, **change}, format="json")
    assert response.status_code == 400, response.content
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]
    assert not OnlineOffering.objects.exists()


@pytest.mark.parametrize(
    ("user", "status"),
    [("admin_p1", 201), ("supervisor_p1", 403), ("clerk_c1", 403), ("officer_dept", 403), ("superuser", 201)],
)
def test_who_records_offerings(users, client_for, procedures, user, status):
    actor = UserFactory(username="root", is_superuser=True) if user == "superuser" else users[user]
    body = {
        "unit": "P1.01" if user == "officer_dept" else "P1.100",  # a unit the user sees
        "procedure": procedures["partial"].code,
        "level": "partial",
        "valid_from": "2025-01-01",
    }
    response = client_for(actor).post("/api/v1/online-offerings/", body, format="json")
    assert response.status_code == status, response.content
    assert OnlineOffering.objects.exists() is (status == 201)


def test_offerings_are_read_within_scope(tree, users, client_for, procedures):
    OnlineOfferingFactory(unit=tree["c1"], procedure=procedures["full"])
    OnlineOfferingFactory(unit=tree["c3"], procedure=procedures["full"])
    seen = client_for(users["clerk_c3"]).get("/api/v1/online-offerings/").json()["results"]
    assert [row["unit"] for row in seen] == ["P2.100"]
    p1_offering = OnlineOffering.objects.get(unit=tree["c1"])
    assert client_for(users["clerk_c3"]).get(f"/api/v1/online-offerings/{p1_offering.pk}/").status_code == 404


# ---- publication decisions over the API ---------------------------------------------------------


def _decision(procedures, **change):
    return {
        "authority": "P1",
        "number": "123/QĐ-UBND",
        "decided_on": "2026-03-02",
        "effective_on": "2026-03-16",
        "items": [
            {
                "procedure": procedures["full"].code,
                "disclosed_on": "2026-03-05",
                "published_parts": list(CONTENT_PARTS),
            },
            {"procedure": procedures["offline"].code, "published_parts": ["agency", "name"]},
        ],
        **change,
    }


def test_an_administrator_records_a_decision_and_its_disclosures(admin, procedures):
    created = admin.post("/api/v1/publication-decisions/", _decision(procedures), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["authority"], body["number"]) == ("P1", "123/QĐ-UBND")
    items = {item["procedure"]: item for item in body["items"]}
    assert items[procedures["offline"].code] == {
        "procedure": procedures["offline"].code,
        "disclosed_on": None,
        "published_parts": ["name", "agency"],  # canonical order
        "content_complete": False,
    }
    disclosed = admin.patch(
        f"/api/v1/publication-decisions/{body['id']}/",
        {
            "items": [
                {
                    "procedure": procedures["offline"].code,
                    "disclosed_on": "2026-03-12",
                    "published_parts": list(CONTENT_PARTS),
                }
            ]
        },
        format="json",
    )
    assert disclosed.status_code == 200, disclosed.content
    items = {item["procedure"]: item for item in disclosed.json()["items"]}
    assert items[procedures["offline"].code]["disclosed_on"] == "2026-03-12"
    assert items[procedures["full"].code]["disclosed_on"] == "2026-03-05"  # untouched
    later = admin.patch(
        f"/api/v1/publication-decisions/{body['id']}/", {"decided_on": "2026-03-10"}, format="json"
    )
    assert later.status_code == 400 and later.json()["errors"][0]["code"] == "after_disclosure"
    listed = admin.get(
        f"/api/v1/publication-decisions/?procedure={procedures['offline'].code}&decided_from=2026-03-01"
    )
    assert [d["number"] for d in listed.json()["results"]] == ["123/QĐ-UBND"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"authority": "P1.100"}, "authority", "not_an_issuing_authority"),
        ({"authority": "P2"}, "authority", "unknown_unit"),
        ({"decided_on": "2027-01-04"}, "decided_on", "in_future"),
        ({"items": []}, "items", "empty"),
        ({"items": [{"procedure": "9.999999"}]}, "items.0.procedure", "unknown_procedure"),
        (
            {"items": [{"procedure": "P", "published_parts": ["fee"]}]},
            "items.0.published_parts.0",
            "invalid_choice",
        ),
    ],
)
def test_bad_decisions_are_refused_with_the_field(admin, procedures, change, field, code):
    response = admin.post("/api/v1/publication-decisions/", _decision(procedures, **change), format="json")
    assert response.status_code == 400, response.content
    found = [{"field": e["field"], "code": e["code"]} for e in response.json()["errors"]]
    assert {"field": field, "code": code} in found, found
    assert not PublicationDecision.objects.exists()


def test_disclosure_before_decision_repeated_procedure_and_number(admin, procedures):
    early = _decision(procedures)
    early["items"][0]["disclosed_on"] = "2026-03-01"
    response = admin.post("/api/v1/publication-decisions/", early, format="json")
    assert response.json()["errors"][0] == {
        **response.json()["errors"][0],
        "field": "items.0.disclosed_on",
        "code": "before_decision",
    }
    twice = _decision(procedures)
    twice["items"].append({"procedure": procedures["full"].code})
    response = admin.post("/api/v1/publication-decisions/", twice, format="json")
    assert response.json()["errors"][0]["field"] == "items.2.procedure"
    assert (
        admin.post("/api/v1/publication-decisions/", _decision(procedures), format="json").status_code == 201
    )
    again = admin.post("/api/v1/publication-decisions/", _decision(procedures), format="json")
    assert (again.status_code, again.json()["errors"][0]["field"]) == (400, "number")


def test_decisions_are_read_by_the_province_and_written_by_its_administrators(
    users, client_for, admin, procedures
):
    decision = admin.post("/api/v1/publication-decisions/", _decision(procedures), format="json").json()
    url = f"/api/v1/publication-decisions/{decision['id']}/"
    assert client_for(users["clerk_c1"]).get(url).status_code == 200  # the province's own decisions
    assert client_for(users["clerk_c3"]).get(url).status_code == 404  # another province's
    assert client_for(users["clerk_c3"]).get("/api/v1/publication-decisions/").json()["results"] == []
    response = client_for(users["supervisor_p1"]).patch(url, {"number": "9/QĐ"}, format="json")
    assert response.status_code == 403
    department_admin = UserFactory(
        username="dept_admin", unit=users["officer_dept"].unit, role="administrator"
    )
    assert client_for(department_admin).patch(url, {"number": "9/QĐ"}, format="json").status_code == 403
    assert PublicationDecision.objects.get().number == "123/QĐ-UBND"
