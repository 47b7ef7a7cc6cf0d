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

# A procedure-level indicator counts the procedures of a kind (e.g. online services the unit handles)
# that showed some usage (a count > 0) in the period: name -> (usage count, procedure ids by unit kind).
UsageRule = tuple[str, dict[str, list[int]]]


@dataclass
class Totals:
    """Counts summed over some dossiers, and the procedure-level usage counts."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))
    used: dict[str, int] = field(default_factory=dict)

    def merge(self, other: Totals) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        for name, value in other.used.items():
            self.used[name] = self.used.get(name, 0) + value


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


def _usage_expression(count: str, procedures_by_kind: dict[str, list[int]]) -> tuple[str, list]:
    """How many of the unit kind's listed procedures have a positive ``count``.

    A leaf row is already one (unit, procedure) pair, so a plain SUM counts procedures without DISTINCT.
    """
    branches, params = [], []
    for kind, procedure_ids in sorted(procedures_by_kind.items()):
        ids = procedure_ids or [-1]
        branches.append(f"(u.kind = %s AND l.procedure_id IN ({', '.join(['%s'] * len(ids))}))")
        params += [kind, *ids]
    condition = " OR ".join(branches) or "1 = 0"
    return f"SUM(CASE WHEN l.{count} > 0 AND ({condition}) THEN 1 ELSE 0 END)", params


def totals_by_unit(
    units: list[Unit], period: Period, today: dt.date, usage: dict[str, UsageRule] | None = None
) -> dict[int, Totals]:
    """Each unit's *own* totals (not its descendants'), in one grouped read; units without rows are absent."""
    usage = usage or {}
    source, source_params = _source(units, period, today)
    expressions, params = [f"SUM(l.{name})" for name in COUNT_FIELDS], []
    for count, procedures_by_kind in usage.values():
        expression, expression_params = _usage_expression(count, procedures_by_kind)
        expressions.append(expression)
        params += expression_params
    sql = (
        f"SELECT l.unit_id, {', '.join(expressions)} FROM {source}"
        " JOIN organisation_unit u ON u.id = l.unit_id GROUP BY l.unit_id"
    )
    result: dict[int, Totals] = defaultdict(Totals)
    names = list(usage)
    for row in _fetch(sql, params + source_params):  # the SELECT list's parameters come first
        totals = result[row[0]]
        values = row[1:]
        totals.counts = {
            name: int(v or 0) for name, v in zip(COUNT_FIELDS, values[: len(COUNT_FIELDS)], strict=True)
        }
        totals.used = {name: int(v or 0) for name, v in zip(names, values[len(COUNT_FIELDS) :], strict=True)}
    return result


def totals_by_procedure(units: list[Unit], period: Period, today: dt.date) -> dict[int, dict[str, int]]:
    """Totals per procedure over the units (for the on-time drill-down)."""
    source, params = _source(units, period, today)
    sums = ", ".join(f"SUM(l.{name})" for name in COUNT_FIELDS)
    rows = _fetch(f"SELECT l.procedure_id, {sums} FROM {source} GROUP BY l.procedure_id", params)
    return {row[0]: {n: int(v or 0) for n, v in zip(COUNT_FIELDS, row[1:], strict=True)} for row in rows}
