"""Reads of the aggregates: everything a score, a ranking or a breakdown needs, in a few queries.

Named periods read the stored roll-up (one row per unit and period) or, per procedure, the leaves; any
other date range runs the same counting SQL live as a subquery. :func:`subtree_inputs` is the one read
behind every score: a subtree's units, their roll-up rows, their petitions and their province's
catalogue facts, turned into each unit's own score inputs. It never scores and never writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet, Subquery

from apps.organisation.models import Unit
from apps.organisation.selectors import top_unit
from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Methodology
from apps.statistics.catalogue_facts import CatalogueFacts, catalogue_facts
from apps.statistics.counting import select_leaf_rows, select_unit_rows
from apps.statistics.inputs import ProcedureSets, Totals, own_inputs, procedure_sets
from apps.statistics.models import COUNT_FIELDS, USAGE_COUNTS, AggregateVersion, CurrentScore, ScoreSnapshot
from apps.statistics.periods import NAMED_KINDS, Period
from apps.statistics.petition_counts import petition_counts_by_unit
from apps.statistics.versions import cache_key_for
from apps.workcalendar.services import calendar_for_unit

__all__ = [
    "SubtreeInputs",
    "Totals",
    "UnitRow",
    "current_scores",
    "stored_scores",
    "subtree_inputs",
    "totals_by_procedure",
    "totals_by_unit",
    "unit_rows",
]


def _in_units(units: list[Unit]) -> tuple[str, list]:
    """``unit_id`` among the units: one array parameter on PostgreSQL (a province's 170 placeholders
    cost more to bind than the query takes), a list of placeholders elsewhere."""
    unit_ids = [u.pk for u in units] or [-1]
    if connection.vendor == "postgresql":
        return "unit_id = ANY(%s)", [unit_ids]
    return f"unit_id IN ({', '.join(['%s'] * len(unit_ids))})", unit_ids


def _leaves(units: list[Unit], period: Period, today: dt.date) -> tuple[str, list]:
    """A FROM item ``l`` with leaf-shaped rows (unit × procedure) of the units for the period."""
    if period.kind in NAMED_KINDS:
        among, unit_params = _in_units(units)
        sql = f"(SELECT * FROM statistics_leafcounts WHERE period_kind = %s AND period_start = %s AND {among}) l"
        return sql, [period.kind.value, period.start, *unit_params]
    select, params = select_leaf_rows([period], today, [u.pk for u in units])
    return f"({select}) l", params


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class UnitRow:
    """One unit's own aggregates for a period: the summed counts and, per usage count, the procedures
    whose dossiers show it (sets, because a parent counts some per unit × procedure, some per distinct
    procedure; the scorer decides)."""

    totals: Totals
    used: dict[str, frozenset[int]]


def _procedure_set(text: str | None) -> frozenset[int]:
    return frozenset(map(int, text.split(","))) if text else frozenset()


def unit_rows(units: list[Unit], period: Period, today: dt.date) -> dict[int, UnitRow]:
    """Each unit's *own* row (not its descendants'), one query; units without dossiers are absent.

    A named period reads the stored roll-up: one row per unit, whatever the number of dossiers or
    procedures. A date range groups the live counting SQL's rows the same way.
    """
    columns = ", ".join(("unit_id", *COUNT_FIELDS, *(f"used_{n}" for n in USAGE_COUNTS)))
    if period.kind in NAMED_KINDS:
        among, unit_params = _in_units(units)
        sql = f"SELECT {columns} FROM statistics_unitcounts WHERE period_kind = %s AND period_start = %s AND {among}"
        params = [period.kind.value, period.start, *unit_params]
    else:
        leaves, params = _leaves(units, period, today)
        sql = f"SELECT {columns} FROM ({select_unit_rows(leaves)}) r"
    width = len(COUNT_FIELDS)
    result = {}
    for unit_id, *values in _fetch(sql, params):
        counts = {name: int(v or 0) for name, v in zip(COUNT_FIELDS, values[:width], strict=True)}
        used = {name: _procedure_set(text) for name, text in zip(USAGE_COUNTS, values[width:], strict=True)}
        result[unit_id] = UnitRow(Totals(counts=counts), used)
    return result


def totals_by_unit(units: list[Unit], period: Period, today: dt.date) -> dict[int, Totals]:
    """Each unit's *own* totals (not its descendants'); units without rows are absent."""
    return {unit_id: row.totals for unit_id, row in unit_rows(units, period, today).items()}


def totals_by_procedure(units: list[Unit], period: Period, today: dt.date) -> dict[int, dict[str, int]]:
    """Totals per procedure over the units (for the on-time drill-down): the leaves, grouped."""
    source, params = _leaves(units, period, today)
    sums = ", ".join(f"SUM(l.{name})" for name in COUNT_FIELDS)
    rows = _fetch(f"SELECT l.procedure_id, {sums} FROM {source} GROUP BY l.procedure_id", params)
    return {row[0]: {n: int(v or 0) for n, v in zip(COUNT_FIELDS, row[1:], strict=True)} for row in rows}


@dataclass(frozen=True)
class SubtreeInputs:
    """What scoring a subtree needs, read once: its units (ordered by path), each unit's own inputs and
    procedure sets, each unit's own totals, and the methodology in force at the period's end."""

    root: Unit
    period: Period
    methodology: Methodology
    units: list[Unit]
    own: dict[int, IndicatorInputs]
    sets: dict[int, ProcedureSets]
    totals: dict[int, Totals]


def subtree_inputs(root: Unit, period: Period, today: dt.date, *, epoch: int | None = None) -> SubtreeInputs:
    """The root's subtree, read for scoring: the units, the roll-up rows (one query), the petition
    counts (one query) and the catalogue facts (cached, see :func:`_facts`; ``epoch``: the aggregate
    epoch when the caller has read it already)."""
    methodology = Methodology.for_date(period.end)
    units = list(Unit.objects.subtree_of(root).order_by("path"))
    facts = _facts(period, methodology, root, epoch)
    rows = unit_rows(units, period, today)
    petitions = petition_counts_by_unit(Unit.objects.subtree_of(root).values("pk"), period, today)
    empty = UnitRow(Totals(), {})
    own, sets, totals = {}, {}, {}
    for unit in units:
        row = rows.get(unit.pk, empty)
        sets[unit.pk] = procedure_sets(unit, facts, row.used)
        own[unit.pk] = own_inputs(
            unit, row.totals, facts, petitions.get(unit.pk, {}), row.used, sets[unit.pk]
        )
        if unit.pk in rows:
            totals[unit.pk] = row.totals
    return SubtreeInputs(root, period, methodology, units, own, sets, totals)


def _facts(period: Period, methodology: Methodology, root: Unit, epoch: int | None = None) -> CatalogueFacts:
    """Catalogue facts change rarely; cache them per province, period and methodology for a minute.

    The key holds the aggregate epoch, which every change of the registers moves
    (:func:`apps.statistics.services.register_changed`), so a recorded offering or decision shows at once.
    """
    authority = top_unit(root)
    if epoch is None:
        epoch = cache_key_for(period)[0]
    key = f"statistics:facts:{methodology.key.replace(' ', '-')}:{authority.pk}:{epoch}:{period.kind}:{period.start}:{period.end}"
    facts = cache.get(key)
    if facts is None:
        facts = catalogue_facts(period, methodology, calendar_for_unit(root), authority)
        cache.set(key, facts, 60)
    return facts


def stored_scores(period: Period) -> QuerySet[ScoreSnapshot]:
    """Stored scores of a period made by the methodology revision in force now, never an earlier one.

    A revision corrects a misreading and changes past periods' scores, so a snapshot filed under an
    earlier revision is stale: it is ignored (the period is scored live until the nightly task files
    the current revision's snapshot) rather than served as history.
    """
    return ScoreSnapshot.objects.filter(
        period_kind=period.kind.value,
        period_start=period.start,
        methodology_version=Methodology.for_date(period.end).key,
    )


def current_scores(period: Period, today: dt.date, *, epoch: int | None = None) -> QuerySet[CurrentScore]:
    """The stored scores of a running period that still hold: judged on today, under the methodology
    revision in force and at the aggregate epoch now (``epoch``: when the caller has read it already;
    otherwise compared inside the query). A unit without such a row is scored live by the caller."""
    now = epoch if epoch is not None else Subquery(AggregateVersion.objects.filter(pk=1).values("epoch")[:1])
    return CurrentScore.objects.filter(
        period_kind=period.kind.value,
        period_start=period.start,
        judged_on=period.judged_on(today),
        methodology_version=Methodology.for_date(period.end).key,
        epoch=now,
    )
