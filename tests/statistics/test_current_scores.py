"""The running periods' stored scores: the drain keeps them equal to the live ones, readers serve them
only while they hold, and anything that makes them stale sends the reader back to live scoring."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from apps.catalogue.models import OnlineOffering
from apps.catalogue.registers import record_offering
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.organisation.models import Unit, UnitKind
from apps.organisation.services import create_unit
from apps.scoring.engine import score
from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Methodology
from apps.statistics import reports
from apps.statistics import services as stats
from apps.statistics.current_scores import running_periods
from apps.statistics.models import CurrentScore
from apps.statistics.periods import PeriodKind, containing
from apps.statistics.scores import SubtreeScorer
from apps.statistics.selectors import current_scores, subtree_inputs
from apps.statistics.snapshots import snapshot_closed_periods
from apps.workcalendar.models import CalendarException
from tests.factories import ProcedureVersionFactory
from tests.helpers import FROZEN_NOW, vn
from tests.statistics.test_statistics_api import supervisor  # noqa: F401  (fixture)
from tests.statistics.test_statistics_incremental import random_history

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
TODAY = FROZEN_NOW.date()
NOVEMBER = "2026-11"


def live_rows(today: dt.date) -> dict:
    """Every unit's score of every running period, scored now from the roll-up: what must be stored."""
    rows = {}
    for root in Unit.objects.filter(parent__isnull=True):
        for period in running_periods(today):
            scorer = SubtreeScorer(subtree_inputs(root, period, today))
            for unit in scorer.units:
                result = scorer.unit_score(unit)
                rows[(unit.pk, period.kind.value, period.start)] = (
                    result.score.total,
                    {g.code: str(g.points) for g in result.score.groups},
                    result.inputs.counts(),
                    result.inputs.dossiers_in_period,
                )
    return rows


def stored_rows(today: dt.date) -> dict:
    rows = {}
    for period in running_periods(today):
        for row in current_scores(period, today):
            key = (row.unit_id, period.kind.value, period.start)
            rows[key] = (row.total, row.groups, row.inputs, row.dossiers)
    return rows


@pytest.fixture
def running(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """November 2026, up to the frozen Monday 23rd: c1 on time and synced, c2 late and overdue."""
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4, 5, 6, 9, 16, 23):
            d = services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 11, day, 8)
            )
            services.set_flag(d, Flag.PORTAL_SYNCED, actor=S, at=vn(2026, 11, day, 8, 30))
            services.finish(d, actor=S, at=vn(2026, 11, day, 9))
        for day in (2, 10):
            services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 11, day, 9)
            )
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c3"], actor=S, received_at=vn(2026, 11, 4, 9)
        )


@pytest.mark.parametrize("seed", [4, 5])
def test_the_drain_keeps_the_stored_scores_equal_to_the_live_ones(
    calendar, tree, django_capture_on_commit_callbacks, seed
):
    procedures = [
        ProcedureVersionFactory(time_limit=limit, paper_result_required=paper, fee=fee).procedure
        for limit, paper, fee in [(3, False, 0), (10, True, 50000), (1, False, 20000)]
    ]
    assert random_history(random.Random(seed), tree, procedures, django_capture_on_commit_callbacks) > 20
    live = live_rows(TODAY)
    drained = stored_rows(TODAY)
    assert drained == live  # every unit of both trees, every running period
    assert any(dossiers for _total, _groups, _inputs, dossiers in drained.values())
    stats.rebuild_all()  # a new epoch: nothing stored holds until the next drain
    assert stored_rows(TODAY) == {}
    assert stats.drain_dirty() == 0  # the sweeper's drain: nothing dirty, every row scored again
    assert stored_rows(TODAY) == live
    stats.refresh_current_periods()
    stats.drain_dirty()
    assert stored_rows(TODAY) == live


def test_a_running_ranking_and_score_read_the_stored_rows(running, supervisor):  # noqa: F811
    """A figure changed in a stored row shows and nothing is scored; a row judged on another day, or one
    of an earlier epoch, is not served: the reader scores live instead."""
    ranking_url = f"/api/v1/units/P1/rankings/?period={NOVEMBER}"
    score_url = f"/api/v1/units/P1/score/?period={NOVEMBER}"
    snapshot_closed_periods()  # October (the deltas) and earlier are read from their snapshots
    live_ranking = supervisor.get(ranking_url).json()
    live_score = supervisor.get(score_url).json()
    c1 = Unit.objects.get(code="P1.100")
    assert {r["unit"]: r["rank"] for r in live_ranking["rows"]}["P1.100"] == 1
    month = containing(PeriodKind.MONTH, TODAY)
    rows = CurrentScore.objects.filter(period_kind="month", period_start=month.start)
    assert rows.count() == Unit.objects.count()

    mine = rows.get(unit=c1)
    rows.filter(pk=mine.pk).update(total="1.23", dossiers=999)
    province = rows.get(unit__code="P1")
    assert province.inputs["dossiers_in_period"] > 0
    rows.filter(pk=province.pk).update(inputs=dict.fromkeys(province.inputs, 0))
    nothing = score(IndicatorInputs.zero("province"), Methodology.for_date(month.end))
    reports._SCORERS.clear()
    ranking = {r["unit"]: r for r in supervisor.get(ranking_url).json()["rows"]}
    assert (ranking["P1.100"]["total"], ranking["P1.100"]["dossiers"]) == ("1.23", 999)
    assert ranking["P1.100"]["rank"] == len(ranking)
    assert supervisor.get(score_url).json()["score"]["total"] == str(nothing.total)
    assert str(nothing.total) != live_score["score"]["total"]
    assert reports._SCORERS == {}  # nothing was scored

    rows.filter(pk__in=[mine.pk, province.pk]).update(judged_on=TODAY - dt.timedelta(days=1))
    assert supervisor.get(ranking_url).json() == live_ranking
    assert supervisor.get(score_url).json() == live_score

    rows.filter(pk__in=[mine.pk, province.pk]).update(judged_on=TODAY)
    assert supervisor.get(ranking_url).json() != live_ranking  # the changed rows serve again
    stats.bump_version(everything=True)  # what a rebuild or a register change does to the epoch
    assert supervisor.get(ranking_url).json() == live_ranking
    assert supervisor.get(score_url).json() == live_score

    stats.drain_dirty()  # stores them again; then inputs of another shape (an older release's) are not read
    rows.filter(unit__code="P1").update(inputs={"dossiers_in_period": 1})
    assert supervisor.get(score_url).json() == live_score


def test_a_register_change_is_scored_at_once_and_stored_by_the_next_drain(
    running,
    tree,
    procedure,
    supervisor,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    url = f"/api/v1/units/P1/rankings/?period={NOVEMBER}"
    before = supervisor.get(url).json()
    record_offering(unit=tree["c2"], procedure=procedure, level="full", valid_from=dt.date(2026, 1, 1))
    assert not current_scores(containing(PeriodKind.MONTH, TODAY), TODAY).exists()  # all stale
    after = supervisor.get(url).json()
    assert after != before  # scored live with the new offering
    stats.drain_dirty()  # the sweeper, within 2 seconds: every tree is scored again
    assert stored_rows(TODAY) == live_rows(TODAY)
    reports._SCORERS.clear()
    assert supervisor.get(url).json() == after
    with django_capture_on_commit_callbacks(execute=True):  # a dossier: its unit and ancestors rescored
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 11, 23, 9)
        )
    assert stored_rows(TODAY) == live_rows(TODAY)
    now = {r["unit"]: r["dossiers"] for r in supervisor.get(url).json()["rows"]}
    assert now["P1.100"] == {r["unit"]: r["dossiers"] for r in after["rows"]}["P1.100"] + 1


def test_a_new_unit_is_ranked_at_once(running, tree, supervisor):  # noqa: F811
    url = f"/api/v1/units/P1/rankings/?period={NOVEMBER}"
    assert len(supervisor.get(url).json()["rows"]) == 3
    create_unit(code="P1.102", name="Xã mới", kind=UnitKind.COMMUNE, parent=tree["p1"])
    assert not current_scores(containing(PeriodKind.WEEK, TODAY), TODAY).exists()  # a new epoch
    rows = {r["unit"]: r for r in supervisor.get(url).json()["rows"]}
    assert len(rows) == 4 and rows["P1.102"]["dossiers"] == 0
    stats.drain_dirty()
    assert stored_rows(TODAY) == live_rows(TODAY)
    assert {r["unit"]: r for r in supervisor.get(url).json()["rows"]} == rows


def test_a_new_day_is_scored_anew_and_ended_periods_are_dropped(running, frozen_clock):
    week = containing(PeriodKind.WEEK, TODAY)
    assert current_scores(week, TODAY).count() == Unit.objects.count()
    next_week = TODAY + dt.timedelta(days=7)
    frozen_clock.move_to(FROZEN_NOW + dt.timedelta(days=7))
    assert not current_scores(containing(PeriodKind.WEEK, next_week), next_week).exists()
    stats.refresh_current_periods(on=next_week)
    stats.drain_dirty()
    assert stored_rows(next_week) == live_rows(next_week)
    assert set(CurrentScore.objects.values_list("period_kind", "period_start")) == {
        (p.kind.value, p.start) for p in running_periods(next_week)
    }


def test_the_midnight_refresh_scores_every_unit_again_on_the_new_day(running, tree, procedure, frozen_clock):
    """A drain between midnight and the refresh stores scores from the roll-up still judged on the day
    before; the refresh, which judges unfinished dossiers on the new day, must store them again."""
    services.receive_dossier(  # due Tuesday the 24th: in time on Monday, overdue from Wednesday
        procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 11, 19, 9)
    )
    stats.drain_dirty()
    week = containing(PeriodKind.WEEK, TODAY)
    c1_week = CurrentScore.objects.filter(unit=tree["c1"], period_kind="week", period_start=week.start)
    on_time_monday = c1_week.get().inputs["dossiers_on_time"]
    wednesday = TODAY + dt.timedelta(days=2)
    frozen_clock.move_to(FROZEN_NOW + dt.timedelta(days=2))
    stats.drain_dirty()  # just after midnight: rows stamped Wednesday, from Monday's judgement
    assert c1_week.get().judged_on == wednesday and c1_week.get().inputs["dossiers_on_time"] == on_time_monday
    stats.refresh_current_periods(on=wednesday)
    assert c1_week.get().inputs["dossiers_on_time"] == on_time_monday - 1
    assert stored_rows(wednesday) == live_rows(wednesday)


def test_a_failure_to_score_never_fails_the_drain(running, tree, procedure, monkeypatch, caplog):
    """The roll-up the drain recomputes is committed even when storing the scores fails; the rows are
    left stale (readers score live) and the next drain stores them."""
    from apps.statistics import current_scores as module
    from apps.statistics.models import UnitCounts

    def broken(*args, **kwargs):
        raise RuntimeError("scoring broke")

    stats.bump_version(everything=True)
    monkeypatch.setattr(module, "SubtreeScorer", broken)
    month = containing(PeriodKind.MONTH, TODAY)
    c1_month = UnitCounts.objects.filter(unit=tree["c1"], period_kind="month", period_start=month.start)
    before = c1_month.get().received
    services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 11, 23, 9)
    )
    assert stats.drain_dirty() > 0
    assert c1_month.get().received == before + 1  # the roll-up landed
    assert not current_scores(month, TODAY).exists()
    assert "storing the running periods' scores failed" in caplog.text
    monkeypatch.undo()
    stats.drain_dirty()
    assert stored_rows(TODAY) == live_rows(TODAY)


@pytest.mark.parametrize("change", ["offering", "procedure_version", "calendar_exception", "unit"])
def test_any_edit_to_what_a_score_reads_makes_the_stored_scores_stale(
    running, tree, procedure, calendar, change
):
    """However it is made (here straight through the ORM, as the admin or a fixture does), an edit to the
    catalogue, the registers, the calendar or the organisation stops the stored rows from serving; the
    next drain stores them again."""
    week = containing(PeriodKind.WEEK, TODAY)
    assert current_scores(week, TODAY).count() == Unit.objects.count()
    if change == "offering":
        OnlineOffering.objects.create(
            unit=tree["c2"], procedure=procedure, level="full", valid_from=dt.date(2026, 1, 1)
        )
    elif change == "procedure_version":
        version = procedure.versions.get()
        version.fee = 0
        version.save()
    elif change == "calendar_exception":
        CalendarException.objects.create(
            calendar=calendar, date=dt.date(2026, 11, 25), is_working=False, name="t"
        )
    else:
        tree["c2"].name = "Xã đổi tên"
        tree["c2"].save()
    assert not current_scores(week, TODAY).exists()
    stats.drain_dirty()
    assert stored_rows(TODAY) == live_rows(TODAY)
