"""The engine's integer arithmetic gives exactly what the Fraction formulation of the rules gives."""

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction

from apps.scoring.engine import score
from apps.scoring.inputs import COUNT_NAMES, IndicatorInputs
from apps.scoring.methodology import Methodology, round_half_up

METHODOLOGY = Methodology.for_date(dt.date(2026, 1, 1))


def random_inputs(rng: random.Random, denominators) -> IndicatorInputs:
    """Counts that a methodology accepts: each numerator at most its denominator, drawn from
    ``denominators`` (a callable giving one), at a random level."""
    counts = {}
    for rule in METHODOLOGY.indicators:
        counts[rule.denominator] = max(counts.get(rule.denominator, 0), denominators())
    for rule in METHODOLOGY.indicators:
        counts[rule.numerator] = rng.randint(0, counts[rule.denominator])
    level = rng.choice(["province", "department", "commune", "ministry"])
    return IndicatorInputs(level=level, **{name: counts.get(name, 0) for name in COUNT_NAMES})


def test_points_match_the_fraction_formulation_on_random_counts():
    methodology, rng = METHODOLOGY, random.Random(766)
    for _ in range(400):
        inputs = random_inputs(rng, lambda: rng.choice([1, 2, 3, 5, 7, 16, 161, 1000, rng.randint(1, 10**6)]))
        result = score(inputs, methodology)
        for rule, indicator in zip(methodology.indicators, result.indicators, strict=True):
            if indicator.status != "scored":
                continue
            rate = Fraction(indicator.numerator, indicator.denominator)
            expected = methodology.round_points(rule.points_for_rate(rate))
            assert indicator.points == expected, (rule.code, indicator)
            assert indicator.rate == round_half_up(rate, 6)


def test_groups_and_total_match_sums_of_the_rounded_points():
    """Group points are summed in whole hundredths: they equal the Decimal sums of their indicators'
    points (same value and same two places), and the percent the Fraction formulation gives."""
    methodology, rng = METHODOLOGY, random.Random(1766)
    for _ in range(300):
        result = score(random_inputs(rng, lambda: rng.choice([0, 1, 3, 16, 161, 997])), methodology)
        for group, rule_group in zip(result.groups, methodology.groups, strict=True):
            mine = [i.points for i in result.indicators if i.group == group.code]
            expected = sum(mine, methodology.round_points(Fraction(0)))
            assert (str(group.points), group.code) == (str(expected), rule_group.code)
            share = Fraction(group.points) / Fraction(rule_group.max_points) * 100
            assert group.percent == round_half_up(share, 2)
        assert str(result.total) == str(sum((g.points for g in result.groups), Decimal("0.00")))
