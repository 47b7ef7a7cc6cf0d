"""The Decision 766 scoring engine: integer counts in, published-style points out. Pure, no ORM.

Why exact arithmetic: the portal rounds each sub-indicator half-up to the hundredth from the unrounded
counts, and the index is compared to the hundredth between units and weeks. A float, or Python's
banker's ``round()``, moves ties (6 × 3/16 = 1.125 is published as 1.13) and therefore rankings. Rates
are kept as :class:`~fractions.Fraction` until the single rounding step; groups and the total are sums
of the rounded sub-indicator points, as published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from django.utils.functional import lazy

from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Group, IndicatorRule, Methodology, reference, round_half_up

Status = Literal["scored", "no_data", "not_applicable", "full_when_empty"]

# Rates are for display only (points come from the exact fraction); 6 places shows 87.8889% faithfully.
RATE_PLACES = 6
PERCENT_PLACES = 2


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """One sub-indicator's outcome, with the counts behind it so the figure can be re-derived."""

    code: str
    group: str
    numerator: int
    denominator: int
    rate: Decimal | None  # None unless status is "scored"
    points: Decimal
    max_points: Decimal
    status: Status


@dataclass(frozen=True, slots=True)
class GroupScore:
    code: str
    name: str
    points: Decimal
    max_points: Decimal
    percent: Decimal  # points ÷ max × 100, half-up to 2 places (the portal shows groups as "87.9% of 18")


@dataclass(frozen=True, slots=True)
class Score:
    """A unit's index for one period, tied to the methodology version and revision that produced it."""

    total: Decimal
    max_points: Decimal
    methodology_version: str
    methodology_revision: int
    level: str
    band: str
    groups: tuple[GroupScore, ...]
    indicators: tuple[IndicatorScore, ...]

    @property
    def methodology(self) -> dict[str, Any]:
        """Which rules produced the number: a corrected revision changes past periods' scores too."""
        return reference(self.methodology_version, self.methodology_revision)

    @property
    def methodology_key(self) -> str:
        """Same as :attr:`Methodology.key`: what a stored copy of this score is filed under."""
        return f"{self.methodology_version} r{self.methodology_revision}"

    def group(self, code: str) -> GroupScore:
        for group in self.groups:
            if group.code == code:
                return group
        raise KeyError(f"no group {code!r} in this score")

    def indicator(self, code: str) -> IndicatorScore:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(f"no indicator {code!r} in this score")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; Decimals become strings so no consumer parses them back as floats."""
        return {
            "total": str(self.total),
            "max_points": str(self.max_points),
            "methodology_version": self.methodology_version,
            "methodology": self.methodology,
            "level": self.level,
            "band": self.band,
            "groups": [
                {
                    "code": g.code,
                    "name": str(g.name),
                    "points": str(g.points),
                    "max_points": str(g.max_points),
                    "percent": str(g.percent),
                }
                for g in self.groups
            ],
            "indicators": [
                {
                    "code": i.code,
                    "group": i.group,
                    "numerator": i.numerator,
                    "denominator": i.denominator,
                    "rate": None if i.rate is None else str(i.rate),
                    "points": str(i.points),
                    "max_points": str(i.max_points),
                    "status": i.status,
                }
                for i in self.indicators
            ],
        }


@dataclass(frozen=True, slots=True)
class WhatIfChange:
    kind: Literal["indicator", "group"]
    code: str
    target: Decimal  # a rate for an indicator, a fraction of the maximum for a group
    current_points: Decimal
    projected_points: Decimal
    gain: Decimal  # signed: negative when the target is below the current level


@dataclass(frozen=True, slots=True)
class WhatIf:
    methodology_version: str
    current_total: Decimal
    projected_total: Decimal
    gain: Decimal
    changes: tuple[WhatIfChange, ...]


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Points a unit leaves on the table in one indicator or group (max − points)."""

    kind: Literal["indicator", "group"]
    code: str
    group: str
    points: Decimal
    max_points: Decimal
    missing: Decimal


def score(inputs: IndicatorInputs, methodology: Methodology) -> Score:
    """Score one unit's counts under one methodology.

    Raises ValueError when the counts cannot be right (a numerator above its denominator, or a non-zero
    numerator over an empty denominator): publishing a score above the maximum would be worse.
    """
    if inputs.level not in methodology.levels:
        raise ValueError(f"methodology {methodology.version} does not cover level {inputs.level!r}")
    plan = _plan(methodology)
    places = plan.places
    # Points are summed per group in whole units of the last place (exact integers): a province's
    # ranking scores about 170 units × 21 indicators per request.
    units = dict.fromkeys(plan.group_codes, 0)
    indicators = []
    for rule, constants in plan.rules:
        indicator, points = _score_indicator(rule, constants, inputs, places)
        indicators.append(indicator)
        units[rule.group] = units.get(rule.group, 0) + points
    groups = tuple(
        GroupScore(
            group.code,
            group.name,
            Decimal(units[group.code]).scaleb(-places),
            group.max_points,
            _half_up(units[group.code] * group.max_den * 100, plan.scale * group.max_num, PERCENT_PLACES),
        )
        for group in plan.groups
    )
    indicators = tuple(indicators)
    total = sum((group.points for group in groups), Decimal("0.00"))
    return Score(
        total=total,
        max_points=sum((group.max_points for group in groups), Decimal(0)),
        methodology_version=methodology.version,
        methodology_revision=methodology.revision,
        level=inputs.level,
        band=methodology.band_for(total).code,
        groups=groups,
        indicators=indicators,
    )


def total_of(group_points: Mapping[str, Decimal], methodology: Methodology) -> Decimal:
    """Total from already-published group points (the portal often publishes only those).

    Every group of the methodology must be given, each within [0, max], so a typo cannot silently drop
    a group from the total.
    """
    expected = {group.code for group in methodology.groups}
    if set(group_points) != expected:
        raise ValueError(f"group points must cover exactly {sorted(expected)}, got {sorted(group_points)}")
    total = Decimal(0)
    for code, points in group_points.items():
        value = _exact(points, f"group {code}")
        if not 0 <= value <= methodology.group(code).max_points:
            raise ValueError(f"group {code}: {value} is outside [0, {methodology.group(code).max_points}]")
        total += Decimal(points)
    return total


def what_if(inputs: IndicatorInputs, methodology: Methodology, targets: Mapping[str, Decimal]) -> WhatIf:
    """Points gained if the given indicators reached the given rates, or groups the given shares.

    A target keyed by an indicator code is a rate in [0, 1], scored with that indicator's rule and
    rounded like a published figure. A target keyed by a group code is a fraction of the group's
    maximum (the seeds' "online services at 90%" = 0.9 × 12). Gains are signed differences: a target
    below the current level yields a negative gain rather than being clamped, so "what if we slipped
    to X" is answerable too. An indicator that does not apply to the level keeps its full points.
    """
    return what_if_for_score(score(inputs, methodology), methodology, targets)


def what_if_for_score(current: Score, methodology: Methodology, targets: Mapping[str, Decimal]) -> WhatIf:
    """:func:`what_if` on a score already computed (same methodology), avoiding a second scoring pass."""
    if current.methodology_key != methodology.key:
        raise ValueError(f"score was produced by {current.methodology_key}, not {methodology.key}")
    group_codes = {group.code for group in methodology.groups}
    indicator_codes = {rule.code for rule in methodology.indicators}
    unknown = sorted(set(targets) - group_codes - indicator_codes)
    if unknown:
        raise ValueError(f"unknown indicator or group code(s): {', '.join(unknown)}")
    targeted_groups = set(targets) & group_codes
    overlapping = sorted(
        code
        for code in set(targets) & indicator_codes
        if methodology.indicator(code).group in targeted_groups
    )
    if overlapping:
        raise ValueError(f"targets {overlapping} overlap a target on their whole group")

    changes = []
    for code, target in targets.items():
        fraction = _exact(target, f"target {code}")
        if not 0 <= fraction <= 1:
            raise ValueError(f"target {code}: {target} is outside [0, 1]")
        if code in group_codes:
            group = current.group(code)
            projected = methodology.round_points(fraction * Fraction(group.max_points))
            changes.append(_change("group", code, target, group.points, projected))
        else:
            indicator = current.indicator(code)
            if indicator.status == "not_applicable":
                projected = indicator.points
            else:
                projected = methodology.round_points(methodology.indicator(code).points_for_rate(fraction))
            changes.append(_change("indicator", code, target, indicator.points, projected))
    gain = sum((change.gain for change in changes), Decimal("0.00"))
    return WhatIf(
        methodology_version=current.methodology_version,
        current_total=current.total,
        projected_total=current.total + gain,
        gain=gain,
        changes=tuple(changes),
    )


def room_for_improvement(score: Score, *, by: Literal["indicator", "group"] = "indicator") -> list[Shortfall]:
    """Where the missing points are, largest first (ties keep the methodology's order).

    Entries already at their maximum are left out: they are not room for improvement.
    """
    if by == "indicator":
        items = [
            Shortfall("indicator", i.code, i.group, i.points, i.max_points, i.max_points - i.points)
            for i in score.indicators
        ]
    elif by == "group":
        items = [
            Shortfall("group", g.code, g.code, g.points, g.max_points, g.max_points - g.points)
            for g in score.groups
        ]
    else:
        raise ValueError(f"by must be 'indicator' or 'group', got {by!r}")
    return sorted((item for item in items if item.missing > 0), key=lambda item: -item.missing)


@dataclass(frozen=True, slots=True)
class _RuleConstants:
    """What scoring one rule needs besides the counts, worked out once per rule and rounding."""

    full: Decimal
    full_units: int  # full points in units of the last place
    zero: Decimal
    max_num: int
    max_den: int
    cap_num: int
    cap_den: int
    applies: frozenset[str]  # the levels the rule scores (elsewhere: not applicable, full points)


@dataclass(frozen=True, slots=True)
class _GroupPlan:
    code: str
    name: Any  # lazy: resolved when rendered (see _active_language_name)
    max_points: Decimal  # rounded to the methodology's places
    max_num: int
    max_den: int


@dataclass(frozen=True, slots=True)
class _Plan:
    """A methodology's rules and groups with their constants, worked out once per loaded methodology."""

    methodology: Methodology  # kept so its id cannot be reused while the entry lives
    places: int
    scale: int  # 10 ** places
    rules: tuple[tuple[IndicatorRule, _RuleConstants], ...]
    groups: tuple[_GroupPlan, ...]
    group_codes: tuple[str, ...]


# id(methodology) -> its plan. Methodologies are loaded once per process: a handful of entries.
_PLANS: dict[int, _Plan] = {}


def _plan(methodology: Methodology) -> _Plan:
    hit = _PLANS.get(id(methodology))
    if hit is None or hit.methodology is not methodology:
        places = methodology.rounding_places
        groups = []
        for group in methodology.groups:
            max_num, max_den = _as_ratio(group.max_points)
            name = _active_language_name(group)
            groups.append(_GroupPlan(group.code, name, _rounded(group.max_points, places), max_num, max_den))
        hit = _PLANS[id(methodology)] = _Plan(
            methodology,
            places,
            10**places,
            tuple((rule, _constants(rule, places)) for rule in methodology.indicators),
            tuple(groups),
            tuple(g.code for g in groups),
        )
    return hit


def _constants(rule: IndicatorRule, places: int) -> _RuleConstants:
    max_num, max_den = _as_ratio(rule.max_points)
    cap_num, cap_den = _as_ratio(rule.cap) if rule.scoring == "cap" else (0, 1)
    full = _rounded(rule.max_points, places)
    applies = frozenset(level for level, variant in rule.levels.items() if variant.applies)
    return _RuleConstants(
        full, int(full.scaleb(places)), _rounded(0, places), max_num, max_den, cap_num, cap_den, applies
    )


def _score_indicator(
    rule: IndicatorRule, c: _RuleConstants, inputs: IndicatorInputs, places: int
) -> tuple[IndicatorScore, int]:
    """The indicator's score, and its points in units of the last place (for the group sums)."""
    numerator = getattr(inputs, rule.numerator)
    denominator = getattr(inputs, rule.denominator)
    full = c.full
    if inputs.level not in c.applies:
        status = "not_applicable"
        return IndicatorScore(
            rule.code, rule.group, numerator, denominator, None, full, full, status
        ), c.full_units
    if denominator == 0:
        if numerator:
            raise ValueError(
                f"{rule.code}: {rule.numerator}={numerator} but {rule.denominator}=0 for a {inputs.level}"
            )
        if rule.when_empty == "full":
            status = "full_when_empty"
            return IndicatorScore(rule.code, rule.group, numerator, 0, None, full, full, status), c.full_units
        return IndicatorScore(rule.code, rule.group, numerator, 0, None, c.zero, full, "no_data"), 0
    if numerator > denominator:
        raise ValueError(
            f"{rule.code}: {rule.numerator}={numerator} exceeds {rule.denominator}={denominator}"
        )
    # Integer arithmetic on the exact ratio (same result as Fraction, several times faster).
    if rule.scoring == "cap":
        if numerator * c.cap_den >= c.cap_num * denominator:  # rate >= cap: full points
            top, bottom = c.max_num, c.max_den
        else:
            top, bottom = c.max_num * numerator * c.cap_den, c.max_den * denominator * c.cap_num
    else:
        top, bottom = c.max_num * numerator, c.max_den * denominator
    units = _half_up_units(top, bottom, places)
    points = Decimal(units).scaleb(-places)
    rate = _half_up(numerator, denominator, RATE_PLACES)
    return IndicatorScore(rule.code, rule.group, numerator, denominator, rate, points, full, "scored"), units


@lru_cache(maxsize=256)
def _as_ratio(value: Decimal) -> tuple[int, int]:
    ratio = Fraction(value)
    return ratio.numerator, ratio.denominator


def _half_up_units(numerator: int, denominator: int, places: int) -> int:
    """numerator / denominator (both >= 0, denominator > 0) rounded half-up, in units of 10**-places."""
    return (2 * numerator * 10**places + denominator) // (2 * denominator)


def _half_up(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator (both >= 0, denominator > 0) rounded half-up to ``places``."""
    return Decimal(_half_up_units(numerator, denominator, places)).scaleb(-places)


@lru_cache(maxsize=256)
def _rounded(value: Decimal | int, places: int) -> Decimal:
    return round_half_up(Fraction(value), places)


def _active_language_name(group: Group) -> str:
    """The group's name, resolved when it is rendered: scores are cached per process and shared by
    requests in Vietnamese and in English, so the name must not be fixed in the language of the first."""
    return _lazy_text(group.display_name)


_lazy_text = lazy(lambda resolve: resolve(), str)


def _change(
    kind: Literal["indicator", "group"], code: str, target: Decimal, current: Decimal, projected: Decimal
) -> WhatIfChange:
    return WhatIfChange(kind, code, Decimal(target), current, projected, projected - current)


def _exact(value: Any, where: str) -> Fraction:
    """Accept Decimal or int; refuse float so binary noise never enters a score."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{where}: expected Decimal or int, got {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{where}: {value} is not a finite number")
    return Fraction(value)
