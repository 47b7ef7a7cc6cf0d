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

# Counts whose "> 0 for this procedure" matters to procedure-level indicators (used services etc.).
USAGE_FIELDS = ("online_received", "fee_paid_online", "fee_synced", "eid")


@dataclass
class Totals:
    """Counts summed over some dossiers, and which procedures showed each kind of usage."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))
    used: dict[str, set[int]] = field(default_factory=lambda: {name: set() for name in USAGE_FIELDS})

    def merge(self, other: Totals) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        for name, procedures in other.used.items():
            self.used[name] |= procedures


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
    """Each unit's *own* totals (not its descendants'); units without dossiers are absent."""
    source, params = _source(units, period, today)
    sums = ", ".join(f"SUM(l.{name})" for name in COUNT_FIELDS)
    result: dict[int, Totals] = defaultdict(Totals)
    for row in _fetch(f"SELECT l.unit_id, {sums} FROM {source} GROUP BY l.unit_id", params):
        result[row[0]].counts = {
            name: int(value or 0) for name, value in zip(COUNT_FIELDS, row[1:], strict=True)
        }
    flags = ", ".join(f"l.{name} > 0" for name in USAGE_FIELDS)
    any_usage = " OR ".join(f"l.{name} > 0" for name in USAGE_FIELDS)
    for row in _fetch(f"SELECT l.unit_id, l.procedure_id, {flags} FROM {source} WHERE {any_usage}", params):
        for name, flag in zip(USAGE_FIELDS, row[2:], strict=True):
            if flag:
                result[row[0]].used[name].add(row[1])
    return result


def totals_by_procedure(units: list[Unit], period: Period, today: dt.date) -> dict[int, dict[str, int]]:
    """Totals per procedure over the units (for the on-time drill-down)."""
    source, params = _source(units, period, today)
    sums = ", ".join(f"SUM(l.{name})" for name in COUNT_FIELDS)
    rows = _fetch(f"SELECT l.procedure_id, {sums} FROM {source} GROUP BY l.procedure_id", params)
    return {row[0]: {n: int(v or 0) for n, v in zip(COUNT_FIELDS, row[1:], strict=True)} for row in rows}
