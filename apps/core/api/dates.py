"""One rule for the dates and instants the API and ingest accept.

Python parses more than the rest of the system can hold: offsets up to ±23:59 (PostgreSQL stores at
most ±15:59), and years 1–9999, where converting ``0001-01-01T00:00+07:00`` to UTC, or adding a day to
``9999-12-31``, overflows. Every such value used to fail late, as a 500. A value is accepted when:

* its year is within ``MIN_YEAR``–``MAX_YEAR`` (also once converted to UTC), so date arithmetic a few
  years either side (periods, deadlines, calendars) stays representable; and
* its UTC offset, if any, is within ±15:59 (``MAX_OFFSET``).

Serializer fields (:class:`InstantField`, :class:`DayField`), query filters (:class:`InstantFilter`,
:class:`DayFilter`), period keys and the bulk ingest all apply :func:`instant_problem` /
:func:`day_problem`; the error code is ``date_out_of_range``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext
from rest_framework import serializers

from apps.core.errors import ErrorCode

MIN_YEAR = 1900
MAX_YEAR = 2999
MAX_OFFSET = dt.timedelta(hours=15, minutes=59)


def day_problem(day: dt.date) -> str | None:
    """Why ``day`` is out of range, or None."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return gettext("%(day)s is outside the years %(first)s–%(last)s.") % {
            "day": day.isoformat(),
            "first": MIN_YEAR,
            "last": MAX_YEAR,
        }
    return None


def instant_problem(instant: dt.datetime) -> str | None:
    """Why ``instant`` cannot be stored or computed with, or None."""
    offset = instant.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        return gettext("%(at)s has a UTC offset beyond ±15:59.") % {"at": instant.isoformat()}
    problem = day_problem(instant.date())
    if problem is None and offset is not None:
        try:
            problem = day_problem((instant - offset).date())
        except OverflowError:
            problem = gettext("%(day)s is outside the years %(first)s–%(last)s.") % {
                "day": instant.isoformat(),
                "first": MIN_YEAR,
                "last": MAX_YEAR,
            }
    return problem


class InstantField(serializers.DateTimeField):
    """A date-time within :func:`instant_problem`'s range."""

    default_error_messages = {ErrorCode.DATE_OUT_OF_RANGE.value: "{problem}"}

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            parsed = _parse_instant(value)
            if parsed is not None and (problem := instant_problem(parsed)):
                self.fail(ErrorCode.DATE_OUT_OF_RANGE.value, problem=problem)
        elif isinstance(value, dt.datetime) and (problem := instant_problem(value)):
            self.fail(ErrorCode.DATE_OUT_OF_RANGE.value, problem=problem)
        return super().to_internal_value(value)


class DayField(serializers.DateField):
    """A calendar date within :func:`day_problem`'s range."""

    default_error_messages = {ErrorCode.DATE_OUT_OF_RANGE.value: "{problem}"}

    def to_internal_value(self, value: Any) -> dt.date:
        day = super().to_internal_value(value)
        if problem := day_problem(day):
            self.fail(ErrorCode.DATE_OUT_OF_RANGE.value, problem=problem)
        return day


def _parse_instant(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


class _InstantFormField(forms.DateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = _parse_instant(value) if isinstance(value, str) else None
        if parsed is not None and (problem := instant_problem(parsed)):
            raise forms.ValidationError(problem, code=ErrorCode.DATE_OUT_OF_RANGE.value)
        return super().to_python(value)


class _IsoInstantFormField(_InstantFormField, django_filters.fields.IsoDateTimeField):
    pass


class _DayFormField(forms.DateField):
    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        if day is not None and (problem := day_problem(day)):
            raise forms.ValidationError(problem, code=ErrorCode.DATE_OUT_OF_RANGE.value)
        return day


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time query parameter within range (``?due_to=…``)."""

    field_class = _IsoInstantFormField


class DayFilter(django_filters.DateFilter):
    """A date query parameter within range (``?received_from=…``)."""

    field_class = _DayFormField
