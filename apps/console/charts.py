"""Chart geometry for the console's server-rendered SVG: pure arithmetic, no ORM, no HTML.

Charts are drawn by templates from what these functions return (coordinates already formatted as SVG
numbers with a dot, so the active language's decimal comma never reaches an attribute); the values
themselves stay Decimals, so the template shows them in the reader's number format. Nothing is fetched
or executed in the browser: the centres' networks are often closed and the page must print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

#: Room around the plot for the axis labels (left), the value labels (top) and the period labels (bottom).
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 40, 26, 40
#: Horizontal grid lines at these fractions of the maximum.
GRID_FRACTIONS = (Decimal(0), Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))


@dataclass(frozen=True)
class ChartPoint:
    label: str
    value: Decimal
    x: str
    y: str
    label_y: str  # where the point's value is written, just above it


@dataclass(frozen=True)
class GridLine:
    value: Decimal
    y: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: str
    right: str
    top: str
    bottom: str
    label_y: str  # baseline of the period labels under the plot
    points: tuple[ChartPoint, ...]
    grid: tuple[GridLine, ...]
    path: str  # the polyline through the points, as an SVG path


def _n(value: float) -> str:
    """An SVG coordinate: one decimal, a dot, no exponent."""
    return f"{value:.1f}"


def line_chart(
    values: Sequence[tuple[str, Decimal]], *, maximum: Decimal, width: int = 760, height: int = 240
) -> LineChart:
    """A line chart of ``values`` (label, value) on a scale from 0 to ``maximum``.

    The scale is fixed at the score's maximum rather than fitted to the data, so a small move is not
    drawn as a cliff and two units' charts compare at a glance. A value above the maximum (impossible
    for a score) is drawn at the top edge.
    """
    if maximum <= 0:
        raise ValueError("maximum must be positive")
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    bottom = MARGIN_TOP + plot_h

    def y_of(value: Decimal) -> float:
        share = min(max(value / maximum, Decimal(0)), Decimal(1))
        return bottom - float(share) * plot_h

    step = plot_w / (len(values) - 1) if len(values) > 1 else 0.0
    points = []
    for index, (label, value) in enumerate(values):
        x = MARGIN_LEFT + (index * step if len(values) > 1 else plot_w / 2)
        y = y_of(value)
        points.append(ChartPoint(label, value, _n(x), _n(y), _n(y - 8)))
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    grid = tuple(GridLine(maximum * f, _n(y_of(maximum * f))) for f in GRID_FRACTIONS)
    return LineChart(
        width=width,
        height=height,
        left=_n(MARGIN_LEFT),
        right=_n(MARGIN_LEFT + plot_w),
        top=_n(MARGIN_TOP),
        bottom=_n(bottom),
        label_y=_n(bottom + 22),
        points=tuple(points),
        grid=grid,
        path=path,
    )
