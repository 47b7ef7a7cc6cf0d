"""The engine's integer arithmetic gives exactly what the Fraction formulation of the rules gives."""

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction

from apps.scoring.engine import score
from apps.scoring.inputs import COUNT_NAMES, IndicatorInputs
from apps.scoring.methodology import Methodology, round_half_up


def test_points_match_the_fraction_formulation_on_random_counts():
    methodology = Methodology.for_date(dt.date(2026, 1, 1))
    rng = random.Random(766)
    for _ in range(400):
        counts = {}
        for rule in methodology.indicators:
            denominator = rng.choice([1, 2, 3, 5, 7, 16, 161, 1000, rng.randint(1, 10**6)])
            counts[rule.denominator] = max(counts.get(rule.denominator, 0), denominator)
        for rule in methodology.indicators:
            counts[rule.numerator] = rng.randint(0, counts[rule.denominator])
        level = rng.choice(["province", "department", "commune", "ministry"])
        values = {name: counts.get(name, 0) for name in COUNT_NAMES}
        result = score(IndicatorInputs(level=level, **values), methodology)
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
    methodology = Methodology.for_date(dt.date(2026, 1, 1))
    rng = random.Random(1766)
    for _ in range(300):
        counts = {}
        for rule in methodology.indicators:
            counts[rule.denominator] = max(
                counts.get(rule.denominator, 0), rng.choice([0, 1, 3, 16, 161, 997])
            )
        for rule in methodology.indicators:
            counts[rule.numerator] = rng.randint(0, counts[rule.denominator])
        level = rng.choice(["province", "department", "commune", "ministry"])
        values = {name: counts.get(name, 0) for name in COUNT_NAMES}
        result = score(IndicatorInputs(level=level, **values), methodology)
        for group, rule_group in zip(result.groups, methodology.groups, strict=True):
            mine = [i.points for i in result.indicators if i.group == group.code]
            expected = sum(mine, methodology.round_points(Fraction(0)))
            assert (str(group.points), group.code) == (str(expected), rule_group.code)
            share = Fraction(group.points) / Fraction(rule_group.max_points) * 100
            assert group.percent == round_half_up(share, 2)
        assert str(result.total) == str(sum((g.points for g in result.groups), Decimal("0.00")))
