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
import re
from collections.abc import Iterable, Sequence

from django.db import connection

from apps.statistics.models import COUNT_FIELDS, USAGE_COUNTS
from apps.statistics.periods import NAMED_KINDS, Period

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


def _columns_read(alias: str) -> list[str]:
    """The columns of ``alias`` (``d``: the dossier, ``v``: its procedure version) the counting SQL
    reads, found in its own text so that the list cannot drift from the conditions."""
    text = " ".join([IN_SET, *CONDITIONS.values(), *SUMS.values()])
    return sorted(set(re.findall(rf"\b{alias}\.(\w+)", text)))


# PostgreSQL's date_trunc field for each named kind is the kind's own name; these are the steps.
_STEPS = {"week": "7 days", "month": "1 month", "quarter": "3 months", "year": "1 year"}


def _one_pass_memberships(unit_filter: str) -> tuple[str, str]:
    """PostgreSQL, named periods: (an extra CTE, the FROM item ``d``) where each dossier emits its own
    memberships, about one row per period kind for a dossier handled within a week.

    Per kind, a dossier belongs to the contiguous run of periods from the one containing its receipt to
    the one containing its end (or the last period asked for); ``generate_series`` emits that run's
    starts, clipped to the first and last period asked for, and an equality join then picks each
    period's row, which drops the starts not asked for (the drain asks for scattered periods).
    :data:`IN_SET` is still applied to the emitted rows, so the rows are exactly those of comparing
    every dossier with every period (a PostgreSQL test compares the two). ``OFFSET 0`` keeps the
    planner from joining the periods first (it cannot estimate the series' length, and would compare
    every dossier with every period again before expanding).
    """
    steps = " ".join(f"WHEN '{kind}' THEN interval '{step}'" for kind, step in _STEPS.items())
    kinds = (
        ",\nkinds AS (SELECT period_kind, MIN(start_day) AS first_start, MAX(start_day) AS last_start,"
        f" CASE period_kind {steps} END AS step FROM periods GROUP BY period_kind)"
    )
    dossier = {"handling_unit_id", "procedure_id", *_columns_read("d")}
    columns = [f"d.{name}" for name in sorted(dossier)]
    columns += [f"v.{name} AS v_{name}" for name in _columns_read("v")]
    source = f"""(
    SELECT {", ".join(columns)}, k.period_kind AS member_kind, m.start_at::date AS member_start
    FROM dossiers_dossier d
    JOIN catalogue_procedureversion v ON v.id = d.procedure_version_id
    CROSS JOIN kinds k
    CROSS JOIN LATERAL generate_series(
        GREATEST(date_trunc(k.period_kind, d.received_on::timestamp), k.first_start::timestamp),
        LEAST(date_trunc(k.period_kind, COALESCE(d.ended_on, k.last_start)::timestamp),
              k.last_start::timestamp),
        k.step) AS m(start_at)
    WHERE d.status NOT IN (1, 3) AND d.received_on IS NOT NULL{unit_filter}
    OFFSET 0
) d
JOIN periods p ON p.period_kind = d.member_kind AND p.start_day = d.member_start AND {IN_SET}"""
    return kinds, source


def select_leaf_rows(
    periods: Sequence[Period],
    today: dt.date,
    unit_ids: Iterable[int] | None = None,
    *,
    one_pass: bool = False,
) -> tuple[str, list]:
    """SELECT (unit_id, procedure_id, period_kind, period_start, *COUNT_FIELDS) for the periods.

    The full rebuild, the drain and live date ranges all run this: each dossier joined with the periods
    it belongs to (:data:`IN_SET`), one scan of the dossiers whatever the number of periods.
    ``one_pass=True`` (PostgreSQL, named periods) emits each dossier's memberships directly instead
    (:func:`_one_pass_memberships`): the same rows (a test compares them), but measured about 3× slower
    at 1M dossiers (docs/benchmarks.md), so it is kept for the benchmark and not used by default.
    """
    cte, params = periods_cte(periods, today)
    unit_filter = ""
    if unit_ids is not None:
        ids = sorted(set(unit_ids))
        if not ids:
            ids = [-1]
        unit_filter = f" AND d.handling_unit_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    counts = ",\n       ".join(f"{_expression(f)} AS {f}" for f in COUNT_FIELDS)
    if one_pass and connection.vendor == "postgresql" and all(p.kind in NAMED_KINDS for p in periods):
        kinds, source = _one_pass_memberships(unit_filter)
        where = ""
        counts = re.sub(r"\bv\.(\w+)", r"d.v_\1", counts)  # the version's columns came along as d.v_*
    else:
        kinds = ""
        source = (
            "dossiers_dossier d\nJOIN catalogue_procedureversion v ON v.id = d.procedure_version_id\n"
            f"JOIN periods p ON {IN_SET}"
        )
        where = f"\nWHERE 1 = 1{unit_filter}"
    sql = f"""WITH {cte}{kinds}
SELECT d.handling_unit_id AS unit_id, d.procedure_id AS procedure_id,
       p.period_kind AS period_kind, p.start_day AS period_start,
       {counts}
FROM {source}{where}
GROUP BY d.handling_unit_id, d.procedure_id, p.period_kind, p.start_day"""
    return sql, params


def insert_leaf_rows(periods: Sequence[Period], today: dt.date, unit_ids: Iterable[int] | None = None):
    """INSERT … SELECT the leaves for the periods (the caller deletes the old rows first)."""
    select, params = select_leaf_rows(periods, today, unit_ids)
    columns = ", ".join(["unit_id", "procedure_id", "period_kind", "period_start", *COUNT_FIELDS])
    return f"INSERT INTO statistics_leafcounts ({columns})\n{select}", params


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
    periods: Sequence[Period] | None = None, unit_ids: Iterable[int] | None = None
) -> tuple[str, list]:
    """INSERT … SELECT the roll-up rows of the units (all: ``None``) for the periods (all: ``None``)
    from the stored leaves, which the caller has just written; the caller deletes the old roll-up rows
    first. The rebuild, the drain and the midnight refresh all run this."""
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
    leaves = f"(SELECT * FROM statistics_leafcounts WHERE {' AND '.join(where)}{order}) l"
    sql = f"INSERT INTO statistics_unitcounts ({', '.join(UNIT_ROW_COLUMNS)})\n{select_unit_rows(leaves)}"
    return sql, params
