"""What the statistics benchmarks measure, one definition each (bench_statistics, bench_targets).

The rebuild is always the project's own entry point (:func:`services.rebuild_all`, what
``rebuild_statistics`` and the nightly task run), timed against two baselines computed over the same
dossiers with the same serial session settings; the score and ranking figures are the API as a client
reads it. PostgreSQL only (the callers check).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Min
from django.test import Client

from apps.catalogue.demo import seed_registers
from apps.core.measuring import get_ok, ms_since, time_requests
from apps.organisation.models import Unit
from apps.statistics import reports
from apps.statistics import services as stats
from apps.statistics.counting import select_leaf_rows
from apps.statistics.leaf_swap import copy_live_into_fresh_table
from apps.statistics.models import LeafCounts, UnitCounts
from apps.statistics.periods import Period, PeriodKind, containing
from apps.statistics.running_sums import COUNTED_DOSSIERS, PER_DOSSIER
from apps.statistics.scores import SubtreeScorer
from apps.statistics.selectors import subtree_inputs
from apps.statistics.snapshots import BACKFILL, snapshot_closed_periods
from apps.statistics.versions import bump_version
from apps.workcalendar.services import ensure_default_calendar

# Issue 11's yardstick: what a plain report over the same rows costs (per unit × month, 4 counts).
PLAIN_BASELINE = (
    "SELECT handling_unit_id, date_trunc('month', received_on::timestamp) AS month, COUNT(*) AS dossiers,"
    " COUNT(*) FILTER (WHERE ended_on IS NOT NULL) AS ended,"
    " COUNT(*) FILTER (WHERE timeliness = 'late') AS late,"
    " COUNT(*) FILTER (WHERE channel = 2) AS online"
    " FROM dossiers_dossier WHERE received_on IS NOT NULL GROUP BY 1, 2"
)


def counting_floor(today: dt.date) -> tuple[str, dict]:
    """One grouped scan summing each per-dossier figure the rebuild's counting sums (running_sums'
    ``PER_DOSSIER``), per unit × procedure × week of receipt.

    Why: it is a strict part of the rebuild's counting (it dates no end, carries nothing from period to
    period, has no month, quarter or year, and its rows are thrown away), so its time over the plain
    GROUP BY is a floor under the rebuild's, however the rest is counted."""
    sums = ", ".join(f"SUM({expression}) AS {name}" for name, expression in PER_DOSSIER.items())
    sql = (
        "SELECT d.handling_unit_id, d.procedure_id, date_trunc('week', d.received_on::timestamp) AS week,"
        f" COUNT(*) AS dossiers, {sums} {COUNTED_DOSSIERS} GROUP BY 1, 2, 3"
    )
    return sql, {"today": today}


def _timed_rolled_back(work: Callable[[], int]) -> tuple[float, int]:
    """Seconds and rows of ``work`` under the rebuild's own session settings (serial, as an
    ``INSERT … SELECT`` always is), in a transaction rolled back afterwards."""
    with transaction.atomic():
        stats.tune_for_bulk_aggregation()
        started = time.monotonic()
        rows = work()
        elapsed = time.monotonic() - started
        transaction.set_rollback(True)
    return elapsed, rows


def timed_table(sql: str, params: Sequence | Mapping) -> tuple[float, int]:
    """Seconds and rows of ``CREATE TEMP TABLE … AS`` the query, rolled back: a like-for-like baseline."""

    def create() -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE bench_baseline AS {sql}", params)
            return cursor.rowcount

    return _timed_rolled_back(create)


def timed_leaf_write() -> tuple[float, int]:
    """Seconds and rows of writing the live leaves again as the rebuild writes them (a fresh table and
    its two indexes), counting nothing, rolled back: the floor under any rebuild of these leaves,
    however it counts them."""
    return _timed_rolled_back(copy_live_into_fresh_table)


def rebuild_periods() -> list[Period]:
    """The periods a full rebuild covers today: from the first receipt to today (or the last receipt)."""
    from apps.dossiers.models import Dossier

    bounds = Dossier.objects.filter(received_on__isnull=False).aggregate(
        first=Min("received_on"), last=Max("received_on")
    )
    if bounds["first"] is None:
        return []
    return stats.named_periods_between(bounds["first"], max(stats.today(), bounds["last"]))


@dataclass(frozen=True)
class TableHealth:
    """A table's row counts and analyse times as ``pg_stat_user_tables`` has them."""

    live: int
    dead: int
    last_analyzed: dt.datetime | None


def table_health(table: str) -> TableHealth:
    """Read after this connection's pending counters reach the shared statistics (PostgreSQL 15 sends
    them at most once a second unless asked), so the rebuild's own deletes are counted."""
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # applies when this statement ends
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_live_tup, n_dead_tup, GREATEST(last_analyze, last_autoanalyze)"
            " FROM pg_stat_user_tables WHERE relname = %s",
            [table],
        )
        row = cursor.fetchone()
    return TableHealth(*row) if row else TableHealth(0, 0, None)


def database_now() -> dt.datetime:
    """The server's clock: analyse times are compared with it, never with this process's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class RebuildRound:
    """One round of the rebuild benchmark, in seconds (and the rows each side wrote)."""

    rebuild: float  # services.rebuild_all(vacuum=False): fresh leaf table, roll-up, ANALYZE, swap, commit
    vacuum: float  # services.vacuum_aggregates() right after, as rebuild_all() does by default
    project: float  # the rebuild's own counting SELECT into a temporary table
    plain: float  # PLAIN_BASELINE into a temporary table
    write: float  # the rebuilt leaves written again, counting nothing (timed_leaf_write)
    counting: float  # counting_floor into a temporary table
    leaf_rows: int
    unit_rows: int
    project_rows: int
    plain_rows: int
    periods: int
    leaves_after_rebuild: TableHealth  # committed, not vacuumed yet
    leaves_after_vacuum: TableHealth
    analysed: bool  # the leaf table's analyse time is later than the rebuild's start
    compared: float | None = None  # the counting SELECT with other options (``compare``), when asked

    @property
    def over_project(self) -> float:
        return self.rebuild / self.project

    @property
    def over_plain(self) -> float:
        return self.rebuild / self.plain

    @property
    def write_over_plain(self) -> float:
        return self.write / self.plain

    @property
    def counting_over_plain(self) -> float:
        return self.counting / self.plain


def measure_rebuild_round(*, compare: Mapping[str, object] | None = None) -> RebuildRound:
    """Both baselines, then the real rebuild and its VACUUM, all serial, over the same dossiers.

    The project baseline is the SELECT the rebuild inserts (``select_leaf_rows`` as the rebuild calls
    it); ``compare`` times that SELECT again with these keyword options (another way to count the same
    rows); :func:`counting_floor` is timed beside them. The rebuild is timed without its VACUUM (a
    baseline does not vacuum either: like for like), which is timed on its own; the leaf table's health
    is read after each. Last, the rebuilt leaves are written again without counting
    (:func:`timed_leaf_write`), after the health is read."""
    periods, today = rebuild_periods(), stats.today()
    project, project_rows = timed_table(*select_leaf_rows(periods, today))
    compared = timed_table(*select_leaf_rows(periods, today, **compare))[0] if compare else None
    plain, plain_rows = timed_table(PLAIN_BASELINE, [])
    counting, _rows = timed_table(*counting_floor(today))
    begun = database_now()
    started = time.monotonic()
    leaf_rows = stats.rebuild_all(vacuum=False)
    rebuild = time.monotonic() - started
    leaves = LeafCounts._meta.db_table
    after_rebuild = table_health(leaves)
    started = time.monotonic()
    stats.vacuum_aggregates()
    vacuum = time.monotonic() - started
    after_vacuum = table_health(leaves)
    write, _rows = timed_leaf_write()
    return RebuildRound(
        rebuild=rebuild,
        vacuum=vacuum,
        project=project,
        plain=plain,
        write=write,
        counting=counting,
        leaf_rows=leaf_rows,
        unit_rows=UnitCounts.objects.count(),
        project_rows=project_rows,
        plain_rows=plain_rows,
        periods=len(periods),
        leaves_after_rebuild=after_rebuild,
        leaves_after_vacuum=after_vacuum,
        analysed=after_vacuum.last_analyzed is not None and after_vacuum.last_analyzed >= begun,
        compared=compared,
    )


def prepare_scores(say: Callable[[str], None], *, backfill: int = BACKFILL) -> None:
    """What a score needs besides the dossiers, as a deployment has it: the calendar, the online and
    publication registers (demo contents when empty), the aggregates (rebuilt when empty) and the closed
    periods' snapshots filed by the nightly task (reads never file them; ``backfill``: how many closed
    weeks and months back, the task's own default unless a quick run asks for fewer). Adds no dossier."""
    today = stats.today()
    ensure_default_calendar(2024, today.year + 1)
    say(seed_registers(seed=1, today=today).line())
    if not LeafCounts.objects.exists():
        started = time.monotonic()
        rows = stats.rebuild_all()
        say(f"  statistics rebuilt: {rows:,} leaf rows in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    filed = snapshot_closed_periods(backfill=backfill)
    say(f"  snapshot task: {filed:,} snapshots filed in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    stats.drain_dirty()  # as the beat sweeper does within 2 s: the running periods' scores are stored
    say(f"  drain: running periods' scores stored in {time.monotonic() - started:.1f} s")


def last_month() -> str:
    """The key of the last closed month: the period the headline score and ranking figures read."""
    return containing(PeriodKind.MONTH, stats.today()).previous().key


def this_month() -> str:
    """The key of the month in progress: no snapshot until it closes; the drain stores its scores."""
    return containing(PeriodKind.MONTH, stats.today()).key


def score_url(unit: Unit, period: str | None = None) -> str:
    return f"/api/v1/units/{unit.code}/score/" + (f"?period={period}" if period else "")


def rankings_url(unit: Unit, period: str | None = None) -> str:
    return f"/api/v1/units/{unit.code}/rankings/" + (f"?period={period}" if period else "")


def time_scores(client: Client, url: str, count: int, *, uncached: bool) -> list[float]:
    """``count`` timed GETs of a score or ranking URL in ms; uncached: the process's scorer cache is
    emptied before each (the aggregates' versions are unchanged, so the cached figure is a hit)."""
    return time_requests(client, url, count, before_each=reports._SCORERS.clear if uncached else None)


def time_scores_set_aside(client: Client, url: str, count: int) -> list[float]:
    """As :func:`time_scores` (uncached), with the running periods' stored scores set aside: the epoch
    is moved, as a rebuild or a register change moves it, so every read scores live; then the drain
    stores them again, as the beat sweeper would."""
    bump_version(everything=True)
    get_ok(client, url)  # the catalogue facts of the new epoch, as a worker's first request reads them
    try:
        return time_scores(client, url, count, uncached=True)
    finally:
        stats.drain_dirty()


def child_of(province: Unit) -> Unit | None:
    """A child of the province to score (its rank is among all the province's children)."""
    return Unit.objects.filter(parent=province).order_by("code").first()


@dataclass(frozen=True)
class ScoringProfile:
    """Where an uncached ranking's time goes (p50, ms): the selector's read of the subtree (roll-up,
    petitions, facts), then the pure Python scoring of the children."""

    read: float
    scoring: float
    children: int


def profile_scoring(province: Unit, count: int) -> ScoringProfile:
    """``count`` reads and scorings of the province's children for the last closed month."""
    period = containing(PeriodKind.MONTH, stats.today()).previous()
    reads, scorings, children = [], [], 0
    for _ in range(count):
        started = time.perf_counter()
        read = subtree_inputs(province, period, stats.today())
        middle = time.perf_counter()
        children = len(SubtreeScorer(read).children_scores(province))
        reads.append(ms_since(started) - ms_since(middle))
        scorings.append(ms_since(middle))
    return ScoringProfile(statistics.median(reads), statistics.median(scorings), children)
