"""Keeping the leaf aggregates right: full rebuild, recompute of dirty (unit, period) pairs, dirty marking.

Both paths run the same SQL (:mod:`apps.statistics.counting`), which is what makes "incremental equals
rebuild" hold by construction; a test checks it on random histories.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from apps.organisation.models import Unit
from apps.statistics.counting import insert_leaf_rows, insert_unit_rows
from apps.statistics.current_scores import rescore, running_periods
from apps.statistics.leaf_swap import FRESH_TABLE, fill_fresh_table, swap_in_fresh_table
from apps.statistics.models import (
    COUNT_FIELDS,
    USAGE_COUNTS,
    DirtyLeaf,
    LeafCounts,
    ScoreSnapshot,
    UnitCounts,
)
from apps.statistics.periods import NAMED_KINDS, Period, PeriodKind, containing, overlapping
from apps.statistics.versions import bump_version

logger = logging.getLogger(__name__)

# A dossier open for years would dirty hundreds of weeks; beyond this many periods per kind, the
# nightly rebuild (which is exact) catches up instead.
MAX_PERIODS_PER_KIND = 120


def today() -> dt.date:
    return timezone.localdate()


def named_periods_between(first: dt.date, last: dt.date) -> list[Period]:
    return [period for kind in NAMED_KINDS for period in overlapping(kind, first, last)]


def tune_for_bulk_aggregation() -> None:
    """Within the current transaction on PostgreSQL: room to hash-aggregate in memory, hashing rather
    than sorting, and no JIT (compiling the expressions costs more than it saves at these row counts).

    Serial: PostgreSQL never runs the SELECT of an ``INSERT … SELECT`` in parallel, so a benchmark
    comparing it with a ``CREATE TABLE … AS`` of the same SELECT (which could) runs both serially.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            # The planner cannot estimate how many (unit, procedure, atom) groups the running sums'
            # events fall into and sorts the 2 events per dossier instead of hashing them: at 10 M
            # dossiers an external sort of 2.4 GB, twice the time (docs/benchmarks.md).
            cursor.execute("SET LOCAL enable_sort = off")


AGGREGATE_TABLES = (LeafCounts._meta.db_table, UnitCounts._meta.db_table)


def analyze_aggregates(*tables: str) -> None:
    """Fresh planner statistics after a bulk rewrite (PostgreSQL; inside the writing transaction, where
    ANALYZE counts the transaction's own new rows as live and its deleted ones as dead); ``tables``:
    the aggregate tables unless named."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables or AGGREGATE_TABLES)}")


def vacuum_aggregates() -> bool:
    """Reclaim the rows a full rewrite deleted (PostgreSQL, outside any transaction; else a no-op).

    A rebuild deletes the roll-up rows rather than truncating, so reads never wait for it (the leaves
    are a fresh table swapped in, :mod:`.leaf_swap`); this turns the old rows back into free space at
    once instead of whenever autovacuum gets to them.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(AGGREGATE_TABLES)}")
    return True


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def rebuild_all(*, on: dt.date | None = None, vacuum: bool = True) -> int:
    """Recompute every leaf and roll-up row of every named period from the first receipt until ``on``
    (default today); then, unless inside a transaction or told not to, vacuum the rewritten tables."""
    inserted = _rebuild_all(on or today())
    if vacuum:
        vacuum_aggregates()
    return inserted


@transaction.atomic
def _rebuild_all(on: dt.date) -> int:
    from apps.dossiers.models import Dossier

    _serialise_drains()
    bounds = Dossier.objects.filter(received_on__isnull=False).aggregate(
        first=Min("received_on"), last=Max("received_on")
    )
    DirtyLeaf.objects.all().delete()
    UnitCounts.objects.all().delete()
    if bounds["first"] is None:
        LeafCounts.objects.all().delete()
        bump_version(everything=True)
        return 0
    periods = named_periods_between(bounds["first"], max(on, bounds["last"]))
    tune_for_bulk_aggregation()
    # One statement over every period: the dossier table is scanned once and each dossier's dated
    # events are summed (running_sums.py); then the roll-up, one grouped pass over the new leaves.
    if connection.vendor == "postgresql":  # into a fresh table, swapped in at the end (leaf_swap.py)
        inserted = fill_fresh_table(periods, on)
        units = _execute(*insert_unit_rows(leaves=FRESH_TABLE))
        analyze_aggregates(FRESH_TABLE, UnitCounts._meta.db_table)
        swap_in_fresh_table()
    else:
        LeafCounts.objects.all().delete()
        inserted = _execute(*insert_leaf_rows(periods, on))
        units = _execute(*insert_unit_rows())
        analyze_aggregates()
    bump_version(everything=True)
    logger.info("rebuilt %s leaf rows and %s unit rows over %s periods", inserted, units, len(periods))
    return inserted


def recompute(pairs: Iterable[tuple[int, str, dt.date]], *, on: dt.date | None = None) -> int:
    """Recompute the leaves of the given (unit id, period kind, period start) pairs."""
    on = on or today()
    by_period: dict[tuple[str, dt.date], set[int]] = defaultdict(set)
    for unit_id, kind, start in pairs:
        by_period[(kind, start)].add(unit_id)
    # Periods sharing the same set of units go in one statement.
    by_units: dict[frozenset[int], list[Period]] = defaultdict(list)
    for (kind, start), units in by_period.items():
        by_units[frozenset(units)].append(containing(PeriodKind(kind), start))
    inserted = 0
    with transaction.atomic():
        for units, periods in by_units.items():
            for period in periods:
                for model in (LeafCounts, UnitCounts):
                    model.objects.filter(
                        period_kind=period.kind.value, period_start=period.start, unit_id__in=units
                    ).delete()
            inserted += _execute(*insert_leaf_rows(periods, on, units))
            _execute(*insert_unit_rows(periods, units))
    return inserted


def dirty_pairs_for(unit_ids: Iterable[int], first: dt.date, last: dt.date) -> list[tuple[int, str, dt.date]]:
    pairs = []
    for kind in NAMED_KINDS:
        periods = overlapping(kind, first, last)[-MAX_PERIODS_PER_KIND:]
        pairs += [(unit_id, kind.value, p.start) for unit_id in set(unit_ids) for p in periods]
    return pairs


def mark_dirty(pairs: list[tuple[int, str, dt.date]]) -> None:
    """Append the marks in the caller's transaction (plain inserts: nothing to wait for, see DirtyLeaf)."""
    DirtyLeaf.objects.bulk_create(
        [DirtyLeaf(unit_id=u, period_kind=k, period_start=s) for u, k, s in set(pairs)],
        batch_size=5000,
    )


def pending_marks() -> int:
    return DirtyLeaf.objects.count()


# One drain (or rebuild) at a time on PostgreSQL: two drains recomputing the same pair would both delete
# its leaves and then collide inserting them.
DRAIN_LOCK_KEY = 7_000_424_511
DRAIN_LOCK_WAIT = "10s"


def _serialise_drains() -> None:
    """Inside the drain's transaction (PostgreSQL): wait for a running drain, and let the server notice
    within a second if this process dies mid-statement (``kill -9``), so the transaction rolls back and
    its claimed marks are back for the next drain at once, not when the statement would have ended."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{DRAIN_LOCK_WAIT}'")
        if connection.pg_version >= 140000:
            cursor.execute("SET LOCAL client_connection_check_interval = '1s'")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DRAIN_LOCK_KEY])
        cursor.execute("SET LOCAL lock_timeout TO DEFAULT")


def _claim(pairs: set[tuple[int, str, dt.date]]) -> None:
    """Delete every committed mark of these pairs, not only the oldest ones read: a pair marked by many
    writers since the last drain is then recomputed once, not once per batch its marks fall in."""
    units_by_period: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
    for unit_id, kind, start in pairs:
        units_by_period[(kind, start)].append(unit_id)
    for (kind, start), unit_ids in units_by_period.items():
        DirtyLeaf.objects.filter(period_kind=kind, period_start=start, unit_id__in=unit_ids).delete()


def drain_dirty(*, batch: int = 5000, on: dt.date | None = None) -> int:
    """Claim dirty pairs (deleting their marks) and recompute them, in one transaction per batch of pairs
    read from the oldest marks.

    The claim is the delete: if the process dies before commit, the transaction rolls back and the marks
    are there again for the next drain (no lease to expire). A change committed after the claim has
    its own mark, recomputed by the next batch or drain: nothing is lost, and recomputing from source
    rows twice is harmless. Each transaction also stores the running periods' scores of what it
    recomputed, and every drain scores again the stored rows that no longer hold (:mod:`.current_scores`).
    Returns the number of (unit, period) pairs recomputed.
    """
    started, total, stored = time.monotonic(), 0, 0
    while True:
        with transaction.atomic():
            _serialise_drains()
            pairs = set(
                DirtyLeaf.objects.order_by("id").values_list("unit_id", "period_kind", "period_start")[:batch]
            )
            if pairs:
                _claim(pairs)
                recompute(pairs, on=on)
            # The running periods' stored scores, beside the roll-up just written; with nothing dirty,
            # the rows a rebuild, a register change, a new unit or a new day left stale.
            stored += rescore(pairs, on or today())
            if pairs:
                bump_version(periods={(kind, start) for _unit, kind, start in pairs})
        if not pairs:
            break
        total += len(pairs)
    if total or stored:
        logger.info(
            "recomputed %s dirty unit-periods and stored %s running scores in %.3f s",
            total,
            stored,
            time.monotonic() - started,
        )
    return total


_LEAF_KEY = ("unit_id", "procedure_id", "period_kind", "period_start")
_UNIT_KEY = ("unit_id", "period_kind", "period_start")
_USED_COLUMNS = tuple(f"used_{name}" for name in USAGE_COUNTS)


def differences_from_rebuild() -> int:
    """How many leaf and roll-up rows (by unit, procedure and period; by unit and period) the live
    aggregates get wrong: a full rebuild is computed and compared in a transaction that is then rolled
    back, so nothing changes.

    Meaningful once the pending marks are drained, on a quiet system (a change committed during the
    comparison shows up as a difference).
    """
    compared = [
        (LeafCounts._meta.db_table, _LEAF_KEY, (*_LEAF_KEY, *COUNT_FIELDS)),
        (UnitCounts._meta.db_table, _UNIT_KEY, (*_UNIT_KEY, *COUNT_FIELDS, *_USED_COLUMNS)),
    ]
    differing = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table, _keys, columns in compared:
                cursor.execute(f"DROP TABLE IF EXISTS live_{table}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE live_{table} AS SELECT {', '.join(columns)} FROM {table}"
                )
        rebuild_all()
        with connection.cursor() as cursor:
            for table, key, columns in compared:
                keys, cols = ", ".join(key), ", ".join(columns)
                cursor.execute(
                    f"SELECT COUNT(*) FROM ("
                    f"SELECT {keys} FROM (SELECT {cols} FROM live_{table}"
                    f" EXCEPT SELECT {cols} FROM {table}) AS gone"
                    f" UNION SELECT {keys} FROM (SELECT {cols} FROM {table}"
                    f" EXCEPT SELECT {cols} FROM live_{table}) AS new) AS differing"
                )
                differing += cursor.fetchone()[0]
                cursor.execute(f"DROP TABLE live_{table}")
        transaction.set_rollback(True)
    return differing


@transaction.atomic
def refresh_current_periods(*, on: dt.date | None = None) -> int:
    """Recompute every unit's leaves for the periods containing ``on`` (run just after midnight)."""
    on = on or today()
    _serialise_drains()
    periods = running_periods(on)
    tune_for_bulk_aggregation()  # every unit's dossiers, like the rebuild
    for period in periods:
        for model in (LeafCounts, UnitCounts):
            model.objects.filter(period_kind=period.kind.value, period_start=period.start).delete()
    inserted = _execute(*insert_leaf_rows(periods, on))
    _execute(*insert_unit_rows(periods))
    # Every unit's running scores, judged on the new day like the roll-up just written: a drain since
    # midnight may have stored them from the roll-up still judged on the day before.
    unit_ids = list(Unit.objects.values_list("pk", flat=True))
    rescore([(unit_id, p.kind.value, p.start) for unit_id in unit_ids for p in periods], on)
    bump_version(periods={(p.kind.value, p.start) for p in periods})
    return inserted


def register_changed(authority: Unit, first_day: dt.date) -> None:
    """A province's offerings or publication decisions changed from ``first_day`` on.

    Those registers are read at scoring time, not stored in the leaves, so nothing is recomputed here:
    read caches are told that everything may have changed, and the frozen scores of the province's
    closed weeks and months from ``first_day`` on are dropped, to be scored again on first use.
    """
    units = Unit.objects.subtree_of(authority).values("pk")
    for kind in (PeriodKind.WEEK, PeriodKind.MONTH):
        ScoreSnapshot.objects.filter(
            unit_id__in=units, period_kind=kind.value, period_start__gte=containing(kind, first_day).start
        ).delete()
    bump_version(everything=True)
