from decimal import Decimal as D

import pytest

from apps.statistics.rankings import band_gap, band_of, competition_ranks, parse_bands, top_spread


@pytest.mark.parametrize(
    ("totals", "ranks"),
    [
        ([D(90), D(95), D(95), D(80)], [3, 1, 1, 4]),
        ([D(1), D(1), D(1)], [1, 1, 1]),
        ([D("92.28"), D("91.65"), D("92.28"), D("92.27")], [1, 4, 1, 3]),
        ([], []),
    ],
)
def test_competition_ranking(totals, ranks):
    assert competition_ranks(totals, key=lambda t: t) == ranks


@pytest.mark.parametrize(
    ("total", "band"),
    [(D("94.00"), ">=94"), (D("93.99"), "90-94"), (D(90), "90-94"), (D("89.99"), "<90"), (D(0), "<90")],
)
def test_default_bands(total, band):
    assert band_of(total, parse_bands("94,90")) == band


def test_bad_bands():
    with pytest.raises(ValueError):
        parse_bands("high,low")
    with pytest.raises(ValueError):
        parse_bands("120")


def test_spread_and_gap():
    totals = [D("95.10"), D("94.50"), D("93.86"), D("88.93")]
    assert top_spread(totals, 3) == D("1.24")
    assert band_gap(totals, parse_bands("94,90")) == D("5.07")
    assert top_spread([], 10) is None and band_gap([], parse_bands("94")) is None
