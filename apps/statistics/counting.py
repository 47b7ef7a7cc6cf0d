"""The one definition of which dossiers count in a period and how, as set-based SQL.

Every number the index shows comes from :func:`select_leaf_rows`: the full rebuild runs it over all
periods, the incremental path over dirty (unit, period) pairs, and the drill-down lists use the same
conditions (:data:`CONDITIONS`), so a number and its list cannot disagree.

Rules (docs/index-766.md, "Which dossiers count in a period"), for a period [start, end] judged on
``judged`` (its last day, or today for the current period):

* in the period: received (status ≥ 2, never registered-only or refused at intake) on or before ``end``,
  and either received on or after ``start`` or not ended before ``start`` (unfinished at its start);
* ended in the period: ``ended_on ≤ end`` (the end of processing: finished, else returned, else
  stopped/withdrawn); its class (early / on time / late) was fixed when it ended;
* unfinished at the end: overdue when a second supplement was requested, or when paused (open supplement
  request) after its due instant, or when not paused and its effective due date is before ``judged``;
  otherwise in time. Day granularity: a dossier due on the judged day is still in time that day.
* A dossier belongs to its handling unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection

from apps.statistics.models import COUNT_FIELDS, USAGE_COUNTS
from apps.statistics.periods import NAMED_KINDS, Period
from apps.statistics.running_sums import select_named_leaf_rows

# "received in the period, or unfinished at its start" — since a dossier never ends before it is
# received, that is: received by the end and not ended before the start.
IN_SET = (
    "d.status NOT IN (1, 3) AND d.received_on IS NOT NULL AND d.received_on <= p.end_day"
    " AND (d.ended_on IS NULL OR d.ended_on >= p.start_day)"
)
ENDED = "(d.ended_on IS NOT NULL AND d.ended_on <= p.end_day)"
OPEN_OVERDUE = (
    f"(NOT {ENDED} AND (d.supplement_count >= 2"
    " OR (d.paused_since IS NOT NULL AND d.paused_since > d.effective_due_at)"
    " OR (d.paused_since IS NULL AND d.due_on < p.judged_day)))"
)
OPEN_IN_TIME = f"(NOT {ENDED} AND NOT {OPEN_OVERDUE})"
LATE = f"(({ENDED} AND d.timeliness = 'late') OR {OPEN_OVERDUE})"
RECEIVED = "(d.received_on >= p.start_day)"

# name -> SQL boolean over (d: the dossier, v: its procedure version, p: the period), within IN_SET.
CONDITIONS: dict[str, str] = {
    "received": RECEIVED,
    "received_synced": f"({RECEIVED} AND d.portal_synced)",
    "received_online_counted": (
        f"({RECEIVED} AND d.channel = 2 AND (NOT v.paper_result_required OR d.electronic_result_issued))"
    ),
    "received_reused": f"({RECEIVED} AND d.data_reused)",
    "in_period": "(1 = 1)",
    "on_time": f"(({ENDED} AND d.timeliness IN ('early', 'on_time')) OR {OPEN_IN_TIME})",
    "ended": ENDED,
    "ended_early": f"({ENDED} AND d.timeliness = 'early')",
    "ended_on_time": f"({ENDED} AND d.timeliness = 'on_time')",
    "ended_late": f"({ENDED} AND d.timeliness = 'late')",
    "open_in_time": OPEN_IN_TIME,
    "open_overdue": OPEN_OVERDUE,
    "e_result": "(d.electronic_result_issued)",
    "digitized": "(d.inputs_digitized)",
    "personal_storage": "(d.personal_storage_synced)",
    "eid": "(d.applicant_eid_verified)",
    "fee_dossiers": "(d.fee_amount > 0)",
    "fee_paid_online": "(d.fee_amount > 0 AND d.paid_online)",
    "fee_synced": "(d.fee_amount > 0 AND d.fee_data_synced)",
    "satisfactory": f"(NOT (d.rating = 'dissatisfied' OR d.has_petition OR {LATE}))",
    "online_received": f"({RECEIVED} AND d.channel = 2)",
}
SUMS: dict[str, str] = {
    "processing_minutes": f"CASE WHEN {ENDED} THEN COALESCE(d.processing_minutes, 0) ELSE 0 END"
}


def _expression(field: str) -> str:
    if field in SUMS:
        return f"SUM({SUMS[field]})"
    return f"SUM(CASE WHEN {CONDITIONS[field]} THEN 1 ELSE 0 END)"


def periods_cte(periods: Sequence[Period], today: dt.date) -> tuple[str, list]:
    """A ``periods`` CTE listing (kind, start_day, end_day, judged_day); values are bound parameters."""
    rows, params = [], []
    for period in periods:
        rows.append("(%s, %s, %s, %s)")
        params += [period.kind.value, period.start, period.end, period.judged_on(today)]
    columns = "period_kind, start_day, end_day, judged_day"
    return f"periods ({columns}) AS (VALUES {', '.join(rows)})", params


def select_leaf_rows(
    periods: Sequence[Period],
    today: dt.date,
    unit_ids: Iterable[int] | None = None,
    *,
    by_join: bool = False,
) -> tuple[str, list]:
    """SELECT (unit_id, procedure_id, period_kind, period_start, *COUNT_FIELDS) for the periods.

    The full rebuild, the drain and the midnight refresh ask for named periods: those are computed as
    running sums of each dossier's dated events (:mod:`apps.statistics.running_sums`), one grouped scan
    of the dossiers. A live date range, or ``by_join=True`` (the tests and the benchmark compare the
    two), joins each dossier with the periods it belongs to (:data:`IN_SET`) and evaluates
    :data:`CONDITIONS` on every membership: the definition the running sums are derived from.
    """
    if not by_join and periods and all(p.kind in NAMED_KINDS for p in periods):
        return select_named_leaf_rows(periods, today, unit_ids)
    cte, params = periods_cte(periods, today)
    unit_filter = ""
    if unit_ids is not None:
        ids = sorted(set(unit_ids))
        if not ids:
            ids = [-1]
        unit_filter = f" AND d.handling_unit_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    counts = ",\n       ".join(f"{_expression(f)} AS {f}" for f in COUNT_FIELDS)
    sql = f"""WITH {cte}
SELECT d.handling_unit_id AS unit_id, d.procedure_id AS procedure_id,
       p.period_kind AS period_kind, p.start_day AS period_start,
       {counts}
FROM dossiers_dossier d
JOIN catalogue_procedureversion v ON v.id = d.procedure_version_id
JOIN periods p ON {IN_SET}
WHERE 1 = 1{unit_filter}
GROUP BY d.handling_unit_id, d.procedure_id, p.period_kind, p.start_day"""
    return sql, params


LEAF_TABLE = "statistics_leafcounts"


def insert_leaf_rows(
    periods: Sequence[Period],
    today: dt.date,
    unit_ids: Iterable[int] | None = None,
    *,
    table: str = LEAF_TABLE,
):
    """INSERT … SELECT the leaves for the periods (the caller deletes the old rows first); ``table``:
    the leaf table, or the fresh copy a PostgreSQL rebuild swaps in (:mod:`.leaf_swap`)."""
    select, params = select_leaf_rows(periods, today, unit_ids)
    columns = ", ".join(["unit_id", "procedure_id", "period_kind", "period_start", *COUNT_FIELDS])
    return f"INSERT INTO {table} ({columns})\n{select}", params


def _procedures_where(count: str) -> str:
    """The ascending, comma-separated ids of the procedures whose leaf has ``count`` positive."""
    ids = f"CASE WHEN l.{count} > 0 THEN l.procedure_id END"
    if connection.vendor == "postgresql":
        return f"COALESCE(string_agg(({ids})::text, ',' ORDER BY l.procedure_id), '')"
    return f"COALESCE(group_concat({ids}, ','), '')"  # rows come ordered by procedure (see below)


def select_unit_rows(leaves: str) -> str:
    """SELECT the roll-up rows (unit_id, period_kind, period_start, *COUNT_FIELDS, *used_<count>) of the
    leaf-shaped rows ``leaves`` (a FROM item aliased ``l``): one row per unit and period."""
    sums = ", ".join(f"SUM(l.{name}) AS {name}" for name in COUNT_FIELDS)
    used = ", ".join(f"{_procedures_where(name)} AS used_{name}" for name in USAGE_COUNTS)
    return (
        f"SELECT l.unit_id AS unit_id, l.period_kind AS period_kind, l.period_start AS period_start,"
        f" {sums}, {used}\nFROM {leaves}\nGROUP BY l.unit_id, l.period_kind, l.period_start"
    )


UNIT_ROW_COLUMNS = (
    "unit_id",
    "period_kind",
    "period_start",
    *COUNT_FIELDS,
    *(f"used_{n}" for n in USAGE_COUNTS),
)


def insert_unit_rows(
    periods: Sequence[Period] | None = None,
    unit_ids: Iterable[int] | None = None,
    *,
    leaves: str = LEAF_TABLE,
) -> tuple[str, list]:
    """INSERT … SELECT the roll-up rows of the units (all: ``None``) for the periods (all: ``None``)
    from the stored leaves (``leaves``: the table they were just written to); the caller deletes the
    old roll-up rows first. The rebuild, the drain and the midnight refresh all run this."""
    where, params = ["1 = 1"], []
    if periods is not None:
        pairs = " OR ".join(["(period_kind = %s AND period_start = %s)"] * len(periods)) or "1 = 0"
        where.append(f"({pairs})")
        params += [value for p in periods for value in (p.kind.value, p.start)]
    if unit_ids is not None:
        ids = sorted(set(unit_ids)) or [-1]
        where.append(f"unit_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    # SQLite's group_concat has no ORDER BY before 3.44: it concatenates in the order rows arrive.
    order = (
        ""
        if connection.vendor == "postgresql"
        else " ORDER BY unit_id, period_kind, period_start, procedure_id"
    )
    source = f"(SELECT * FROM {leaves} WHERE {' AND '.join(where)}{order}) l"
    sql = f"INSERT INTO statistics_unitcounts ({', '.join(UNIT_ROW_COLUMNS)})\n{select_unit_rows(source)}"
    return sql, params
