"""The period rules, checked on a hand-made week of dossiers (Mon 2 – Sun 8 March 2026)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.dossiers.models import Channel
from apps.statistics import services as stats
from apps.statistics.models import COUNT_FIELDS, LeafCounts
from tests.factories import ProcedureVersionFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
WEEK = dt.date(2026, 3, 2)


@pytest.fixture
def week(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """Each dossier's expected role in week 10 is in its name. The procedure takes 3 working days."""
    paper = ProcedureVersionFactory(time_limit=Decimal(3), paper_result_required=True).procedure

    def receive(at, **kw):
        return services.receive_dossier(
            procedure=kw.pop("proc", procedure), receiving_unit=tree["c1"], actor=S, received_at=at, **kw
        )

    with django_capture_on_commit_callbacks(execute=True):
        ended_before = receive(vn(2026, 2, 23, 9))
        services.finish(ended_before, actor=S, at=vn(2026, 2, 24, 9))
        receive(vn(2026, 2, 25, 9))  # carried over, due Mon 2 Mar 09:00, still open ⇒ overdue on Sun 8
        early = receive(vn(2026, 3, 2, 9))  # due Thu 5
        services.set_flag(early, Flag.PORTAL_SYNCED, actor=S, at=vn(2026, 3, 2, 10))
        services.set_flag(early, Flag.ELECTRONIC_RESULT_ISSUED, actor=S, at=vn(2026, 3, 4, 9))
        services.finish(early, actor=S, at=vn(2026, 3, 4, 10))
        late = receive(vn(2026, 3, 3, 9))  # due Fri 6 09:00
        services.set_flag(late, Flag.PAID_ONLINE, actor=S, at=vn(2026, 3, 3, 10))
        services.finish(late, actor=S, at=vn(2026, 3, 6, 10))
        receive(vn(2026, 3, 5, 9), proc=paper, channel=Channel.ONLINE)  # open, due Tue 10 ⇒ in time
        receive(vn(2026, 3, 9, 9))  # next week
        paused = receive(vn(2026, 3, 4, 9))
        services.request_supplement(paused, actor=S, at=vn(2026, 3, 4, 10))  # clock stopped before due
        carried_late = receive(vn(2026, 2, 27, 9))  # due Wed 4 Mar 09:00
        services.finish(carried_late, actor=S, at=vn(2026, 3, 5, 9))


def totals(unit, kind="week", start=WEEK) -> dict:
    rows = LeafCounts.objects.filter(unit=unit, period_kind=kind, period_start=start)
    return {k: v or 0 for k, v in rows.aggregate(**{f: Sum(f) for f in COUNT_FIELDS}).items()}


def test_the_week(week, tree):
    t = totals(tree["c1"])
    assert t["in_period"] == 6  # carried over (2), received this week (4)
    assert t["received"] == 4
    assert t["ended"] == 3
    assert (t["ended_early"], t["ended_on_time"], t["ended_late"]) == (1, 0, 2)
    assert (t["open_in_time"], t["open_overdue"]) == (2, 1)
    assert t["on_time"] == 3
    assert t["received_synced"] == 1 and t["e_result"] == 1
    assert t["fee_dossiers"] == 6 and t["fee_paid_online"] == 1
    assert (t["online_received"], t["received_online_counted"]) == (1, 0)  # paper result, no e-result
    assert t["satisfactory"] == 3  # every late or overdue dossier is unsatisfactory
    assert t["processing_minutes"] > 0


def test_the_month_and_the_next_week(week, tree):
    march = totals(tree["c1"], "month", dt.date(2026, 3, 1))
    assert march["received"] == 5  # the four of week 10 and the one of 9 March
    next_week = totals(tree["c1"], "week", dt.date(2026, 3, 9))
    # carried into week 11: the overdue one, the online one, the paused one; plus one received
    assert next_week["in_period"] == 4 and next_week["received"] == 1


def test_rebuild_gives_the_same_numbers(week, tree):
    before = totals(tree["c1"])
    stats.rebuild_all()
    assert totals(tree["c1"]) == before


def test_midnight_refresh_rejudges_open_dossiers(week, tree, procedure, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 11, 20, 9)
        )
    current_week = dt.date(2026, 11, 16)
    # Due Wed 25 Nov: in time when judged on the 23rd, overdue when judged on the 26th.
    stats.refresh_current_periods(on=dt.date(2026, 11, 20))
    assert totals(tree["c2"], "week", current_week)["open_in_time"] == 1
    stats.refresh_current_periods(on=dt.date(2026, 11, 26))
    assert totals(tree["c2"], "week", dt.date(2026, 11, 23))["open_overdue"] == 1
