"""The rule book's worked checks, reproduced to the hundredth from the bundled methodology."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from apps.scoring.engine import score, total_of, what_if
from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Methodology

METHODOLOGY = Methodology.for_date(dt.date(2025, 3, 3))


def _online_services_at_8_48() -> IndicatorInputs:
    """A province whose online-services group is 8.48/12: A = 72/90 reaches the cap (2), B = 228 of its
    1,900 online services (unit × procedure offerings) used (4 × 0.12 = 0.48), C capped (6)."""
    return IndicatorInputs.zero(
        "province",
        procedures_under_authority=90,
        procedures_online=72,
        online_services_offered=1900,
        online_services_used=228,
        dossiers_received=10,
        dossiers_online_counted=5,
    )


def test_bac_ninh_total_from_published_group_scores():
    transparency = METHODOLOGY.round_points(Decimal("0.879") * 18)
    satisfaction = METHODOLOGY.round_points(Decimal("0.992") * 18)
    assert (transparency, satisfaction) == (Decimal("15.82"), Decimal("17.86"))

    total = total_of(
        {
            "MDSH": Decimal("21.01"),
            "TDGQ": Decimal("19.20"),
            "TTTT": Decimal("9.91"),
            "CLGQ": Decimal("8.48"),
            "CKMB": transparency,
            "MDHL": satisfaction,
        },
        METHODOLOGY,
    )

    assert total == Decimal("92.28")
    assert total - Decimal("91.65") == Decimal("0.63")


def test_bac_ninh_what_if_online_services_at_90_percent_of_the_group():
    inputs = _online_services_at_8_48()
    assert score(inputs, METHODOLOGY).group("CLGQ").points == Decimal("8.48")

    result = what_if(inputs, METHODOLOGY, {"CLGQ": Decimal("0.9")})

    assert result.gain == Decimal("2.32")  # 0.9 × 12 − 8.48
    assert result.changes[0].projected_points == Decimal("10.80")
    assert result.projected_total == result.current_total + Decimal("2.32")


@pytest.mark.parametrize(
    ("dossiers", "on_time", "points", "status"),
    [
        (161, 156, Decimal("19.38"), "scored"),  # 20 × 156/161 = 19.378…
        (5, 3, Decimal("12.00"), "scored"),
        (0, 0, Decimal("0.00"), "no_data"),
        (16, 16, Decimal("20.00"), "scored"),
    ],
)
def test_progress(dossiers, on_time, points, status):
    inputs = IndicatorInputs.zero("commune", dossiers_in_period=dossiers, dossiers_on_time=on_time)

    progress = score(inputs, METHODOLOGY).indicator("PROGRESS")

    assert (progress.points, progress.status) == (points, status)
    assert str(progress.points) == str(points)  # always shown with two decimals


def test_half_up_where_round_would_go_to_even():
    inputs = IndicatorInputs.zero("province", fee_dossiers=16, fee_dossiers_paid_online=3)

    payment = score(inputs, METHODOLOGY).indicator("PAYMENT_DOSSIERS")

    assert round(6 * 3 / 16, 2) == 1.12  # what the portal does *not* publish
    assert Decimal("1.125").quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal("1.13")
    assert payment.points == Decimal("1.13")
