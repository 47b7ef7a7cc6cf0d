"""Working calendars: administrator-edited exceptions and the materialised day table built from them.

Administrators edit :class:`Calendar` (office hours) and :class:`CalendarException` (swaps, extra days
off). :class:`CalendarDay` is derived data, rewritten as a whole by
:func:`apps.workcalendar.services.rebuild_calendar`; it stores each day's working-day sequence number so
that a deadline is a lookup instead of a walk over days. Nothing here rebuilds on ``save()``: the admin
and the services decide when, so bulk edits cost one rebuild, not one per row.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_CALENDAR_CODE = "default"


class CalendarManager(models.Manager["Calendar"]):
    def get_by_natural_key(self, code: str) -> Calendar:
        return self.get(code=code)


class Calendar(models.Model):
    """The default calendar (no province) or one province's override of office hours and exceptions."""

    code = models.CharField(
        verbose_name=pgettext_lazy("working calendar", "code"),
        max_length=32,
        unique=True,
        help_text=_('"default", or e.g. the province code.'),
    )
    name = models.CharField(verbose_name=pgettext_lazy("working calendar", "name"), max_length=255)
    province = models.OneToOneField(
        "organisation.Unit",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="working_calendar",
        limit_choices_to={"parent__isnull": True},
        help_text=_("Empty for the default calendar, used by every unit whose province has no override."),
    )
    morning_start = models.TimeField(verbose_name=_("morning start"), default=dt.time(7, 0))
    morning_end = models.TimeField(verbose_name=_("morning end"), default=dt.time(11, 30))
    afternoon_start = models.TimeField(verbose_name=_("afternoon start"), default=dt.time(13, 30))
    afternoon_end = models.TimeField(verbose_name=_("afternoon end"), default=dt.time(17, 0))
    same_day_cutoff = models.TimeField(
        verbose_name=_("same day cutoff"),
        default=dt.time(15, 0),
        help_text=_("Same-day procedures received at or after this are due the next day."),
    )
    revision = models.PositiveIntegerField(
        verbose_name=_("revision"),
        default=0,
        editable=False,
        help_text=_("Bumped on every rebuild so that in-process caches reload."),
    )
    first_year = models.PositiveSmallIntegerField(
        verbose_name=_("first year"), null=True, blank=True, editable=False
    )
    last_year = models.PositiveSmallIntegerField(
        verbose_name=_("last year"), null=True, blank=True, editable=False
    )

    objects = CalendarManager()

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["code"]
        constraints = [
            # Exactly the calendar coded "default" has no province, so there is at most one default.
            models.CheckConstraint(
                condition=Q(province__isnull=True, code=DEFAULT_CALENDAR_CODE)
                | (Q(province__isnull=False) & ~Q(code=DEFAULT_CALENDAR_CODE)),
                name="workcalendar_default_has_no_province",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    def clean(self) -> None:
        """Refuse office hours the deadline arithmetic cannot work with, before a rebuild is attempted."""
        from apps.workcalendar.deadlines import OfficeHours

        try:
            OfficeHours(
                self.morning_start,
                self.morning_end,
                self.afternoon_start,
                self.afternoon_end,
                self.same_day_cutoff,
            )
        except (TypeError, ValueError) as exc:
            raise ValidationError(str(exc)) from exc

    @property
    def is_default(self) -> bool:
        return self.province_id is None


class CalendarExceptionManager(models.Manager["CalendarException"]):
    def get_by_natural_key(self, calendar_code: str, date: str) -> CalendarException:
        return self.get(calendar__code=calendar_code, date=date)


class CalendarException(models.Model):
    """A day that differs from weekends + statutory holidays: a make-up working day or an extra day off."""

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(verbose_name=_("date"))
    is_working = models.BooleanField(
        verbose_name=_("is working"),
        help_text=_("Ticked: a working day (e.g. a make-up Saturday). Unticked: an extra day off."),
    )
    name = models.CharField(
        verbose_name=pgettext_lazy("calendar exception", "name"),
        max_length=255,
        help_text=_("Reason shown in deadline explanations."),
    )
    source = models.TextField(
        verbose_name=_("source"), blank=True, help_text=_("The announcement this comes from.")
    )

    objects = CalendarExceptionManager()

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="workcalendar_exception_unique")
        ]

    def __str__(self) -> str:
        kind = "working" if self.is_working else "off"
        return f"{self.date.isoformat()} {kind}: {self.name}"

    def natural_key(self) -> tuple[str, str]:
        return (self.calendar.code, self.date.isoformat())

    natural_key.dependencies = ["workcalendar.calendar"]


class CalendarDay(models.Model):
    """One materialised day. ``seq`` counts working days since the range start (k-th working day = k;
    a day off carries the previous working day's number), which turns deadlines into index arithmetic."""

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(verbose_name=_("date"))
    is_working = models.BooleanField(verbose_name=_("is working"))
    seq = models.PositiveIntegerField(verbose_name=_("seq"))
    reason = models.CharField(verbose_name=_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="workcalendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {'working' if self.is_working else 'off'} #{self.seq}"
