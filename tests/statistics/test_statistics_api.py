"""Score, rankings, trend, what-if, on-time and the dossiers behind a number, over the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.statistics import reports
from apps.statistics.counting import CONDITIONS
from apps.statistics.models import COUNT_FIELDS
from apps.statistics.periods import parse
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH = "2026-03"


@pytest.fixture
def activity(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """February and March 2026 in province P1: c1 does well, c2 badly; P2's commune exists too."""
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4, 5, 6, 9):  # c1: six dossiers, all finished the next day, online, synced
            d = services.receive_dossier(
                procedure=procedure,
                receiving_unit=tree["c1"],
                actor=S,
                received_at=vn(2026, 3, day, 9),
                channel=2,
            )
            services.set_flag(d, Flag.PORTAL_SYNCED, actor=S, at=vn(2026, 3, day, 10))
            services.finish(d, actor=S, at=vn(2026, 3, day + 1, 9))
        for day in (2, 3):  # c2: two dossiers, one late, one still open and overdue
            d = services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, day, 9)
            )
        services.finish(d, actor=S, at=vn(2026, 3, 20, 9))
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 2, 10, 9)
        )
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c3"], actor=S, received_at=vn(2026, 3, 2, 9)
        )


@pytest.fixture
def supervisor(users, client_for):
    return client_for(users["supervisor_p1"])


def test_score_of_a_commune(activity, supervisor):
    response = supervisor.get(f"/api/v1/units/P1.100/score/?period={MARCH}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["period"] == {"key": "2026-03", "kind": "month", "start": "2026-03-01", "end": "2026-03-31"}
    progress = next(i for i in body["score"]["indicators"] if i["code"] == "PROGRESS")
    assert (progress["numerator"], progress["denominator"], progress["points"]) == (6, 6, "20.00")
    sync = next(i for i in body["score"]["indicators"] if i["code"] == "DOSSIER_SYNC")
    assert (sync["numerator"], sync["denominator"], sync["points"]) == (6, 6, "6.00")
    assert body["rank"] == 1 and body["siblings"] == 3  # c1, c2 and the department
    assert body["inputs"]["dossiers_in_period"] == 6
    assert body["score"]["methodology_version"] == "766-2022-v1"
    total = sum(Decimal(g["points"]) for g in body["score"]["groups"])
    assert Decimal(body["score"]["total"]) == total


def test_parent_sums_counts_before_dividing(activity, supervisor):
    body = supervisor.get(f"/api/v1/units/P1/score/?period={MARCH}").json()
    progress = next(i for i in body["score"]["indicators"] if i["code"] == "PROGRESS")
    # c1 6/6, c2: carried over from February (overdue) + 2 received (one late, one open overdue) = 0/3
    assert (progress["numerator"], progress["denominator"]) == (6, 9)
    assert progress["points"] == "13.33"  # 20 × 6/9, not the average of 20 and 0


def test_rankings_of_a_province(activity, supervisor):
    response = supervisor.get(f"/api/v1/units/P1/rankings/?period={MARCH}&bands=94,90")
    assert response.status_code == 200, response.json()
    body = response.json()
    rows = body["rows"]
    assert rows[0]["unit"] == "P1.100"
    ranks = [r["rank"] for r in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert body["summary"]["units"] == 3
    assert sum(body["summary"]["bands"].values()) == 3
    by_progress = supervisor.get(f"/api/v1/units/P1/rankings/?period={MARCH}&by=TDGQ").json()
    assert by_progress["rows"][0]["value"] == "20.00"
    assert body["methodology"] == {"code": "766-2022-v1", "revision": 3}


def test_scope_and_bad_input(activity, users, client_for, supervisor):
    clerk = client_for(users["clerk_c3"])
    assert clerk.get("/api/v1/units/P1/score/").status_code == 404
    for url, field in [
        ("/api/v1/units/P1/score/?period=2026-13", "period"),
        ("/api/v1/units/P1/score/?period=2099-W01", "period"),
        ("/api/v1/units/P1/rankings/?by=NOPE", "by"),
        ("/api/v1/units/P1/rankings/?bands=high", "bands"),
        ("/api/v1/units/P1/what-if/?target=NOPE:0.9", "target"),
        ("/api/v1/units/P1/what-if/?target=CLGQ:lots", "target"),
        ("/api/v1/units/P1/what-if/?target=CLGQ:1.5", "target"),
        ("/api/v1/units/P1/trend/?kind=decade", "kind"),
        ("/api/v1/units/P1/dossiers/?measure=everything", "measure"),
    ]:
        response = supervisor.get(url)
        assert response.status_code == 400, (url, response.content)
        assert response.json()["errors"][0]["field"] == field, url


def test_what_if_and_room(activity, supervisor):
    body = supervisor.get(f"/api/v1/units/P1.101/what-if/?period={MARCH}&target=TDGQ:1").json()
    change = body["projection"]["changes"][0]
    assert (change["code"], change["projected_points"]) == ("TDGQ", "20.00")
    assert Decimal(body["projection"]["gain"]) == Decimal("20.00") - Decimal(change["current_points"])
    missing = [Decimal(r["missing"]) for r in body["room"]]
    assert missing == sorted(missing, reverse=True)
    assert body["methodology"] == {"code": "766-2022-v1", "revision": 3}  # what-if says which rules it used


def test_trend_reads_the_snapshots_the_nightly_task_files_and_a_read_writes_none(activity, supervisor):
    from apps.statistics.models import ScoreSnapshot
    from apps.statistics.tasks import snapshot_closed_periods

    points = supervisor.get("/api/v1/units/P1.100/trend/?kind=month&count=10").json()
    assert len(points) == 10 and points[-1]["closed"] is False and points[0]["closed"] is True
    march = next(p for p in points if p["period"]["key"] == "2026-03")
    assert march["groups"]["TDGQ"] == "20.00"
    assert not ScoreSnapshot.objects.exists()  # a GET stores nothing
    filed = snapshot_closed_periods.delay().get()
    stored = ScoreSnapshot.objects.filter(unit__code="P1.100", period_kind="month")
    closed = [p["period"]["key"] for p in points if p["closed"]]
    assert {s.period_start.strftime("%Y-%m") for s in stored} >= set(closed)
    assert filed == ScoreSnapshot.objects.count() > len(closed)
    assert snapshot_closed_periods.delay().get() == 0  # nothing is filed twice
    # the trend now reads those rows: tamper with one, and the trend shows it
    stored.filter(period_start=dt.date(2026, 3, 1)).update(total=Decimal("12.34"))
    again = supervisor.get("/api/v1/units/P1.100/trend/?kind=month&count=10").json()
    assert next(p for p in again if p["period"]["key"] == "2026-03")["total"] == "12.34"
    assert [p for p in again if p["period"]["key"] != "2026-03"] == [
        p for p in points if p["period"]["key"] != "2026-03"
    ]


def test_on_time_drill_down(activity, supervisor, procedure):
    rows = supervisor.get(f"/api/v1/units/P1/on-time/?period={MARCH}").json()
    assert rows == [
        {
            "key": procedure.code,
            "name": procedure.version_on(parse(MARCH).end).name,  # from the version in force
            "kind": None,
            "in_period": 9,
            "on_time": 6,
            "late": 3,  # one finished late, two open and overdue
            "rate": "0.6667",
            "ended_early": 6,  # finished the day after receipt, due three working days later
            "ended_on_time": 0,
            "ended_late": 1,
            "open_in_time": 0,
            "open_overdue": 2,
            "average_working_days": rows[0]["average_working_days"],
        }
    ]
    assert Decimal(rows[0]["average_working_days"]) > 0


@pytest.mark.parametrize("measure", sorted(CONDITIONS))
def test_every_number_matches_its_list(activity, supervisor, tree, measure):
    """The dossiers behind a count are exactly as many as the count, for every measure."""
    period = parse(MARCH)
    totals = reports.scorer(tree["p1"], period, reports.business_today()).unit_score(tree["p1"]).totals
    listed, url = [], f"/api/v1/units/P1/dossiers/?period={MARCH}&measure={measure}&page_size=2"
    while url:
        page = supervisor.get(url).json()
        listed += [d["code"] for d in page["results"]]
        url = page["next"]
    assert len(listed) == len(set(listed)) == totals.counts[measure]
    assert measure in COUNT_FIELDS


def test_named_period_and_equal_range_agree(activity, supervisor):
    named = supervisor.get(f"/api/v1/units/P1/score/?period={MARCH}").json()
    ranged = supervisor.get("/api/v1/units/P1/score/?period=2026-03-01..2026-03-31").json()
    assert ranged["score"] == named["score"]
    assert ranged["period"]["kind"] == "range"


def test_current_week_is_the_default(activity, supervisor):
    body = supervisor.get("/api/v1/units/P1/score/").json()
    today = timezone.localdate()
    assert body["period"]["kind"] == "week"
    assert dt.date.fromisoformat(body["period"]["start"]) <= today


def test_procedure_level_indicators_count_used_procedures(
    calendar, tree, supervisor, django_capture_on_commit_callbacks
):
    from tests.factories import OnlineOfferingFactory, ProcedureVersionFactory

    online_fee = ProcedureVersionFactory(
        online_level="full", fee=Decimal(20000), audience="citizen"
    ).procedure
    unused = ProcedureVersionFactory(online_level="partial", fee=Decimal(0)).procedure
    ProcedureVersionFactory(online_level="none", fee=Decimal(0))
    OnlineOfferingFactory(unit=tree["c1"], procedure=online_fee, level="full")
    OnlineOfferingFactory(unit=tree["c1"], procedure=unused)  # offered online, never used
    with django_capture_on_commit_callbacks(execute=True):
        d = services.receive_dossier(
            procedure=online_fee, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, 3, 9), channel=2
        )
        services.set_flag(d, Flag.PAID_ONLINE, actor=S, at=vn(2026, 3, 3, 10))
        services.set_flag(d, Flag.APPLICANT_EID_VERIFIED, actor=S, at=vn(2026, 3, 3, 10))
    body = supervisor.get(f"/api/v1/units/P1.100/score/?period={MARCH}").json()
    by_code = {i["code"]: i for i in body["score"]["indicators"]}
    assert (by_code["ONLINE_SERVICES_USED"]["numerator"], by_code["ONLINE_SERVICES_USED"]["denominator"]) == (
        1,
        2,
    )
    assert (by_code["PAYMENT_PROCEDURES"]["numerator"], by_code["PAYMENT_PROCEDURES"]["denominator"]) == (
        1,
        1,
    )
    assert body["inputs"]["citizen_procedures_eid"] == 1
    province = supervisor.get(f"/api/v1/units/P1/score/?period={MARCH}").json()
    assert province["inputs"]["online_services_used"] == 1  # c1's, summed into the province


def test_todays_changes_keep_closed_periods_cached(
    activity, tree, procedure, django_capture_on_commit_callbacks
):
    """A drain invalidates the cached scores of the periods it recomputed, and only those."""
    today = reports.business_today()
    march = parse(MARCH)
    this_week = reports.resolve_period(None, today)
    march_before = reports.scorer(tree["p1"], march, today)
    week_before = reports.scorer(tree["p1"], this_week, today)
    assert reports.scorer(tree["p1"], march, today) is march_before  # cached
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=S)
    assert reports.scorer(tree["p1"], march, today) is march_before  # March untouched: still cached
    week_after = reports.scorer(tree["p1"], this_week, today)
    assert week_after is not week_before
    assert week_after.unit_score(tree["p1"]).inputs.dossiers_received == (
        week_before.unit_score(tree["p1"]).inputs.dossiers_received + 1
    )
    with django_capture_on_commit_callbacks(execute=True):  # a change to a March dossier reaches March
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, 20, 9)
        )
    assert reports.scorer(tree["p1"], march, today) is not march_before


def _indicators(body: dict) -> dict[str, dict]:
    return {i["code"]: i for i in body["score"]["indicators"]}


def test_score_states_the_methodology_revision_and_scores_corrected_rules(
    calendar, tree, supervisor, django_capture_on_commit_callbacks
):
    """Revision 2 end to end: 0-of-0 transparency is no data (0 points) and communes score citizen data."""
    from tests.factories import ProcedureVersionFactory

    citizen = ProcedureVersionFactory(online_level="none", fee=Decimal(0), audience="citizen").procedure
    with django_capture_on_commit_callbacks(execute=True):
        for day, eid in ((3, True), (4, True), (5, False), (6, False)):
            d = services.receive_dossier(
                procedure=citizen, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, day, 9)
            )
            if eid:
                services.set_flag(d, Flag.APPLICANT_EID_VERIFIED, actor=S, at=vn(2026, 3, day, 10))
    body = supervisor.get(f"/api/v1/units/P1.100/score/?period={MARCH}").json()

    assert body["score"]["methodology"] == {"code": "766-2022-v1", "revision": 3}
    assert body["score"]["methodology_version"] == "766-2022-v1"
    by_code = _indicators(body)
    cases = [
        # code, numerator, denominator, points, status
        ("PUBLISH_ON_TIME", 0, 0, "0.00", "no_data"),
        ("PUBLIC_UPDATE_ON_TIME", 0, 0, "0.00", "no_data"),
        ("CITIZEN_DATA_CONNECTED_DOSSIER", 2, 4, "1.00", "scored"),
        ("CITIZEN_DATA_CONNECTED_FORMALITY", 1, 1, "2.00", "scored"),
    ]
    for code, numerator, denominator, points, status in cases:
        i = by_code[code]
        assert (i["numerator"], i["denominator"], i["points"], i["status"]) == (
            numerator,
            denominator,
            points,
            status,
        ), code
    transparency = next(g for g in body["score"]["groups"] if g["code"] == "CKMB")
    assert transparency["max_points"] == "18.00"
    assert Decimal(transparency["points"]) == sum(
        Decimal(by_code[c]["points"])
        for c in ("PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL", "DOSSIER_SYNC")
    )
    sibling = _indicators(supervisor.get(f"/api/v1/units/P1.101/score/?period={MARCH}").json())
    assert sibling["CITIZEN_DATA_CONNECTED_DOSSIER"]["status"] == "no_data"  # no dossiers: 0, not 2
    assert sibling["CITIZEN_DATA_CONNECTED_DOSSIER"]["points"] == "0.00"


def test_a_snapshot_of_an_earlier_revision_is_not_served(activity, tree, supervisor):
    """A closed month stored under revision 1 is stale: the corrected revision recomputes it."""
    from apps.statistics.models import ScoreSnapshot
    from apps.statistics.snapshots import snapshot_closed_periods

    ScoreSnapshot.objects.create(
        unit=tree["c1"],
        period_kind="month",
        period_start=dt.date(2026, 3, 1),
        methodology_version="766-2022-v1",
        total=Decimal("99.99"),
        groups={},
        indicators=[],
        inputs={},
    )
    march = next(
        p
        for p in supervisor.get("/api/v1/units/P1.100/trend/?kind=month&count=10").json()
        if p["period"]["key"] == MARCH
    )
    score = supervisor.get(f"/api/v1/units/P1.100/score/?period={MARCH}").json()["score"]

    assert march["total"] == score["total"] != "99.99"
    current = ScoreSnapshot.objects.filter(methodology_version="766-2022-v1 r3")
    assert not current.exists()  # reads score the month live and store nothing
    snapshot_closed_periods()
    stored = current.get(unit=tree["c1"], period_kind="month", period_start=dt.date(2026, 3, 1))
    assert str(stored.total) == score["total"]
