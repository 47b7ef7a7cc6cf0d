"""Reads of the aggregates: per-unit and per-procedure totals of a unit's subtree for a period.

Named periods read the stored leaves; any other date range runs the same counting SQL live. Either way
the rows are (unit, procedure, counts), so everything above this module treats them alike.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection

from apps.organisation.models import Unit
from apps.statistics.counting import select_leaf_rows
from apps.statistics.models import COUNT_FIELDS, LeafCounts
from apps.statistics.periods import NAMED_KINDS, Period


@dataclass
class Totals:
    """Counts summed over some dossiers; ``procedures`` keeps per-procedure totals for drill-downs."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))
    procedures: dict[int, dict[str, int]] = field(default_factory=dict)

    def add(self, procedure_id: int, values: dict[str, int]) -> None:
        per_procedure = self.procedures.setdefault(procedure_id, dict.fromkeys(COUNT_FIELDS, 0))
        for name, value in values.items():
            self.counts[name] += value
            per_procedure[name] += value

    def merge(self, other: Totals) -> None:
        for procedure_id, values in other.procedures.items():
            self.add(procedure_id, values)


def leaf_rows(units: list[Unit], period: Period, today: dt.date) -> list[tuple]:
    """(unit_id, procedure_id, *COUNT_FIELDS) rows of the given units for the period."""
    unit_ids = [u.pk for u in units]
    if period.kind in NAMED_KINDS:
        return list(
            LeafCounts.objects.filter(
                period_kind=period.kind.value, period_start=period.start, unit_id__in=unit_ids
            ).values_list("unit_id", "procedure_id", *COUNT_FIELDS)
        )
    sql, params = select_leaf_rows([period], today, unit_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1], *row[4:]) for row in cursor.fetchall()]


def totals_by_unit(units: list[Unit], period: Period, today: dt.date) -> dict[int, Totals]:
    """Each unit's *own* totals (not its descendants'), keyed by unit id; units without dossiers are empty."""
    result: dict[int, Totals] = defaultdict(Totals)
    for row in leaf_rows(units, period, today):
        result[row[0]].add(row[1], dict(zip(COUNT_FIELDS, row[2:], strict=True)))
    return result
