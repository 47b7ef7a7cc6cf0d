"""The overview's links come from one ``reverse()`` per kind of link; they must equal ``reverse()`` per link."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from apps.console.overview import _dossiers_links, _unit_links
from apps.statistics.periods import parse


@pytest.mark.parametrize("code", ["H44", "H44.100", "P1.101", "Xã An-Bình (1)", "a~b:c@d"])
@pytest.mark.parametrize("name", ["console-overview", "console-dossiers"])
def test_one_reverse_gives_the_links_reverse_gives(name, code):
    assert _unit_links(name)(code) == reverse(name, args=[code])


def test_dossier_links_keep_each_measure_and_the_period():
    period = parse("2026-W47")
    link = _dossiers_links(period)
    for code in ("H44", "H44.100"):
        for measure in ("in_period", "on_time", "late", "dossiers_in_period"):
            query = urlencode({"measure": measure, "period": period.key})
            assert link(code, measure) == reverse("console-dossiers", args=[code]) + "?" + query
