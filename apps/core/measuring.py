"""Helpers the benchmark commands share, so their figures are computed one way."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The value at rank ``q`` (0..1) of the sorted timings, without interpolation: a p95 is a time some
    request really took."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
