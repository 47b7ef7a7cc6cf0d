"""On-time breakdowns a supervisor reads by name: by child unit, by procedure, by field.

"Which communes are late this month?" is the child-unit breakdown sorted by rate, worst first. Every row
comes from the same aggregates as the score (one grouped read), so a row's figures add up to the
parent's: a child's row is its whole subtree's dossiers, a procedure's or field's row the dossiers of the
unit's subtree (optionally only those handled by units of one kind).

Names: a unit's from the organisation tree, a procedure's from the version in force at the end of the
period (or the latest one before it, for a procedure withdrawn during the period), a field's from the
catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from apps.catalogue.models import ProcedureVersion
from apps.organisation.models import Unit
from apps.scoring.methodology import round_half_up
from apps.statistics.models import COUNT_FIELDS
from apps.statistics.periods import Period
from apps.statistics.selectors import totals_by_procedure, totals_by_unit

BREAKDOWNS: Final[tuple[str, ...]] = ("procedure", "field", "unit")
# Sortable columns; a leading "-" sorts descending. Rows without dossiers (no rate) always come last.
SORTABLE: Final[tuple[str, ...]] = ("rate", "late", "in_period", "on_time", "open_overdue", "key", "name")
ORDERINGS: Final[tuple[str, ...]] = tuple(o for column in SORTABLE for o in (column, f"-{column}"))
DEFAULT_ORDERING: Final[str] = "-in_period"
RATE_PLACES: Final[int] = 4
MINUTES_PER_WORKING_DAY: Final[int] = 480


def on_time_breakdown(
    unit: Unit,
    period: Period,
    by: str,
    *,
    today: dt.date,
    kind: str | None = None,
    ordering: str = DEFAULT_ORDERING,
) -> list[dict[str, Any]]:
    """Rows of dossiers in the period, on time, late (finished late + open overdue), rate, by ``by``.

    ``kind`` keeps only units of that kind: the children listed (``by="unit"``), or the handling units
    whose dossiers are counted (``by="procedure"`` / ``"field"``). ``ordering`` is one of
    :data:`ORDERINGS` (``"rate"``: worst first).
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWNS)}, got {by!r}")
    if ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {', '.join(ORDERINGS)}, got {ordering!r}")
    subtree = list(Unit.objects.subtree_of(unit).order_by("path"))
    if by == "unit":
        rows = _by_child(unit, subtree, period, today, kind)
    else:
        counted = [u for u in subtree if kind is None or u.kind == kind]
        rows = _by_catalogue(by, counted, period, today)
    return sort_rows(rows, ordering)


def _by_child(
    parent: Unit, subtree: list[Unit], period: Period, today: dt.date, kind: str | None
) -> list[dict[str, Any]]:
    children = [u for u in subtree if u.parent_id == parent.pk and (kind is None or u.kind == kind)]
    members = [u for u in subtree if any(u.path.startswith(c.path) for c in children)]
    own = totals_by_unit(members, period, today)
    rows = []
    for child in children:
        counts = _zero()
        for member in members:
            if member.path.startswith(child.path) and member.pk in own:
                _add(counts, own[member.pk].counts)
        rows.append(_row(child.code, child.name, counts, kind=child.kind))
    return rows


def _by_catalogue(by: str, units: list[Unit], period: Period, today: dt.date) -> list[dict[str, Any]]:
    per_procedure = totals_by_procedure(units, period, today) if units else {}
    versions = versions_in_force(per_procedure, period.end)
    groups: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for pid, counts in per_procedure.items():
        version = versions.get(pid)
        if by == "procedure":
            key, name = (version["code"], version["name"]) if version else (str(pid), "")
        else:
            key, name = (version["field_code"], version["field_name"]) if version else ("", "")
        names.setdefault(key, name)
        _add(groups.setdefault(key, _zero()), counts)
    return [_row(key, names[key], counts) for key, counts in groups.items()]


def versions_in_force(procedure_ids: Iterable[int], day: dt.date) -> dict[int, dict[str, str]]:
    """Per procedure: its code, name and field (code, name) from the version in force on ``day``.

    A procedure with no version in force that day (withdrawn during the period) takes its latest
    version that started before it, else its earliest: its dossiers are still shown by name.
    """
    ids = list(procedure_ids)
    if not ids:
        return {}
    rows = (
        ProcedureVersion.objects.filter(procedure_id__in=ids)
        .order_by("procedure_id", "-valid_from")
        .values_list(
            "procedure_id", "procedure__code", "name", "field__code", "field__name", "valid_from", "valid_to"
        )
    )
    chosen: dict[int, tuple[int, dict[str, str]]] = {}  # pid -> (preference, data); lower is better
    for pid, code, name, field_code, field_name, valid_from, valid_to in rows:
        if valid_from <= day and (valid_to is None or valid_to >= day):
            preference = 0
        elif valid_from <= day:
            preference = 1
        else:
            preference = 2
        data = {"code": code, "name": name, "field_code": field_code, "field_name": field_name}
        best = chosen.get(pid)
        # Rows come newest first: keep the first of each preference, except the earliest "not yet" one.
        if best is None or preference < best[0] or (preference == best[0] == 2):
            chosen[pid] = (preference, data)
    return {pid: data for pid, (_, data) in chosen.items()}


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNT_FIELDS, 0)


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0) + value


def _row(key: str, name: str, c: dict[str, int], *, kind: str | None = None) -> dict[str, Any]:
    in_period, on_time = c["in_period"], c["on_time"]
    rate = round_half_up(Fraction(on_time, in_period), RATE_PLACES) if in_period else None
    average = (
        (Decimal(c["processing_minutes"]) / c["ended"] / MINUTES_PER_WORKING_DAY).quantize(Decimal("0.01"))
        if c["ended"]
        else None
    )
    return {
        "key": key,
        "name": name,
        "kind": kind,
        "in_period": in_period,
        "on_time": on_time,
        "late": c["ended_late"] + c["open_overdue"],
        "rate": rate,
        "ended_early": c["ended_early"],
        "ended_on_time": c["ended_on_time"],
        "ended_late": c["ended_late"],
        "open_in_time": c["open_in_time"],
        "open_overdue": c["open_overdue"],
        "average_working_days": average,
        "_exact_rate": Fraction(on_time, in_period) if in_period else None,
    }


def sort_rows(rows: list[dict[str, Any]], ordering: str) -> list[dict[str, Any]]:
    """Rows sorted by one column (``-`` descending), then by key; rows without that value last."""
    column = ordering.lstrip("-")
    descending = ordering.startswith("-")
    field = "_exact_rate" if column == "rate" else column
    rows = sorted(rows, key=lambda r: r["key"])
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    present.sort(key=lambda r: r[field], reverse=descending)  # stable: equal values stay by key
    return [{k: v for k, v in r.items() if k != "_exact_rate"} for r in present + missing]
