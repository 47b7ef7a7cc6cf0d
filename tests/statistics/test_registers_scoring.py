"""Revision 3 end to end: the registers (online offerings, publication decisions) feed the score API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.catalogue.models import CONTENT_PARTS
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from tests.factories import (
    OnlineOfferingFactory,
    ProcedureVersionFactory,
    PublicationDecisionFactory,
    PublishedProcedureFactory,
    UserFactory,
)
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH, APRIL = "2026-03", "2026-04"


@pytest.fixture
def supervisor(users, client_for):
    return client_for(users["supervisor_p1"])


@pytest.fixture
def root(client_for):
    return client_for(UserFactory(username="root", is_superuser=True))


def indicators(client, unit: str, period: str) -> dict[str, dict]:
    response = client.get(f"/api/v1/units/{unit}/score/?period={period}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["score"]["methodology"] == {"code": "766-2022-v1", "revision": 3}
    return {i["code"]: i for i in body["score"]["indicators"]} | {
        "_inputs": body["inputs"],
        "_score": body["score"],
    }


def fraction(indicator: dict) -> tuple[int, int, str]:
    return indicator["numerator"], indicator["denominator"], indicator["points"]


@pytest.fixture
def offerings(calendar, tree, django_capture_on_commit_callbacks):
    """Two commune procedures offered online by both communes of P1 (4 online services), a third one
    handled but not offered; c1 receives one online dossier for the first."""
    first = ProcedureVersionFactory(online_level="full", fee=Decimal(20000), audience="citizen").procedure
    second = ProcedureVersionFactory(online_level="partial", fee=Decimal(0), audience="citizen").procedure
    ProcedureVersionFactory(online_level="none", fee=Decimal(0), audience="business")
    for commune in ("c1", "c2"):
        OnlineOfferingFactory(unit=tree[commune], procedure=first, level="full")
        OnlineOfferingFactory(unit=tree[commune], procedure=second)
    with django_capture_on_commit_callbacks(execute=True):
        d = services.receive_dossier(
            procedure=first, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, 3, 9), channel=2
        )
        services.set_flag(d, Flag.PAID_ONLINE, actor=S, at=vn(2026, 3, 3, 10))
        services.set_flag(d, Flag.APPLICANT_EID_VERIFIED, actor=S, at=vn(2026, 3, 3, 10))
        d = services.receive_dossier(
            procedure=first, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, 4, 9)
        )
        services.set_flag(d, Flag.APPLICANT_EID_VERIFIED, actor=S, at=vn(2026, 3, 4, 10))
    return first, second


# unit, A (procedures online / under authority), B (services used / offered), payment procedures
OFFERING_CASES = [
    # a commune: its own three procedures, two offered; its two online services, one used
    ("P1.100", (2, 3, "1.67"), (1, 2, "2.00"), (1, 1)),
    ("P1.101", (2, 3, "1.67"), (0, 2, "0.00"), (0, 1)),
    # the province: the same three procedures once each (distinct), but four online services
    ("P1", (2, 3, "1.67"), (1, 4, "1.00"), (1, 2)),
]


@pytest.mark.parametrize(("unit", "a", "b", "payment"), OFFERING_CASES)
def test_online_services_are_offerings_and_procedures_are_distinct(
    offerings, supervisor, unit, a, b, payment
):
    got = indicators(supervisor, unit, MARCH)
    assert fraction(got["ONLINE_PROCEDURES"]) == a
    assert fraction(got["ONLINE_SERVICES_USED"]) == b
    assert (got["PAYMENT_PROCEDURES"]["numerator"], got["PAYMENT_PROCEDURES"]["denominator"]) == payment


def test_a_province_offering_more_services_than_procedures(offerings, supervisor):
    inputs = indicators(supervisor, "P1", MARCH)["_inputs"]
    assert inputs["online_services_offered"] > inputs["procedures_online"]
    assert (inputs["online_services_offered"], inputs["procedures_online"]) == (4, 2)


def test_citizen_formality_counts_distinct_procedures_at_every_level(offerings, supervisor):
    """Both communes handle the same two citizen-facing procedures and each used the first with e-ID."""
    for unit in ("P1.100", "P1.101"):
        assert fraction(indicators(supervisor, unit, MARCH)["CITIZEN_DATA_CONNECTED_FORMALITY"]) == (
            1,
            2,
            "1.00",
        )
    province = indicators(supervisor, "P1", MARCH)
    assert fraction(province["CITIZEN_DATA_CONNECTED_FORMALITY"]) == (1, 2, "1.00")  # not 2 of 4 summed
    assert fraction(province["CITIZEN_DATA_CONNECTED_DOSSIER"]) == (2, 2, "2.00")


def test_an_offering_ended_before_the_period_no_longer_counts(offerings, tree, supervisor):
    first, _second = offerings
    from apps.catalogue.models import OnlineOffering

    OnlineOffering.objects.filter(unit=tree["c2"], procedure=first).update(valid_to=dt.date(2026, 2, 28))
    got = indicators(supervisor, "P1", MARCH)
    assert fraction(got["ONLINE_SERVICES_USED"])[:2] == (1, 3)


@pytest.fixture
def published(calendar, tree):
    """P1 published two procedures in March (one on time, disclosed on time; one late, not disclosed);
    P2 published nothing since a decision of 2025."""
    one = ProcedureVersionFactory().procedure
    two = ProcedureVersionFactory().procedure
    on_time = PublicationDecisionFactory(
        authority=tree["p1"], decided_on=dt.date(2026, 3, 2), effective_on=dt.date(2026, 3, 16)
    )
    PublishedProcedureFactory(
        decision=on_time, procedure=one, disclosed_on=dt.date(2026, 3, 4), published_parts=list(CONTENT_PARTS)
    )
    late = PublicationDecisionFactory(
        authority=tree["p1"], decided_on=dt.date(2026, 3, 10), effective_on=dt.date(2026, 3, 12)
    )
    PublishedProcedureFactory(decision=late, procedure=two, published_parts=["name"])
    old = PublicationDecisionFactory(
        authority=tree["p2"], decided_on=dt.date(2025, 5, 5), effective_on=dt.date(2025, 6, 1)
    )
    PublishedProcedureFactory(
        decision=old, procedure=one, disclosed_on=dt.date(2025, 5, 6), published_parts=list(CONTENT_PARTS)
    )
    return one, two


TRANSPARENCY_CASES = [
    # unit, period, PUBLISH_ON_TIME, PUBLIC_UPDATE_ON_TIME, PUBLIC_CONTENT_FULL
    ("P1", MARCH, (1, 2, "3.00"), (1, 2, "2.00"), (1, 2, "1.00")),
    ("P1.100", MARCH, (1, 2, "3.00"), (1, 2, "2.00"), (1, 2, "1.00")),  # a commune inherits its province's
    ("P1", APRIL, (0, 0, "0.00"), (0, 0, "0.00"), (1, 2, "1.00")),  # a month without decisions: no data
    ("P2", MARCH, (0, 0, "0.00"), (0, 0, "0.00"), (1, 1, "2.00")),  # another province, its own register
    ("P2.100", MARCH, (0, 0, "0.00"), (0, 0, "0.00"), (1, 1, "2.00")),
]


@pytest.mark.parametrize(("unit", "period", "publish", "update", "content"), TRANSPARENCY_CASES)
def test_transparency_comes_from_the_province_register(
    published, root, unit, period, publish, update, content
):
    got = indicators(root, unit, period)
    assert fraction(got["PUBLISH_ON_TIME"]) == publish
    assert fraction(got["PUBLIC_UPDATE_ON_TIME"]) == update
    assert fraction(got["PUBLIC_CONTENT_FULL"]) == content
    if publish[1] == 0:
        assert got["PUBLISH_ON_TIME"]["status"] == got["PUBLIC_UPDATE_ON_TIME"]["status"] == "no_data"
        transparency = next(g for g in got["_score"]["groups"] if g["code"] == "CKMB")
        assert transparency["max_points"] == "18.00"


def test_provinces_differ_on_transparency(published, root):
    p1 = next(g for g in indicators(root, "P1", MARCH)["_score"]["groups"] if g["code"] == "CKMB")
    p2 = next(g for g in indicators(root, "P2", MARCH)["_score"]["groups"] if g["code"] == "CKMB")
    assert p1["points"] != p2["points"]


def test_recording_a_decision_rescores_a_closed_month_at_once(published, tree, users, client_for, procedure):
    """A closed month's score is frozen on first read; a register change for that month must refresh it."""
    admin = client_for(users["admin_p1"])
    before = indicators(admin, "P1.100", MARCH)
    assert fraction(before["PUBLISH_ON_TIME"]) == (1, 2, "3.00")
    trend = admin.get("/api/v1/units/P1.100/trend/?kind=month&count=10").json()
    assert next(p for p in trend if p["period"]["key"] == MARCH)["total"] == before["_score"]["total"]

    response = admin.post(
        "/api/v1/publication-decisions/",
        {
            "authority": "P1",
            "number": "77/QĐ-UBND",
            "decided_on": "2026-03-20",
            "effective_on": "2026-04-15",
            "items": [
                {
                    "procedure": procedure.code,
                    "disclosed_on": "2026-03-23",
                    "published_parts": list(CONTENT_PARTS),
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content

    after = indicators(admin, "P1.100", MARCH)
    assert fraction(after["PUBLISH_ON_TIME"]) == (2, 3, "4.00")
    assert fraction(after["PUBLIC_UPDATE_ON_TIME"]) == (2, 3, "2.67")
    trend = admin.get("/api/v1/units/P1.100/trend/?kind=month&count=10").json()
    assert next(p for p in trend if p["period"]["key"] == MARCH)["total"] == after["_score"]["total"]
    assert after["_score"]["total"] != before["_score"]["total"]


def test_a_legal_basis_beyond_the_calendar_does_not_break_the_score(calendar, tree, root):
    """The working calendar covers 2024–2028; a decision taking effect in 2031 is still judged."""
    decision = PublicationDecisionFactory(
        authority=tree["p2"], decided_on=dt.date(2026, 3, 2), effective_on=dt.date(2031, 1, 1)
    )
    PublishedProcedureFactory(decision=decision, procedure=ProcedureVersionFactory().procedure)
    got = indicators(root, "P2", MARCH)
    assert fraction(got["PUBLISH_ON_TIME"]) == (1, 1, "6.00")
