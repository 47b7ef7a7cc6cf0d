"""The tables the console can export: each a plain function ``(user, params) -> TableData``.

Every table reads through the functions its page and its API endpoint read (``apps.statistics.reports``,
``apps.queues.figures``, ``apps.dossiers.selectors``), validates its filters with the API's own query
serializers and shapes each row with the API's output serializer. A file's rows are therefore the API's
JSON rows, column by column; the file only chooses which fields to show and in what order.

Rows are produced lazily: dossier lists iterate their queryset in chunks, so a file of a million rows
never holds more than one chunk in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.accounts.models import User
from apps.accounts.scope import visible_units
from apps.console.overview import trend_kind
from apps.core.api.errors import flatten_validation_detail
from apps.core.errors import DomainError
from apps.core.replica import for_reporting
from apps.dossiers.api.serializers import DossierOut
from apps.dossiers.permissions import visible_dossiers
from apps.dossiers.selectors import due_soon_q, in_unit_subtree, open_by_due, overdue_now_q
from apps.organisation.models import Unit
from apps.queues import figures
from apps.queues.api import serializers as queue_out
from apps.scoring.methodology import Methodology
from apps.statistics import reports
from apps.statistics.api import serializers as stats_out
from apps.statistics.breakdowns import BREAKDOWNS
from apps.statistics.periods import Period, PeriodKind
from apps.statistics.rankings import BandRule
from apps.statistics.services import today

#: Dossiers fetched per database round trip when a list is written out.
CHUNK_SIZE = 2000


class ExportRefused(Exception):
    """The export cannot be made as asked: ``status`` 400 (bad filters) or 404 (unit not in scope)."""

    def __init__(self, code: str, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.field = code, message, status, field


@dataclass(frozen=True)
class Column:
    """One column: where its value sits in the API's row (dotted path), its header, its cell type."""

    key: str
    label: str | Promise
    kind: str = "text"  # text, int, decimal, date, datetime, bool


class TableData(NamedTuple):
    """What a table gives the writers: its columns, its rows (lazy) and how many rows to expect."""

    columns: list[Column]
    rows: Iterator[list[Any]]
    estimated_count: int
    #: Words for the file name (unit code, period key...), ASCII only.
    name_parts: tuple[str, ...] = ()


def value_at(row: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted path of a serialized row (``waiting.median_minutes``); None when absent."""
    value: Any = row
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def cells(columns: list[Column], rows: Iterable[Mapping[str, Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [value_at(row, column.key) for column in columns]


# ---- parameters ---------------------------------------------------------------------------------


def _validated(query_class: type[serializers.Serializer], data: dict[str, Any]) -> dict[str, Any]:
    """The API's query serializer applied to the export's filters; its first error becomes a 400."""
    query = query_class(data={k: v for k, v in data.items() if v not in (None, "")})
    if not query.is_valid():
        first = flatten_validation_detail(query.errors)[0]
        raise ExportRefused("validation_error", f"{first['field']}: {first['message']}", field=first["field"])
    return dict(query.validated_data)


def _period(params: Mapping[str, str]) -> Period:
    """The ``period`` filter as the API and the overview resolve it (this week by default)."""
    _validated(stats_out.PeriodQuery, {"period": params.get("period")})
    try:
        return reports.resolve_period((params.get("period") or "").strip() or None, today())
    except DomainError as exc:
        raise ExportRefused(str(exc.code), exc.message, field="period") from None
    except ValueError as exc:
        raise ExportRefused("validation_error", str(exc), field="period") from None


def _unit(user: User, params: Mapping[str, str], *, default: Unit | None = None) -> Unit:
    """The unit asked for, within the user's scope; a unit outside it is "not found", like the API."""
    code = (params.get("unit") or "").strip()
    if not code:
        if default is not None:
            return default
        raise ExportRefused(
            "validation_error", gettext("Say which unit to export (unit=CODE)."), field="unit"
        )
    unit = visible_units(user).filter(code=code).first()
    if unit is None:
        raise ExportRefused(
            "not_found", gettext("No unit %(code)s in your scope.") % {"code": code}, status=404
        )
    return unit


def _pick(params: Mapping[str, str], *names: str, allowed: Iterable[str] | None = None) -> str | None:
    """The first of ``names`` present (and, with ``allowed``, one of those values): the page's filters
    are shared by its panels, so a generic name (``by``) is taken only when it fits this table."""
    values = set(allowed) if allowed is not None else None
    for name in names:
        value = (params.get(name) or "").strip()
        if value and (values is None or value in values or name == names[0]):
            return value
    return None


# ---- columns ------------------------------------------------------------------------------------

DOSSIER_COLUMNS = [
    Column("code", _("Dossier code")),
    Column("applicant_name", _("Applicant")),
    Column("procedure", _("Procedure code")),
    Column("receiving_unit", _("Receiving unit")),
    Column("handling_unit", _("Handling unit")),
    Column("channel_name", _("Channel")),
    Column("status", _("Status code"), "int"),
    Column("status_name", _("Status")),
    Column("received_at", _("Received"), "datetime"),
    Column("legal_due_at", _("Legal due date"), "datetime"),
    Column("effective_due_at", _("Due"), "datetime"),
    Column("supplement_count", _("Supplement requests"), "int"),
    Column("finished_at", _("Finished"), "datetime"),
    Column("timeliness_name", _("Timeliness")),
]

ON_TIME_COLUMNS = [
    Column("key", _("Code")),
    Column("name", _("Name")),
    Column("kind", _("Kind of unit")),
    Column("in_period", _("Dossiers in the period"), "int"),
    Column("on_time", _("On time"), "int"),
    Column("late", _("Late"), "int"),
    Column("rate", _("On-time rate"), "decimal"),
    Column("ended_early", _("Finished early"), "int"),
    Column("ended_on_time", _("Finished on time"), "int"),
    Column("ended_late", _("Finished late"), "int"),
    Column("open_in_time", _("Open, within time"), "int"),
    Column("open_overdue", _("Open, overdue"), "int"),
    Column("average_working_days", _("Average working days"), "decimal"),
]


def _minutes(prefix: str, label: str | Promise) -> list[Column]:
    return [
        Column(f"{prefix}.count", gettext("%(what)s: tickets") % {"what": label}, "int"),
        Column(f"{prefix}.median_minutes", gettext("%(what)s: median minutes") % {"what": label}, "int"),
        Column(
            f"{prefix}.p90_minutes", gettext("%(what)s: 90th percentile minutes") % {"what": label}, "int"
        ),
        Column(f"{prefix}.target_minutes", gettext("%(what)s: target minutes") % {"what": label}, "int"),
        Column(f"{prefix}.within_target", gettext("%(what)s: within target") % {"what": label}, "int"),
        Column(
            f"{prefix}.within_target_rate",
            gettext("%(what)s: rate within target") % {"what": label},
            "decimal",
        ),
    ]


def queue_columns() -> list[Column]:
    return [
        Column("unit", _("Unit code")),
        Column("counter", _("Counter"), "int"),
        Column("staff", _("Staff user")),
        Column("name", _("Name")),
        Column("tickets", _("Tickets"), "int"),
        Column("served", _("Served"), "int"),
        Column("no_shows", _("No-shows"), "int"),
        Column("open", _("Still open"), "int"),
        Column("no_show_rate", _("No-show rate"), "decimal"),
        *_minutes("waiting", gettext("Waiting")),
        *_minutes("handling", gettext("Handling")),
    ]


WORKLOAD_STAFF_COLUMNS = [
    Column("staff", _("Staff user")),
    Column("name", _("Name")),
    Column("unit", _("Unit code")),
    Column("area_type", _("Area type")),
    Column("received", _("Dossiers received"), "int"),
    Column("finished", _("Dossiers finished"), "int"),
    Column("tickets_served", _("Tickets served"), "int"),
    Column("received_per_year", _("Received per year"), "decimal"),
    Column("finished_per_year", _("Finished per year"), "decimal"),
    Column("target_per_year", _("Yearly target"), "decimal"),
    Column("received_vs_target", _("Received against target"), "decimal"),
]

WORKLOAD_UNIT_COLUMNS = [
    Column("unit", _("Unit code")),
    Column("name", _("Name")),
    Column("area_type", _("Area type")),
    Column("staff", _("Staff"), "int"),
    Column("received", _("Dossiers received"), "int"),
    Column("finished", _("Dossiers finished"), "int"),
    Column("received_per_staff_per_year", _("Received per staff member per year"), "decimal"),
    Column("finished_per_staff_per_year", _("Finished per staff member per year"), "decimal"),
    Column("target_per_staff_per_year", _("Yearly target per staff member"), "decimal"),
    Column("received_vs_target", _("Received against target"), "decimal"),
    Column("finished_vs_target", _("Finished against target"), "decimal"),
]


def _group_columns(methodology: Methodology) -> list[Column]:
    return [
        Column(f"groups.{g.code}", f"{g.code} · {g.display_name()}", "decimal") for g in methodology.groups
    ]


# ---- tables -------------------------------------------------------------------------------------


def rankings_table(user: User, params: Mapping[str, str]) -> TableData:
    """The unit's children ranked by total (or a group), with bands and deltas: the overview's table."""
    unit, period = _unit(user, params), _period(params)
    methodology = Methodology.for_date(period.end)
    groups = {g.code for g in methodology.groups}
    by = _pick(params, "rank_by", "by", allowed={"total", *groups}) or "total"
    query = _validated(stats_out.RankingsQuery, {"period": period.key, "by": by, "kind": params.get("kind")})
    if query["by"] != "total" and query["by"] not in groups:
        message = gettext("Use total or one of %(groups)s.") % {"groups": ", ".join(sorted(groups))}
        raise ExportRefused("validation_error", message, field="rank_by")
    bands = [BandRule(b.code, b.min) for b in methodology.bands]
    result = reports.rankings(unit, period, by=query["by"], bands=bands, kind=query.get("kind"))
    rows = stats_out.RankingRowOut(result["rows"], many=True).data
    columns = [
        Column("rank", _("Rank"), "int"),
        Column("unit", _("Unit code")),
        Column("name", _("Unit")),
        Column("kind", _("Kind of unit")),
        Column("total", _("Total score"), "decimal"),
        *([Column("value", _("Points of the group ranked by"), "decimal")] if query["by"] != "total" else []),
        Column("band", _("Band")),
        Column("delta", _("Change since the previous period"), "decimal"),
        Column("previous_rank", _("Previous rank"), "int"),
        Column("rank_change", _("Rank change"), "int"),
        Column("dossiers", _("Dossiers in the period"), "int"),
        *_group_columns(methodology),
    ]
    return TableData(columns, cells(columns, rows), len(rows), (unit.code, period.key))


def on_time_table(user: User, params: Mapping[str, str]) -> TableData:
    """On time and late by child unit (default), procedure or field, worst rate first as on the page."""
    unit, period = _unit(user, params), _period(params)
    data = {
        "period": period.key,
        "by": _pick(params, "dimension", "by", allowed=BREAKDOWNS) or "unit",
        "kind": params.get("kind"),
        "ordering": params.get("ordering") or "rate",
    }
    query = _validated(stats_out.OnTimeQuery, data)
    result = reports.on_time_breakdown(
        unit, period, query["by"], kind=query.get("kind"), ordering=query["ordering"]
    )
    rows = stats_out.OnTimeRowOut(result, many=True).data
    return TableData(ON_TIME_COLUMNS, cells(ON_TIME_COLUMNS, rows), len(rows), (unit.code, period.key))


def trend_table(user: User, params: Mapping[str, str]) -> TableData:
    """The unit's totals over the last weeks or months, groups included, as the overview's chart: with
    a ``period``, ending at that period (weeks for a week, months for longer), else at this week."""
    unit = _unit(user, params)
    period = _period(params) if (params.get("period") or "").strip() else None
    default = trend_kind(period).value if period is not None else PeriodKind.WEEK.value
    kind = _pick(params, "trend_kind", "granularity", allowed={"week", "month", "quarter", "year"})
    query = _validated(stats_out.TrendQuery, {"kind": kind or default, "count": params.get("count")})
    until = min(period.end, today()) if period is not None else today()
    points = reports.trend(unit, PeriodKind(query["kind"]), query["count"], today=until)
    shaped = [{**p, "period": _period_data(p["period"])} for p in points]
    rows = stats_out.TrendPointOut(shaped, many=True).data
    methodology = Methodology.for_date(points[-1]["period"].end if points else until)
    columns = [
        Column("period.key", _("Period")),
        Column("period.start", _("From"), "date"),
        Column("period.end", _("To"), "date"),
        Column("total", _("Total score"), "decimal"),
        Column("closed", _("Period closed"), "bool"),
        *_group_columns(methodology),
    ]
    return TableData(columns, cells(columns, rows), len(rows), (unit.code, query["kind"]))


def counter_queues_table(user: User, params: Mapping[str, str]) -> TableData:
    """Counter waiting and handling times, one row per counter (or unit, or staff user)."""
    unit, period = _unit(user, params), _period(params)
    by = _pick(params, "queue_by", allowed=figures.BREAKDOWNS) or "counter"
    query = _validated(queue_out.QueueFiguresQuery, {"period": period.key, "by": by})
    result = figures.queue_figures(unit, period, by=query["by"])
    rows = queue_out.QueueRowOut(result["rows"], many=True).data
    columns = queue_columns()
    return TableData(columns, cells(columns, rows), len(rows), (unit.code, period.key))


def workload_table(user: User, params: Mapping[str, str]) -> TableData:
    """Workload against the yearly targets: one row per unit, as the overview shows it, or per staff member
    (``workload_rows=staff``)."""
    unit, period = _unit(user, params), _period(params)
    per = _pick(params, "workload_rows", allowed={"staff", "units"}) or "units"
    if per not in ("staff", "units"):
        raise ExportRefused(
            "validation_error", gettext("workload_rows is staff or units."), field="workload_rows"
        )
    result = figures.workload(unit, period, today())
    if per == "staff":
        rows, columns = queue_out.StaffWorkloadOut(result["staff"], many=True).data, WORKLOAD_STAFF_COLUMNS
    else:
        rows, columns = queue_out.WorkloadRowOut(result["units"], many=True).data, WORKLOAD_UNIT_COLUMNS
    return TableData(columns, cells(columns, rows), len(rows), (unit.code, period.key))


def dossier_rows(queryset: QuerySet) -> Iterator[dict[str, Any]]:
    """Each dossier as the API lists it, read in chunks: one serializer for all rows, no list of them."""
    serializer = DossierOut()
    # A bulk read that tolerates a few seconds' lag: from the read replica when one is configured.
    for dossier in for_reporting(queryset).iterator(chunk_size=CHUNK_SIZE):
        yield serializer.to_representation(dossier)


def _dossier_table(queryset: QuerySet, count: int, *name: str) -> TableData:
    return TableData(DOSSIER_COLUMNS, cells(DOSSIER_COLUMNS, dossier_rows(queryset)), count, name)


def dossiers_table(user: User, params: Mapping[str, str]) -> TableData:
    """The dossiers behind a number of the overview (the drill-down: same SQL as the count)."""
    unit, period = _unit(user, params), _period(params)
    query = _validated(
        stats_out.DossiersBehindQuery, {"period": period.key, "measure": params.get("measure")}
    )
    measure = query["measure"]
    count = reports.dossiers_behind_count(unit, period, measure)
    queryset = reports.dossiers_behind(unit, period, measure)
    return _dossier_table(queryset, count, unit.code, period.key, measure)


def _open_in(user: User, unit: Unit, condition: Q | None = None, now: dt.datetime | None = None) -> QuerySet:
    """The unit subtree's open dossiers the user may see (those meeting ``condition``), soonest due
    first: the desk's queue, and the overview's overdue and due-soon lists (the API's ``?overdue=true``,
    ``?due_soon=true``)."""
    mine = in_unit_subtree(visible_dossiers(user), unit)
    return open_by_due(mine.filter(condition) if condition is not None else mine, now)


def overdue_table(user: User, params: Mapping[str, str]) -> TableData:
    """Open dossiers past their due time now, soonest due first."""
    unit, now = _unit(user, params), timezone.now()
    queryset = _open_in(user, unit, overdue_now_q(now), now)
    return _dossier_table(queryset, for_reporting(queryset).count(), unit.code, "overdue")


def due_soon_table(user: User, params: Mapping[str, str]) -> TableData:
    """Open dossiers in time whose clock runs out within 24 hours, soonest due first."""
    unit, now = _unit(user, params), timezone.now()
    queryset = _open_in(user, unit, due_soon_q(now), now)
    return _dossier_table(queryset, for_reporting(queryset).count(), unit.code, "due-soon")


def desk_queue_table(user: User, params: Mapping[str, str]) -> TableData:
    """The reception desk's queue: every open dossier of the unit (the user's own by default)."""
    unit = _unit(user, params, default=user.unit)
    queryset = _open_in(user, unit)
    return _dossier_table(queryset, for_reporting(queryset).count(), unit.code, "queue")


def _period_data(period: Period) -> dict[str, Any]:
    return {"key": period.key, "kind": period.kind.value, "start": period.start, "end": period.end}


TableFunction = Callable[[User, Mapping[str, str]], TableData]

#: name -> (function, filters it reads, its title). Filters not listed are ignored: a page's query string
#: carries every panel's filters, and each table takes its own.
TABLES: dict[str, tuple[TableFunction, tuple[str, ...], str | Promise]] = {
    "rankings": (rankings_table, ("unit", "period", "kind", "rank_by", "by"), _("Ranking of the units")),
    "on_time": (
        on_time_table,
        ("unit", "period", "kind", "dimension", "by", "ordering"),
        _("On time by unit, procedure or field"),
    ),
    "trend": (trend_table, ("unit", "period", "trend_kind", "granularity", "count"), _("Score trend")),
    "counter_queues": (counter_queues_table, ("unit", "period", "queue_by"), _("Counter queues")),
    "workload": (workload_table, ("unit", "period", "workload_rows"), _("Staff workload")),
    "overdue": (overdue_table, ("unit",), _("Overdue dossiers")),
    "due_soon": (due_soon_table, ("unit",), _("Dossiers due within 24 hours")),
    "dossiers": (dossiers_table, ("unit", "period", "measure"), _("Dossiers behind a number")),
    "desk_queue": (desk_queue_table, ("unit",), _("Open dossiers of the unit")),
}


def table_params(table: str, query: Mapping[str, Any]) -> dict[str, str]:
    """The filters ``table`` reads, as plain strings (what a job stores and runs again)."""
    names = TABLES[table][1]
    result = {}
    for name in names:
        value = query.get(name)
        if isinstance(value, list):  # a QueryDict's getlist, or a job's stored params
            value = value[-1] if value else None
        if value not in (None, ""):
            result[name] = str(value)[:200]
    return result


def check_table(table: str) -> None:
    """Refuse a name that is not in :data:`TABLES` (400 ``unknown_table``)."""
    if table not in TABLES:
        known = ", ".join(TABLES)
        message = gettext("%(table)s is not an exportable table; use one of %(known)s.") % {
            "table": repr(table),
            "known": known,
        }
        raise ExportRefused("unknown_table", message, field="table")


def build(user: User, table: str, params: Mapping[str, str]) -> TableData:
    """Run ``table`` for ``user`` with its filters."""
    check_table(table)
    return TABLES[table][0](user, params)
