"""The supervisor's overview of a unit, panel by panel, and the full lists of its open dossiers.

Every figure comes from the functions the API calls: scores, rankings, trend and on-time breakdowns
from :mod:`apps.statistics.reports`, the overdue and due-soon lists from :mod:`apps.dossiers.selectors`
(the API's ``?overdue=true`` / ``?due_soon=true``), queue figures and workload from
:mod:`apps.queues.figures`. This module only chooses which panels a request needs and shapes their
figures for the templates (signs as text, percentages, links), so a page never disagrees with the API.

One URL serves the whole page and its htmx fragments: a request from htmx names the element it will
replace (``HX-Target``), and gets only that panel (the on-time switch) or only the main content (the
period and unit-kind switches); any other request, a reload or a browser without JavaScript, gets the
whole page. The answers therefore vary on ``HX-Request``. The slower, secondary panels (trend, open
dossiers, counter queues, workload) are loaded by the page itself right after it arrives, each from
``/console/units/<code>/panels/<name>/`` (a fragment for htmx, a page of its own without JavaScript), so
the first answer stays fast and no request computes everything.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import RFC3986_SUBDELIMS, urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.console.charts import line_chart
from apps.console.views import (
    PAGE_SIZE,
    PeriodRefused,
    _band,
    _percent,
    _period,
    _signed,
    bad_request,
    not_found,
    page,
    signin_required,
    unit_in_scope,
)
from apps.dossiers.models import Dossier
from apps.dossiers.permissions import visible_dossiers
from apps.dossiers.selectors import due_soon_q, in_unit_subtree, open_by_due, overdue_now_q
from apps.organisation.models import AreaType, Unit, UnitKind
from apps.queues import figures
from apps.queues.models import WorkloadPeriod
from apps.scoring.methodology import Methodology
from apps.statistics import reports
from apps.statistics.periods import Period, PeriodKind, containing
from apps.statistics.rankings import BandRule
from apps.statistics.services import today

#: The element ids htmx swaps: the whole content below the header, or the on-time panel alone.
MAIN_TARGET = "overview-main"
ON_TIME_TARGET = "on-time-panel"

#: The on-time breakdown's dimensions, as the API's ``?by=`` names them.
DIMENSIONS = {"unit": _("Units below"), "procedure": _("Procedures"), "field": _("Fields")}
PERIOD_KINDS = {
    PeriodKind.WEEK: _("Week"),
    PeriodKind.MONTH: _("Month"),
    PeriodKind.QUARTER: _("Quarter"),
    PeriodKind.YEAR: _("Year"),
}

#: Open dossiers listed by state: the selector's condition and the list's title.
OPEN_STATES: dict[str, tuple[Callable[[dt.datetime], Q], Any]] = {
    "overdue": (overdue_now_q, _("Overdue dossiers")),
    "due_soon": (due_soon_q, _("Dossiers due within 24 hours")),
}

#: Panels the overview loads after its first answer (htmx, ``hx-trigger="load"``), each a request of its
#: own, so the page's first answer stays fast; without JavaScript each placeholder links to a page
#: holding that panel alone (``/console/units/<code>/panels/<name>/``).
LAZY_PANELS = {
    "trend": _("Total score over time"),
    "open": _("Open dossiers needing attention now"),
    "queues": _("Counter queues"),
    "workload": _("Staff workload"),
}

LIST_ROWS = 10  # rows of each open-dossier list on the overview; the rest on its own page
TREND_POINTS = 12  # weeks or months on the trend chart
MOVERS = 3  # biggest rises and biggest falls shown beside the ranking
STREAK_LIMIT = 12  # reports.first_place_streak counts back at most this many periods


# ---- the request ---------------------------------------------------------------------------------


def _choices(request: HttpRequest) -> tuple[Period, str | None, str]:
    """The period, the kind of units below and the on-time dimension asked for; PeriodRefused if wrong."""
    period = _period(request)
    kind = request.GET.get("kind", "").strip() or None
    if kind is not None and kind not in UnitKind.values:
        raise PeriodRefused(gettext("%(kind)s is not a kind of unit.") % {"kind": repr(kind)})
    dimension = request.GET.get("dimension", "").strip() or "unit"
    if dimension not in DIMENSIONS:
        raise PeriodRefused(
            gettext("%(dimension)s is not a breakdown; use unit, procedure or field.")
            % {"dimension": repr(dimension)}
        )
    return period, kind, dimension


def _target(request: HttpRequest) -> str | None:
    """The element an htmx request replaces; None for a whole page (incl. htmx's history restore)."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return None
    return htmx.target


def _url(unit: Unit, period: Period, kind: str | None, dimension: str, **changes: Any) -> str:
    """The overview's URL with these choices (defaults left out, so links stay short)."""
    values = {"period": period.key, "kind": kind, "dimension": dimension, **changes}
    if values["dimension"] == "unit":
        values["dimension"] = None
    query = {k: v for k, v in values.items() if v}
    return reverse("console-overview", args=[unit.code]) + "?" + urlencode(query)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    """400 with the reason: a whole page, or for htmx the alert line above the unchanged content."""
    if _target(request) is None:
        return bad_request(request, message)
    response = page(request, "console/overview/_refused.html", {"message": message}, status=400)
    response["HX-Retarget"] = "#overview-alert"
    response["HX-Reswap"] = "innerHTML"
    response["HX-Push-Url"] = "false"
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@signin_required
def overview(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's score, trend, ranked children, on-time breakdown, open dossiers, queues and workload."""
    unit = unit_in_scope(request.user, code)
    if unit is None:
        return not_found(request)
    try:
        period, kind, dimension = _choices(request)
    except PeriodRefused as exc:
        return _refused(request, exc.message)
    target = _target(request)
    base = {"unit": unit, "period": period, "kind": kind, "dimension": dimension}
    if target == ON_TIME_TARGET:
        # The panel, and out of band the period controls, whose links now carry the new dimension.
        context = {
            **base,
            **switches(unit, period, kind, dimension),
            **on_time_panel(unit, period, kind, dimension),
            "panel_only": True,
        }
        response = page(request, "console/overview/_on_time.html", context)
    else:
        context = {
            **base,
            **switches(unit, period, kind, dimension),
            **summary_panel(unit, period),
            **ranking_panel(unit, period, kind),
            **on_time_panel(unit, period, kind, dimension),
            "lazy": {name: _lazy(request, unit, name, title) for name, title in LAZY_PANELS.items()},
        }
        template = "console/overview/_main.html" if target == MAIN_TARGET else "console/overview.html"
        response = page(request, template, {**context, "partial": target == MAIN_TARGET})
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _lazy(request: HttpRequest, unit: Unit, name: str, title: Any) -> dict[str, Any]:
    query = request.GET.urlencode()
    url = reverse("console-overview-panel", args=[unit.code, name]) + (f"?{query}" if query else "")
    return {"name": name, "title": title, "url": url}


@signin_required
def panel(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """One of the panels the overview loads after itself: the fragment for htmx, else a page of its own."""
    unit = unit_in_scope(request.user, code)
    if unit is None or name not in LAZY_PANELS:
        return not_found(request)
    try:
        period, kind, dimension = _choices(request)
    except PeriodRefused as exc:
        if _target(request) is None:
            return bad_request(request, exc.message)
        return page(request, "console/overview/_refused.html", {"message": exc.message}, status=400)
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "trend": lambda: trend_panel(unit, period),
        "open": lambda: open_panel(request, unit),
        "queues": lambda: queue_panel(unit, period),
        "workload": lambda: workload_panel(unit, period),
    }
    context = {"unit": unit, "period": period, "kind": kind, "dimension": dimension, **builders[name]()}
    template = f"console/overview/_{name}.html"
    if _target(request) is None:
        overview_url = _url(unit, period, kind, dimension)
        context |= {
            "panel_template": template,
            "panel_title": LAZY_PANELS[name],
            "overview_url": overview_url,
        }
        template = "console/overview/panel.html"
    response = page(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# ---- panels: each returns the template context it needs ----------------------------------------


def switches(unit: Unit, period: Period, kind: str | None, dimension: str) -> dict[str, Any]:
    """Previous / next period, the same moment as a week, month, quarter or year, the kinds below."""
    now = today()
    anchor = min(period.end, now)
    following = period.next()
    kinds_below = set(Unit.objects.filter(parent=unit).values_list("kind", flat=True))
    return {
        "previous_url": _url(unit, period.previous(), kind, dimension),
        "next_url": _url(unit, following, kind, dimension) if following.start <= now else None,
        "period_kinds": [
            {
                "label": label,
                "key": containing(k, anchor).key,
                "url": _url(unit, containing(k, anchor), kind, dimension),
                "current": period.kind == k,
            }
            for k, label in PERIOD_KINDS.items()
        ],
        "kinds": [(value, label) for value, label in UnitKind.choices if value in kinds_below],
    }


def summary_panel(unit: Unit, period: Period) -> dict[str, Any]:
    """The index score and its groups, the rank among siblings and the change since the period before."""
    score = reports.unit_score(unit, period)
    previous = score["previous"]
    return {
        "score": score["score"],
        "band": _band(score["score"]["band"]),
        "rank": score["rank"],
        "siblings": score["siblings"],
        "delta": _signed(previous["delta"]),
        "rank_change": previous["rank_change"],
        "rank_change_text": _signed(previous["rank_change"]),
        "previous": previous,
    }


def trend_kind(period: Period) -> PeriodKind:
    """Weeks for a week, months for anything longer (a quarter, a year, a range)."""
    return PeriodKind.WEEK if period.kind == PeriodKind.WEEK else PeriodKind.MONTH


def _short_label(point_period: Period) -> str:
    if point_period.kind == PeriodKind.WEEK:
        return gettext("W%(number)s") % {"number": f"{point_period.start.isocalendar()[1]:02d}"}
    return point_period.start.strftime("%m/%Y")


def trend_panel(unit: Unit, period: Period) -> dict[str, Any]:
    """The last 12 weeks or months up to the period shown, as a chart, its description and a table.

    ``reports.trend`` counts back from its ``today``; passing the period's last day (or today, for the
    current period) ends the trend at the period shown, and judges every period as the score does.
    """
    kind = trend_kind(period)
    points = reports.trend(unit, kind, TREND_POINTS, today=min(period.end, today()))
    if not points:
        return {"trend": None}
    # The scale of the latest methodology: the sum of its groups' maxima (the score's own maximum).
    maximum = sum((g.max_points for g in Methodology.for_date(points[-1]["period"].end).groups), Decimal(0))
    chart = line_chart([(_short_label(p["period"]), p["total"]) for p in points], maximum=Decimal(maximum))
    rows, before = [], None
    for point in points:
        rows.append(
            {
                "period": point["period"],
                "total": point["total"],
                "delta_text": _signed(point["total"] - before) if before is not None else "–",
                "url": _url(unit, point["period"], None, "unit"),
            }
        )
        before = point["total"]
    low = min(points, key=lambda p: p["total"])
    high = max(points, key=lambda p: p["total"])
    values = {
        "count": len(points),
        "first": points[0]["period"].key,
        "last": points[-1]["period"].key,
        "latest": points[-1]["total"],
        "low": low["total"],
        "low_period": low["period"].key,
        "high": high["total"],
        "high_period": high["period"].key,
        "maximum": maximum,
    }
    if kind == PeriodKind.WEEK:
        description = gettext(
            "Total score of the last %(count)s weeks, %(first)s to %(last)s, out of %(maximum)s: latest "
            "%(latest)s, lowest %(low)s (%(low_period)s), highest %(high)s (%(high_period)s)."
        )
    else:
        description = gettext(
            "Total score of the last %(count)s months, %(first)s to %(last)s, out of %(maximum)s: latest "
            "%(latest)s, lowest %(low)s (%(low_period)s), highest %(high)s (%(high_period)s)."
        )
    return {
        "trend": {
            "kind": kind.value,
            "chart": chart,
            "rows": rows,
            "description": description % {k: _text(v) for k, v in values.items()},
        }
    }


def _text(value: Any) -> str:
    return formats.number_format(value) if isinstance(value, Decimal) else str(value)


def movers(rows: list[dict[str, Any]], count: int = MOVERS) -> tuple[list[dict], list[dict]]:
    """The biggest rises and the biggest falls in total since the previous period (ties by unit code)."""
    rises = sorted((r for r in rows if r["delta"] is not None and r["delta"] > 0),
                   key=lambda r: (-r["delta"], r["unit"].code))  # fmt: skip
    falls = sorted((r for r in rows if r["delta"] is not None and r["delta"] < 0),
                   key=lambda r: (r["delta"], r["unit"].code))  # fmt: skip
    return rises[:count], falls[:count]


#: A sole leader of one period, and of several in a row (count ≥ 2), per period kind. Two sentences, not a
#: plural pair: Vietnamese has one plural form, which would turn "first this week" into "1 week in a row".
FIRST_NOW = {
    PeriodKind.WEEK: _("%(unit)s is first this week."),
    PeriodKind.MONTH: _("%(unit)s is first this month."),
    PeriodKind.QUARTER: _("%(unit)s is first this quarter."),
    PeriodKind.YEAR: _("%(unit)s is first this year."),
}
FIRST_FOR = {
    PeriodKind.WEEK: _("%(unit)s has been first for %(count)s weeks in a row."),
    PeriodKind.MONTH: _("%(unit)s has been first for %(count)s months in a row."),
    PeriodKind.QUARTER: _("%(unit)s has been first for %(count)s quarters in a row."),
    PeriodKind.YEAR: _("%(unit)s has been first for %(count)s years in a row."),
}


def streak_text(streak: dict[str, Any] | None, kind: PeriodKind) -> str | None:
    """ "X has been first for 3 months in a row", in words for the period kind; None without a sole leader."""
    if streak is None:
        return None
    n = streak["periods"]
    sentence = FIRST_NOW[kind] if n == 1 else FIRST_FOR[kind]
    return str(sentence) % {"unit": streak["unit"].name, "count": n}


def ranking_panel(unit: Unit, period: Period, kind: str | None) -> dict[str, Any]:
    """The children ranked by total (of one kind when asked), with bands, deltas, movers and the streak."""
    methodology = Methodology.for_date(period.end)
    bands = [BandRule(b.code, b.min) for b in methodology.bands]
    # Children of one kind are ranked among themselves, as the national portal ranks them.
    ranking = reports.rankings(unit, period, by="total", bands=bands, kind=kind)
    period_query = "?" + urlencode({"period": period.key})
    overview_of, dossiers_of = _unit_links("console-overview"), _dossiers_links(period)
    rows = [
        {
            **row,
            "band": _band(row["band"]),
            "delta_text": _signed(row["delta"]),
            "rank_change_text": _signed(row["rank_change"]),
            # Built here rather than with {% url %} per cell: a province has some 170 children.
            "overview_url": overview_of(row["unit"].code) + period_query,
            "dossiers_url": dossiers_of(row["unit"].code, "dossiers_in_period"),
        }
        for row in ranking["rows"]
    ]
    rises, falls = movers(rows)
    streak = ranking["summary"]["first_streak"]
    return {
        "rows": rows,
        "rises": rises,
        "falls": falls,
        "streak": streak,
        "streak_text": streak_text(streak, period.kind),
        "streak_limit": STREAK_LIMIT,
    }


_CODE = "__unit__"  # a placeholder no unit code contains (codes are letters, digits and dots)


def _unit_links(name: str) -> Callable[[str], str]:
    """A unit page's link for any unit code from one ``reverse()``: a panel links each of a province's
    170 or so children several times, and a ``reverse()`` per link was about a fifth of the overview's
    time. The code is quoted as ``reverse()`` quotes it, so the links are the same."""
    before, after = reverse(name, args=[_CODE]).split(_CODE)
    return lambda code: before + quote(code, safe=RFC3986_SUBDELIMS + "/~:@") + after


def _dossiers_links(period: Period) -> Callable[[str, str], str]:
    """The console's list of the dossiers behind a count (the API's drill-down), by unit code and measure;
    the path from :func:`_unit_links`, each measure's query string built once."""
    path, queries = _unit_links("console-dossiers"), {}

    def link(code: str, measure: str) -> str:
        if measure not in queries:
            queries[measure] = urlencode({"measure": measure, "period": period.key})
        return path(code) + "?" + queries[measure]

    return link


def on_time_panel(unit: Unit, period: Period, kind: str | None, dimension: str) -> dict[str, Any]:
    """On time by child unit, procedure or field (worst rate first), with the switch between them."""
    rows = reports.on_time_breakdown(unit, period, dimension, kind=kind, ordering="rate")
    dossiers_of = _dossiers_links(period)
    shaped = []
    for row in rows:
        links = None
        if dimension == "unit":  # the drill-down lists a unit's dossiers; there is none per procedure
            links = {m: dossiers_of(row["key"], m) for m in ("in_period", "on_time", "late")}
        shaped.append({**row, "percent": _percent(row["rate"]), "links": links})
    return {
        "on_time": shaped,
        "dimension_label": DIMENSIONS[dimension],
        "dimensions": [
            {
                "value": value,
                "label": label,
                "url": _url(unit, period, kind, value),
                "current": value == dimension,
            }
            for value, label in DIMENSIONS.items()
        ],
    }


def open_dossiers(user, unit: Unit, state: str, now: dt.datetime) -> QuerySet[Dossier]:
    """The open dossiers of the unit's subtree in ``state`` (overdue / due_soon), soonest due first.

    The same reads as the API's ``/dossiers/?unit=…&overdue=true`` (or ``due_soon=true``) and the
    reception desk's queue: the user's visible dossiers, received or handled in the subtree.
    """
    condition, _title = OPEN_STATES[state]
    mine = in_unit_subtree(visible_dossiers(user), unit)
    return open_by_due(mine.filter(condition(now)), now)


def _open_count(user, unit: Unit, state: str, now: dt.datetime) -> int:
    condition, _title = OPEN_STATES[state]
    return in_unit_subtree(visible_dossiers(user), unit).filter(condition(now)).count()


def open_panel(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    """The first rows and the count of the subtree's overdue dossiers and of those due within 24 hours."""
    now = timezone.now()
    lists = []
    for state, (_condition, title) in OPEN_STATES.items():
        lists.append(
            {
                "state": state,
                "title": title,
                "count": _open_count(request.user, unit, state, now),
                "rows": list(open_dossiers(request.user, unit, state, now)[:LIST_ROWS]),
                "url": reverse("console-open", args=[unit.code]) + "?" + urlencode({"state": state}),
            }
        )
    return {"open_lists": lists, "list_rows": LIST_ROWS}


def queue_panel(unit: Unit, period: Period) -> dict[str, Any]:
    """Waiting and handling times per counter against the province's targets, with the subtree's total."""
    result = figures.queue_figures(unit, period, by="counter")
    codes = {row["unit"] for row in result["rows"] if row["unit"]}
    names = dict(Unit.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}

    def shaped(row: dict[str, Any]) -> dict[str, Any]:
        return {
            **row,
            "unit_name": names.get(row.get("unit"), ""),
            "waiting_percent": _percent(row["waiting"]["within_target_rate"]),
            "handling_percent": _percent(row["handling"]["within_target_rate"]),
            "no_show_percent": _percent(row["no_show_rate"]),
        }

    return {
        "queues": {
            "targets": result["targets"],
            "total": shaped({**result["total"], "unit": None}),
            "rows": [shaped(row) for row in result["rows"]],
        }
    }


def _vs(rate: Decimal | None) -> dict[str, Any] | None:
    """A ratio to the target as a percentage with words, so meaning never rests on colour."""
    if rate is None:
        return None
    if rate > 1:
        word = gettext("above target")
    elif rate == 1:
        word = gettext("on target")
    else:
        word = gettext("below target")
    return {"percent": _percent(rate), "word": word, "above": rate > 1}


def workload_panel(unit: Unit, period: Period) -> dict[str, Any]:
    """Dossiers per staff member per year of each unit with staff or work, against the yearly target."""
    result = figures.workload(unit, period, today())

    def shaped(row: dict[str, Any]) -> dict[str, Any]:
        area = row.get("area_type")
        return {
            **row,
            "area_label": AreaType(area).label if area in AreaType.values else "–",
            "received_vs": _vs(row["received_vs_target"]),
            "finished_vs": _vs(row.get("finished_vs_target")),
        }

    targets = result["targets"]
    per_period = WorkloadPeriod(targets["workload_period"]).label
    return {
        "workload": {
            "observed_days": result["observed_days"],
            "per_period": per_period,
            "targets": [
                {"area": AreaType(area).label, "dossiers": n}
                for area, n in targets["dossiers_per_staff"].items()
                if area in AreaType.values
            ],
            "total": shaped(result["total"]),
            "units": [shaped(row) for row in result["units"]],
            "staff": [{**row, "received_vs": _vs(row["received_vs_target"])} for row in result["staff"]],
        }
    }


# ---- the full lists of open dossiers --------------------------------------------------------------


@signin_required
def open_list(request: HttpRequest, code: str) -> HttpResponse:
    """All of the subtree's overdue (or due-soon) dossiers, soonest due first, a page at a time."""
    unit = unit_in_scope(request.user, code)
    if unit is None:
        return not_found(request)
    state = request.GET.get("state", "").strip()
    if state not in OPEN_STATES:
        message = gettext("%(state)s is not a list of open dossiers; use overdue or due_soon.") % {
            "state": repr(state)
        }
        return bad_request(request, message)
    raw = request.GET.get("page", "1").strip()
    if not raw.isdigit() or int(raw) < 1:
        return bad_request(request, gettext("%(page)s is not a page number.") % {"page": repr(raw)})
    number = int(raw)
    now = timezone.now()
    count = _open_count(request.user, unit, state, now)
    pages = max(1, math.ceil(count / PAGE_SIZE))
    if number > pages:
        return bad_request(
            request,
            gettext("There is no page %(number)s; the list has %(pages)s.")
            % {"number": number, "pages": pages},
        )
    start = (number - 1) * PAGE_SIZE
    rows = list(open_dossiers(request.user, unit, state, now)[start : start + PAGE_SIZE])
    base = reverse("console-open", args=[unit.code]) + "?" + urlencode({"state": state})
    context = {
        "unit": unit,
        "state": state,
        "title": OPEN_STATES[state][1],
        "count": count,
        "dossiers": rows,
        "page_number": number,
        "pages": pages,
        "previous_url": f"{base}&page={number - 1}" if number > 1 else None,
        "next_url": f"{base}&page={number + 1}" if number < pages else None,
    }
    return page(request, "console/open_dossiers.html", context)
