"""Reads of the aggregates: per-unit totals, per-unit used procedures, per-procedure totals.

Named periods read the stored leaves; any other date range runs the same counting SQL live as a
subquery. Sums happen in the database, so a request reads about one row per unit, whatever the
number of dossiers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection

from apps.organisation.models import Unit
from apps.statistics.counting import select_leaf_rows
from apps.statistics.models import COUNT_FIELDS
from apps.statistics.periods import NAMED_KINDS, Period


@dataclass
class Totals:
    """Counts summed over some dossiers."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))

    def merge(self, other: Totals) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value


def _source(units: list[Unit], period: Period, today: dt.date) -> tuple[str, list]:
    """A FROM item ``l`` with leaf-shaped rows of the units for the period."""
    unit_ids = [u.pk for u in units] or [-1]
    placeholders = ", ".join(["%s"] * len(unit_ids))
    if period.kind in NAMED_KINDS:
        sql = (
            "(SELECT * FROM statistics_leafcounts WHERE period_kind = %s AND period_start = %s"
            f" AND unit_id IN ({placeholders})) l"
        )
        return sql, [period.kind.value, period.start, *unit_ids]
    select, params = select_leaf_rows([period], today, unit_ids)
    return f"({select}) l", params


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def totals_by_unit(units: list[Unit], period: Period, today: dt.date) -> dict[int, Totals]:
    """Each unit's *own* totals (not its descendants'), in one grouped read; units without rows are absent."""
    source, params = _source(units, period, today)
    sums = ", ".join(f"SUM(l.{name})" for name in COUNT_FIELDS)
    result: dict[int, Totals] = defaultdict(Totals)
    for row in _fetch(f"SELECT l.unit_id, {sums} FROM {source} GROUP BY l.unit_id", params):
        result[row[0]].counts = {name: int(v or 0) for name, v in zip(COUNT_FIELDS, row[1:], strict=True)}
    return result


# Usage a procedure-level indicator looks for: "offerings with an online dossier", "procedures with an
# e-ID-connected dossier"... Each is a count of the leaf that must be positive.
USAGE_COUNTS = ("online_received", "fee_paid_online", "fee_synced", "eid")


def used_procedures(units: list[Unit], period: Period, today: dt.date) -> dict[int, dict[str, set[int]]]:
    """Per unit, per usage count, the procedures whose leaf shows that usage in the period.

    Sets rather than sums, because a parent counts some of these per online service (unit × procedure)
    and others per distinct procedure; the scorer decides. A leaf row is one (unit, procedure) pair, so
    no grouping is needed, and only rows with some usage are read.
    """
    source, params = _source(units, period, today)
    columns = ", ".join(f"l.{name}" for name in USAGE_COUNTS)
    any_usage = " OR ".join(f"l.{name} > 0" for name in USAGE_COUNTS)
    result: dict[int, dict[str, set[int]]] = defaultdict(lambda: {name: set() for name in USAGE_COUNTS})
    for unit_id, procedure_id, *values in _fetch(
        f"SELECT l.unit_id, l.procedure_id, {columns} FROM {source} WHERE {any_usage}", params
    ):
        used = result[unit_id]
        for name, value in zip(USAGE_COUNTS, values, strict=True):
            if value:
                used[name].add(procedure_id)
    return result


def totals_by_procedure(units: list[Unit], period: Period, today: dt.date) -> dict[int, dict[str, int]]:
    """Totals per procedure over the units (for the on-time drill-down)."""
    source, params = _source(units, period, today)
    sums = ", ".join(f"SUM(l.{name})" for name in COUNT_FIELDS)
    rows = _fetch(f"SELECT l.procedure_id, {sums} FROM {source} GROUP BY l.procedure_id", params)
    return {row[0]: {n: int(v or 0) for n, v in zip(COUNT_FIELDS, row[1:], strict=True)} for row in rows}
