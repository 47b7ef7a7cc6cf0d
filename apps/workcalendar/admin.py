"""Admin for working calendars.

Every edit that can change a day (office hours, exceptions, deletion) ends with a call to
:func:`apps.workcalendar.services.refresh_calendars`. The hooks are ``save_related`` (runs after the
inline exceptions are saved, so one rebuild sees them all), ``delete_model`` and ``delete_queryset``;
the models themselves never rebuild on ``save()``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseModelForm
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from apps.workcalendar.models import Calendar, CalendarDay, CalendarException
from apps.workcalendar.services import clear_calendar_cache, refresh_calendars


def _refresh(request: HttpRequest, calendars: Iterable[Calendar]) -> None:
    seen: set[int] = set()
    for calendar in calendars:
        if calendar.pk in seen or not Calendar.objects.filter(pk=calendar.pk).exists():
            continue
        for rebuilt in refresh_calendars(calendar):
            seen.add(rebuilt.pk)
            messages.info(
                request,
                _(
                    "Working calendar %(code)s rebuilt for %(first)s-%(last)s (revision %(revision)s)."
                    " Due dates already stored on dossiers are unchanged."
                )
                % {
                    "code": rebuilt.code,
                    "first": rebuilt.first_year,
                    "last": rebuilt.last_year,
                    "revision": rebuilt.revision,
                },
            )


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 1
    fields = ["date", "is_working", "name", "source"]


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "province", "morning_start", "afternoon_end", "revision", "year_range"]
    search_fields = ["code", "name"]
    readonly_fields = ["revision", "first_year", "last_year"]
    fieldsets = [
        (None, {"fields": ["code", "name", "province"]}),
        (
            _("Office hours"),
            {
                "fields": [
                    "morning_start",
                    "morning_end",
                    "afternoon_start",
                    "afternoon_end",
                    "same_day_cutoff",
                ]
            },
        ),
        (_("Materialised range"), {"fields": ["first_year", "last_year", "revision"]}),
    ]
    inlines = [CalendarExceptionInline]

    @admin.display(description=_("Years"))
    def year_range(self, obj: Calendar) -> str:
        return f"{obj.first_year}-{obj.last_year}" if obj.first_year else _("not built")

    def save_related(self, request: HttpRequest, form: BaseModelForm, formsets: list, change: bool) -> None:
        """Rebuild once, after the calendar row and all its inline exceptions are saved."""
        super().save_related(request, form, formsets, change)
        _refresh(request, [form.instance])

    def has_delete_permission(self, request: HttpRequest, obj: Calendar | None = None) -> bool:
        # Deleting the default calendar would leave every unit without deadlines.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Calendar) -> None:
        super().delete_model(request, obj)
        clear_calendar_cache()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Calendar]) -> None:
        super().delete_queryset(request, queryset.filter(province__isnull=False))
        clear_calendar_cache()


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["date", "calendar", "is_working", "name"]
    list_filter = ["calendar", "is_working"]
    search_fields = ["name", "source"]
    date_hierarchy = "date"

    def save_model(
        self, request: HttpRequest, obj: CalendarException, form: BaseModelForm, change: bool
    ) -> None:
        previous = None
        if change:
            previous = (
                CalendarException.objects.filter(pk=obj.pk).values_list("calendar_id", flat=True).first()
            )
        super().save_model(request, obj, form, change)
        affected = Calendar.objects.filter(pk__in={obj.calendar_id, previous} - {None})
        _refresh(request, affected)

    def delete_model(self, request: HttpRequest, obj: CalendarException) -> None:
        calendar = obj.calendar
        super().delete_model(request, obj)
        _refresh(request, [calendar])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarException]) -> None:
        calendars = list(Calendar.objects.filter(pk__in=queryset.values("calendar_id")))
        super().delete_queryset(request, queryset)
        _refresh(request, calendars)


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> QuerySet[CalendarDay]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Read-only: the table is derived data; edit exceptions or office hours instead."""

    list_display = ["date", "weekday", "calendar", "is_working", "seq", "reason"]
    list_filter = ["calendar", YearFilter, "is_working"]
    search_fields = ["reason"]
    list_select_related = ["calendar"]
    list_per_page = 100

    @admin.display(description=_("Day"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "D")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        return False
