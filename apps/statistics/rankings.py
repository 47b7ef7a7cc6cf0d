"""Rankings of siblings and the figures the provincial reports quote about them (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypeVar

from django.utils.translation import gettext

T = TypeVar("T")


def competition_ranks(items: Sequence[T], key: Callable[[T], Decimal]) -> list[int]:
    """Standard competition ranking, highest first: 1, 2, 2, 4. Ranks are returned in input order."""
    values = [key(item) for item in items]
    ordered = sorted(values, reverse=True)
    first_position = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return [first_position[value] for value in values]


@dataclass(frozen=True, slots=True)
class Standing:
    """What a ranking needs of one unit's score, whether scored now or read from its snapshot."""

    unit: Any  # organisation.Unit: its code, kind and pk
    total: Decimal
    groups: dict[str, Decimal]  # group code -> points
    dossiers: int  # dossiers in the period

    def value(self, by: str) -> Decimal:
        """What the unit is ranked by: its total, or one group's points."""
        return self.total if by == "total" else self.groups[by]


@dataclass(frozen=True)
class BandRule:
    code: str
    minimum: Decimal


def band_of(total: Decimal, bands: Sequence[BandRule]) -> str:
    """Bands sorted from the highest minimum down; the last one catches everything."""
    for band in bands:
        if total >= band.minimum:
            return band.code
    return bands[-1].code


def parse_bands(text: str) -> list[BandRule]:
    """``"94,90"`` → ≥ 94, 90–94, < 90 (codes ``>=94``, ``90-94``, ``<90``)."""
    try:
        cuts = sorted({Decimal(part.strip()) for part in text.split(",") if part.strip()}, reverse=True)
    except ArithmeticError:
        raise ValueError(
            gettext("bands must be numbers separated by commas, got %(value)s") % {"value": repr(text)}
        ) from None
    if not cuts or any(not cut.is_finite() or not 0 <= cut <= 100 for cut in cuts):
        raise ValueError(gettext("bands must be between 0 and 100"))
    rules = [BandRule(f">={cuts[0]}", cuts[0])]
    for upper, lower in pairwise(cuts):
        rules.append(BandRule(f"{lower}-{upper}", lower))
    rules.append(BandRule(f"<{cuts[-1]}", Decimal("-1")))
    return rules


def top_spread(totals: Sequence[Decimal], n: int = 10) -> Decimal | None:
    """Points between the best and the n-th best ("the top 10 are within 1.24 points")."""
    top = sorted(totals, reverse=True)[:n]
    return top[0] - top[-1] if top else None


def band_gap(totals: Sequence[Decimal], bands: Sequence[BandRule]) -> Decimal | None:
    """Points between the lowest unit and the highest band's threshold (the seeds' "gap of 5.57")."""
    if not totals:
        return None
    return max(Decimal(0), bands[0].minimum - min(totals))
