"""Reporting periods: weeks (ISO, Monday first), months, quarters, years, and any date range.

Pure date arithmetic, no ORM. A named period is identified by its kind and first day; keys such as
``2026-W08``, ``2026-02``, ``2026-Q1`` and ``2026`` are accepted wherever a period is asked for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext

from apps.core.api.dates import day_problem


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


NAMED_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    kind: PeriodKind = PeriodKind.RANGE

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                gettext("A period cannot end (%(end)s) before it starts (%(start)s).")
                % {"end": self.end, "start": self.start}
            )

    @property
    def key(self) -> str:
        if self.kind == PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def judged_on(self, today: dt.date) -> dt.date:
        """Unfinished dossiers are judged on the period's last day, or today for the current period."""
        return min(self.end, today)

    def is_closed(self, today: dt.date) -> bool:
        return self.end < today

    def previous(self) -> Period:
        if self.kind == PeriodKind.RANGE:
            length = self.end - self.start
            end = self.start - dt.timedelta(days=1)
            return Period(end - length, end)
        return containing(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        if self.kind == PeriodKind.RANGE:
            length = self.end - self.start
            start = self.end + dt.timedelta(days=1)
            return Period(start, start + length)
        return containing(self.kind, self.end + dt.timedelta(days=1))


def containing(kind: PeriodKind, day: dt.date) -> Period:
    """The named period of ``kind`` that contains ``day``."""
    if kind == PeriodKind.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6), kind)
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        return Period(start, _month_end(start), kind)
    if kind == PeriodKind.QUARTER:
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(start, _month_end(dt.date(start.year, start.month + 2, 1)), kind)
    if kind == PeriodKind.YEAR:
        return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), kind)
    raise ValueError(f"{kind} is not a named period kind.")


def overlapping(kind: PeriodKind, first: dt.date, last: dt.date) -> list[Period]:
    """Every named period of ``kind`` that overlaps ``[first, last]``, in order."""
    periods, period = [], containing(kind, first)
    while period.start <= last:
        periods.append(period)
        period = period.next()
    return periods


def _month_end(first: dt.date) -> dt.date:
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


class PeriodOutOfRange(ValueError):
    """A well-formed period key whose days are outside the years the API accepts."""

    code = "date_out_of_range"


_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def parse(key: str) -> Period:
    """Turn ``2026-W08`` / ``2026-02`` / ``2026-Q1`` / ``2026`` / ``2026-02-01..2026-02-20`` into a period."""
    key = key.strip()
    try:
        period = _parse(key)
    except ValueError as exc:
        raise ValueError(
            gettext("%(key)s is not a valid period: %(reason)s") % {"key": repr(key), "reason": exc}
        ) from None
    if period is not None:
        # The same year range as every other date the API takes: a period's neighbours stay representable.
        problem = day_problem(period.start) or day_problem(period.end)
        if problem:
            raise PeriodOutOfRange(
                gettext("%(key)s is not a valid period: %(reason)s") % {"key": repr(key), "reason": problem}
            )
        return period
    raise ValueError(
        gettext("%(key)s is not a period; use 2026-W08, 2026-02, 2026-Q1, 2026 or 2026-02-01..2026-02-20.")
        % {"key": repr(key)}
    )


def _parse(key: str) -> Period | None:
    if m := _WEEK.match(key):
        return containing(PeriodKind.WEEK, dt.date.fromisocalendar(int(m[1]), int(m[2]), 1))
    if m := _MONTH.match(key):
        return containing(PeriodKind.MONTH, dt.date(int(m[1]), int(m[2]), 1))
    if m := _QUARTER.match(key):
        return containing(PeriodKind.QUARTER, dt.date(int(m[1]), 3 * int(m[2]) - 2, 1))
    if m := _YEAR.match(key):
        return containing(PeriodKind.YEAR, dt.date(int(m[1]), 1, 1))
    if m := _RANGE.match(key):
        return Period(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
    return None
