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

from apps.statistics.models import COUNT_FIELDS
from apps.statistics.periods import Period

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
    periods: Sequence[Period], today: dt.date, unit_ids: Iterable[int] | None = None
) -> tuple[str, list]:
    """SELECT (unit_id, procedure_id, period_kind, period_start, *COUNT_FIELDS) for the periods."""
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


def insert_leaf_rows(periods: Sequence[Period], today: dt.date, unit_ids: Iterable[int] | None = None):
    """INSERT … SELECT the leaves for the periods (the caller deletes the old rows first)."""
    select, params = select_leaf_rows(periods, today, unit_ids)
    columns = ", ".join(["unit_id", "procedure_id", "period_kind", "period_start", *COUNT_FIELDS])
    return f"INSERT INTO statistics_leafcounts ({columns})\n{select}", params
