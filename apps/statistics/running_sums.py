"""The leaves of named periods as running sums of dated flows, so a rebuild costs one grouped scan.

Why: comparing every dossier with every period (:func:`apps.statistics.counting.select_leaf_rows`'s
join) makes about 8 membership rows per dossier and evaluates the 22 conditions on each; at 10 M
dossiers that is 80 M rows. But every count of a named period is a sum over the dossiers that is
*piecewise constant in time*: a dossier enters the period stock on the day it is received, may turn
overdue on one later day, and leaves on the day it ends. So each dossier is turned into at most three
dated events (received, ended, turned overdue), the events are summed per unit, procedure and calendar
*atom* (the days a week and a month share, so that every atom lies in exactly one week, month, quarter and
year), the atoms are summed into the periods of each kind, and the stocks are running sums over the
periods in order. The rules are :mod:`apps.statistics.counting`'s, rewritten as flows:

* in the period = received by its end − ended before its start = ``cum(R) − cum(E) + E``, where ``R`` and
  ``E`` are the receipts and ends within a period and ``cum`` runs up to and including it (the same for
  each dossier flag counted over the period's dossiers, and for "satisfactory"'s base);
* unfinished at its end = ``cum(R) − cum(E)``; of those, overdue = the running sum of "turned overdue"
  (+1) and "ended while overdue" (−1) events. The overdue test of :data:`counting.OPEN_OVERDUE` has three
  values in SQL: a dossier whose due date is unknown is neither overdue nor in time (and not
  satisfactory), so "not in time" (overdue or unknown) has its own running sum;
* a dossier that is not paused turns overdue on the day after its due date, as judged on the period's
  last day, or today for the current period: only the days up to today can turn one overdue.

It relies on a domain invariant the services keep (transitions and corrections refuse earlier times):
a dossier never ends before it is received. Live date ranges (:class:`~apps.statistics.periods.PeriodKind`
``RANGE``) still use the join: one range needs no running sum. A test compares both methods' rows for
every period, scattered subsets and one unit, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from django.db import connection

from apps.statistics.periods import NAMED_KINDS, Period, containing, overlapping

# Per dossier, computed once (a subquery fenced from the planner's flattening): 0/1 flags and values.
# ``good``: not dissatisfied and no petition, the part of "satisfactory" that does not depend on time.
# Overdue states (see counting.OPEN_OVERDUE): ``always``: overdue whatever the day (a second supplement,
# or paused after the due instant); ``unknown``: neither overdue nor in time (no due date to judge by);
# otherwise, when not paused, overdue from the day after ``due_on``, once that day is at most today.
_ALWAYS = "(d.supplement_count >= 2 OR (d.paused_since IS NOT NULL AND d.paused_since > d.effective_due_at))"
_UNKNOWN = (
    "(d.supplement_count < 2 AND ((d.paused_since IS NOT NULL AND d.effective_due_at IS NULL)"
    " OR (d.paused_since IS NULL AND d.due_on IS NULL)))"
)
_DATED = (
    "(d.supplement_count < 2 AND d.paused_since IS NULL AND d.due_on IS NOT NULL AND d.due_on < %(today)s)"
)


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


# The dossiers the running sums read, each with its procedure version: received (status ≥ 2, never
# registered-only or refused at intake). A WHERE clause, so a caller may AND more conditions to it.
COUNTED_DOSSIERS = (
    "FROM dossiers_dossier d JOIN catalogue_procedureversion v ON v.id = d.procedure_version_id"
    " WHERE d.status NOT IN (1, 3) AND d.received_on IS NOT NULL"
)

# name -> SQL over d (the dossier) and v (its procedure version); evaluated once per dossier. (The rebuild
# benchmark sums them once more, alone, as a floor under the counting: statistics/benchmarking.py.)
PER_DOSSIER: dict[str, str] = {
    "good": _flag("NOT (d.rating = 'dissatisfied' OR d.has_petition)"),
    "e_result": _flag("d.electronic_result_issued"),
    "digitized": _flag("d.inputs_digitized"),
    "storage": _flag("d.personal_storage_synced"),
    "eid": _flag("d.applicant_eid_verified"),
    "fee": _flag("d.fee_amount > 0"),
    "fee_paid_online": _flag("d.fee_amount > 0 AND d.paid_online"),
    "fee_synced": _flag("d.fee_amount > 0 AND d.fee_data_synced"),
    "synced": _flag("d.portal_synced"),
    "online_counted": _flag("d.channel = 2 AND (NOT v.paper_result_required OR d.electronic_result_issued)"),
    "reused": _flag("d.data_reused"),
    "online": _flag("d.channel = 2"),
    "early": _flag("d.timeliness = 'early'"),
    "on_time": _flag("d.timeliness = 'on_time'"),
    "late": _flag("d.timeliness = 'late'"),
    "minutes": "COALESCE(d.processing_minutes, 0)",
    # overdue from the receipt on; overdue before the end (what the end takes away again)
    "overdue_at_receipt": _flag(f"{_ALWAYS} OR ({_DATED} AND d.due_on < d.received_on)"),
    "overdue_at_end": _flag(f"{_ALWAYS} OR ({_DATED} AND d.due_on < d.ended_on)"),
    "unknown": _flag(_UNKNOWN),
}
# Counted over a period's dossiers (a stock): received − ended, each kept per flag.
_STOCK_FLAGS = ("e_result", "digitized", "storage", "eid", "fee", "fee_paid_online", "fee_synced", "good")
_RECEIPT_FLAGS = ("synced", "online_counted", "reused", "online")
_END_FLAGS = ("early", "on_time", "late", "minutes")


def _event_sums() -> dict[str, str]:
    """name -> SUM over the event rows ``ev`` (r, e, o: 1 for a receipt, an end, turning overdue)."""
    turned = "(ev.r * x.overdue_at_receipt - ev.e * x.overdue_at_end + ev.o)"
    not_in_time = f"({turned} + (ev.r - ev.e) * x.unknown)"
    sums = {"r": "SUM(ev.r)", "e": "SUM(ev.e)"}
    sums |= {f"r_{flag}": f"SUM(ev.r * x.{flag})" for flag in (*_STOCK_FLAGS, *_RECEIPT_FLAGS)}
    sums |= {f"e_{flag}": f"SUM(ev.e * x.{flag})" for flag in (*_STOCK_FLAGS, *_END_FLAGS)}
    sums["e_late_good"] = "SUM(ev.e * x.late * x.good)"
    sums["overdue"] = f"SUM({turned})"
    sums["not_in_time"] = f"SUM({not_in_time})"
    sums["not_in_time_good"] = f"SUM({not_in_time} * x.good)"
    return {name: _typed(name, total) for name, total in sums.items()}


def _typed(name: str, total: str) -> str:
    """Sums kept as 4-byte integers (minutes as 8): PostgreSQL sums 8-byte integers as ``numeric``,
    several times slower to add and to hold in the grouping and window states."""
    return f"CAST({total} AS {'BIGINT' if name == 'e_minutes' else 'INTEGER'})"


# Of the event sums, those whose running total (a stock) is needed, not only the period's own flow.
_RUNNING = ("r", "e", *(f"{side}_{flag}" for flag in _STOCK_FLAGS for side in "re"))
_RUNNING += ("overdue", "not_in_time", "not_in_time_good")


def _stock(flag: str) -> str:
    return f"c_r_{flag} - c_e_{flag} + e_{flag}"


# Leaf column -> SQL over the running rows (c_<x>: running total of flow x up to and including the period).
_LEAF_COLUMNS: dict[str, str] = {
    "received": "r",
    "received_synced": "r_synced",
    "received_online_counted": "r_online_counted",
    "received_reused": "r_reused",
    "in_period": "c_r - c_e + e",
    "on_time": "e_early + e_on_time + (c_r - c_e - c_not_in_time)",
    "ended": "e",
    "ended_early": "e_early",
    "ended_on_time": "e_on_time",
    "ended_late": "e_late",
    "open_in_time": "c_r - c_e - c_not_in_time",
    "open_overdue": "c_overdue",
    "processing_minutes": "e_minutes",
    "e_result": _stock("e_result"),
    "digitized": _stock("digitized"),
    "personal_storage": _stock("storage"),
    "eid": _stock("eid"),
    "fee_dossiers": _stock("fee"),
    "fee_paid_online": _stock("fee_paid_online"),
    "fee_synced": _stock("fee_synced"),
    "satisfactory": f"{_stock('good')} - e_late_good - c_not_in_time_good",
    "online_received": "r_online",
}


class _Dialect:
    """The few date and planner expressions PostgreSQL and SQLite spell differently."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def next_day(self, day: str) -> str:
        return f"({day} + 1)" if self.postgres else f"date({day}, '+1 day')"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"MAX({a}, {b})"

    @property
    def fence(self) -> str:
        """Keeps the per-dossier subquery from being merged into the outer query (which would evaluate
        its expressions once per reference)."""
        return "OFFSET 0" if self.postgres else "LIMIT -1 OFFSET 0"


class _Params:
    """Named placeholders while the query is composed, positional (``%s``, in order) at the end: the
    callers add SQL around it and pass a list."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def add(self, name: str, value: object) -> str:
        self.values[name] = value
        return f"%({name})s"

    def rows(self, name: str, columns: Sequence[str], rows: Sequence[tuple]) -> str:
        """A CTE of literal rows, its columns named on the CTE (the one spelling PostgreSQL and SQLite
        share; a multi-row VALUES is not held to SQLite's 500-term limit on compound SELECTs)."""
        values = []
        for i, row in enumerate(rows):
            cells = [self.add(f"{name}_{i}_{j}", value) for j, value in enumerate(row)]
            values.append(f"({', '.join(cells)})")
        return f"{name} ({', '.join(columns)}) AS (VALUES {', '.join(values)})"

    def positional(self, query: str) -> tuple[str, list]:
        params: list = []

        def take(match: re.Match) -> str:
            params.append(self.values[match[1]])
            return "%s"

        return re.sub(r"%\((\w+)\)s", take, query), params


def _atom(day: dt.date) -> dt.date:
    """The first day of the part of ``day``'s week that lies in its month."""
    return max(day - dt.timedelta(days=day.weekday()), day.replace(day=1))


def _calendar(periods: Sequence[Period]) -> tuple[dt.date, list, list, list]:
    """The first folded day, and three small maps computed here rather than per row in SQL: each day
    of the horizon to its atom (``day_atoms``), each atom to the period of every kind it lies in
    (``atom_periods``; atoms before a kind's first asked period fold into that kind's opening balance,
    atoms after its last are left out), and the dense ``grid`` of every kind's periods."""
    atom_periods, grid = [], []
    opening = min(periods).start - dt.timedelta(days=1)  # every earlier day is folded into this one
    last_day = max(p.end for p in periods)
    days = [opening + dt.timedelta(days=n) for n in range((last_day - opening).days + 1)]
    day_atoms = [(day, _atom(day)) for day in days]
    atoms = sorted({atom for _, atom in day_atoms})
    for kind in sorted({p.kind for p in periods}):
        asked = [p for p in periods if p.kind == kind]
        first, last = min(asked), max(asked)
        kind_opening = first.start - dt.timedelta(days=1)  # the balance of every earlier day
        grid.append((kind.value, kind_opening))
        grid += [(kind.value, p.start) for p in overlapping(kind, first.start, last.end)]
        for atom in atoms:
            start = containing(kind, atom).start
            if start <= last.start:
                atom_periods.append((atom, kind.value, kind_opening if start < first.start else start))
    return opening, day_atoms, atom_periods, grid


def select_named_leaf_rows(
    periods: Sequence[Period], today: dt.date, unit_ids: Iterable[int] | None = None
) -> tuple[str, list]:
    """SELECT (unit_id, procedure_id, period_kind, period_start, *COUNT_FIELDS) for named periods.

    Only the dossiers of ``unit_ids`` when given. The periods may be scattered (the drain asks for the
    dirty ones): per kind, every period from the first asked to the last is summed in order, and the
    days before are folded into one opening balance. The calendar is joined in as literal maps
    (:func:`_calendar`): date functions per event row cost more than the rest of a stage.
    """
    assert periods and all(p.kind in NAMED_KINDS for p in periods), "named periods only"
    sql = _Dialect()
    opening, day_atoms, atom_periods, grid = _calendar(periods)
    params = _Params()
    ctes = [
        params.rows(
            "asked", ("period_kind", "period_start"), sorted({(p.kind.value, p.start) for p in periods})
        ),
        params.rows("grid", ("period_kind", "period_start"), grid),
        params.rows("day_atoms", ("day", "atom"), day_atoms),
        params.rows("atom_periods", ("atom", "period_kind", "period_start"), atom_periods),
    ]
    params.add("today", today)
    params.add("opening", opening)
    unit_filter = ""
    if unit_ids is not None:
        ids = sorted(set(unit_ids)) or [-1]
        unit_filter = (
            f" AND d.handling_unit_id IN ({', '.join(params.add(f'unit_{i}', u) for i, u in enumerate(ids))})"
        )
    per_dossier = ",\n           ".join(f"{expr} AS {name}" for name, expr in PER_DOSSIER.items())
    late_turn = sql.next_day("d.due_on")
    entered_late = (
        f"CASE WHEN {_DATED} AND d.due_on >= d.received_on AND (d.ended_on IS NULL OR d.due_on < d.ended_on)"
        f" THEN {late_turn} END"
    )
    day = "CASE WHEN ev.r = 1 THEN x.received_on WHEN ev.e = 1 THEN x.ended_on ELSE x.turned_overdue_on END"
    sums = ",\n           ".join(f"{expr} AS {name}" for name, expr in _event_sums().items())
    names = list(_event_sums())
    kind_sums = ", ".join(f"{_typed(n, f'SUM(f.{n})')} AS {n}" for n in names)
    dense = ", ".join(f"COALESCE(k.{n}, 0) AS {n}" for n in names)
    window = "OVER (PARTITION BY g.unit_id, g.procedure_id, g.period_kind ORDER BY g.period_start ROWS UNBOUNDED PRECEDING)"
    running = ", ".join(f"SUM(g.{n}) {window} AS c_{n}" for n in _RUNNING)
    leaf = ",\n       ".join(f"{expr} AS {name}" for name, expr in _LEAF_COLUMNS.items())
    events = "(SELECT 1 AS r, 0 AS e, 0 AS o UNION ALL SELECT 0, 1, 0 UNION ALL SELECT 0, 0, 1) ev"
    with_ctes = ",\n".join(ctes)
    # An event after the horizon's last day finds no atom and drops out of the inner join.
    query = f"""WITH {with_ctes},
flows AS (
    SELECT x.unit_id, x.procedure_id, c.atom AS atom,
           {sums}
    FROM (
        SELECT d.handling_unit_id AS unit_id, d.procedure_id AS procedure_id,
           d.received_on AS received_on, d.ended_on AS ended_on, {entered_late} AS turned_overdue_on,
           {per_dossier}
        {COUNTED_DOSSIERS}{unit_filter}
        {sql.fence}
    ) x
    JOIN {events} ON ev.r = 1 OR (ev.e = 1 AND x.ended_on IS NOT NULL)
        OR (ev.o = 1 AND x.turned_overdue_on IS NOT NULL)
    JOIN day_atoms c ON c.day = {sql.greatest(day, "%(opening)s")}
    GROUP BY x.unit_id, x.procedure_id, c.atom
),
kind_flows AS (
    SELECT f.unit_id, f.procedure_id, m.period_kind, m.period_start,
           {kind_sums}
    FROM flows f JOIN atom_periods m ON m.atom = f.atom
    GROUP BY f.unit_id, f.procedure_id, m.period_kind, m.period_start
),
dense AS (
    SELECT p.unit_id, p.procedure_id, p.period_kind, s.period_start, {dense}
    FROM (SELECT DISTINCT unit_id, procedure_id, period_kind FROM kind_flows) p
    JOIN grid s ON s.period_kind = p.period_kind
    LEFT JOIN kind_flows k ON k.unit_id = p.unit_id AND k.procedure_id = p.procedure_id
        AND k.period_kind = p.period_kind AND k.period_start = s.period_start
),
running AS (
    SELECT g.*, {running}
    FROM dense g
)
SELECT l.unit_id AS unit_id, l.procedure_id AS procedure_id, l.period_kind AS period_kind,
       l.period_start AS period_start,
       {leaf}
FROM running l
JOIN asked a ON a.period_kind = l.period_kind AND a.period_start = l.period_start
WHERE l.c_r - l.c_e + l.e > 0"""
    return params.positional(query)
