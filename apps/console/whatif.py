"""The what-if page: a supervisor sets target rates for indicators or groups and sees the points gained.

The figures are :func:`apps.statistics.reports.what_if`'s, the function the API's ``/what-if/`` calls,
and the targets are read and checked by :mod:`apps.statistics.targets`, the API's own rules: the page
only asks for percentages (the API takes rates in [0, 1]) and shows each refusal next to its field.
The form is a plain GET (it reads, never writes), so it works without JavaScript; with htmx, only the
form and its result are swapped.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from apps.console.views import (
    PeriodRefused,
    _percent,
    _period,
    bad_request,
    not_found,
    page,
    signin_required,
    unit_in_scope,
)
from apps.scoring.engine import Score, WhatIf
from apps.scoring.methodology import Methodology
from apps.statistics import reports
from apps.statistics.targets import parse_percent_fields, target_problems

#: Form fields are named ``target_<CODE>``: one percentage per indicator or group.
PREFIX = "target_"


def _rows(
    score: Score,
    methodology: Methodology,
    result: dict[str, Any],
    fields: dict[str, str],
    problems: dict[str, str],
    projection: WhatIf | None,
) -> tuple[list[dict], list[dict]]:
    """Groups and indicators with their room for improvement, the largest first (the report's order:
    entries already at their maximum follow, in the methodology's order)."""
    changes = {change.code: change for change in projection.changes} if projection else {}

    def ordered(items: list[dict], room: list) -> list[dict]:
        rank = {shortfall.code: position for position, shortfall in enumerate(room)}
        return sorted(items, key=lambda item: rank.get(item["code"], len(rank)))

    groups = [
        {
            "code": g.code,
            "name": methodology.group_name(g.code),
            "points": g.points,
            "max_points": g.max_points,
            "missing": g.max_points - g.points,
            "percent": g.percent,
            "value": fields.get(g.code, ""),
            "error": problems.get(g.code),
            "change": changes.get(g.code),
        }
        for g in score.groups
    ]
    indicators = [
        {
            "code": i.code,
            "name": methodology.indicator_name(i.code),
            "group_name": methodology.group_name(i.group),
            "rate": _percent(i.rate),
            "points": i.points,
            "max_points": i.max_points,
            "missing": i.max_points - i.points,
            "applies": i.status != "not_applicable",
            "value": fields.get(i.code, ""),
            "error": problems.get(i.code),
            "change": changes.get(i.code),
        }
        for i in score.indicators
    ]
    return ordered(groups, result["room_by_group"]), ordered(indicators, result["room"])


@signin_required
def what_if(request: HttpRequest, code: str) -> HttpResponse:
    """Current points, room for improvement, a target per indicator or group, and the points gained."""
    unit = unit_in_scope(request.user, code)
    if unit is None:
        return not_found(request)
    try:
        period = _period(request)
    except PeriodRefused as exc:
        return bad_request(request, exc.message)
    methodology = Methodology.for_date(period.end)
    fields = {key[len(PREFIX) :]: value for key, value in request.GET.items() if key.startswith(PREFIX)}
    targets, problems = parse_percent_fields(fields)
    for target_code, message in target_problems(targets, methodology, percent=True).items():
        problems.setdefault(target_code, message)
    known = {g.code for g in methodology.groups} | {i.code for i in methodology.indicators}
    form_errors = [message for target_code, message in problems.items() if target_code not in known]
    result = None
    if targets and not problems:
        try:
            result = reports.what_if(unit, period, targets)
        except ValueError as exc:  # the engine's own guard; target_problems refuses the same first
            form_errors.append(str(exc))
            problems[""] = str(exc)
    if result is None:  # no usable targets: the current score and its room only
        result = reports.what_if(unit, period, {})
    projection = result["projection"]
    if problems and not form_errors:
        form_errors = [gettext("Some targets cannot be used; see the fields marked below.")]
    groups, indicators = _rows(result["score"], methodology, result, fields, problems, projection)
    changes = sorted(
        (
            {
                **asdict(change),
                "name": methodology.group_name(change.code)
                if change.kind == "group"
                else methodology.indicator_name(change.code),
                "target_percent": _percent(change.target),
            }
            for change in (projection.changes if projection else ())
        ),
        key=lambda change: -change["gain"],
    )
    context = {
        "unit": unit,
        "period": period,
        "score": result["score"],
        "groups": groups,
        "indicators": indicators,
        "projection": projection,
        "changes": changes,
        "form_errors": form_errors,
        "has_errors": bool(problems),
        "asked": bool(fields),
    }
    status = 400 if problems else 200
    if request.htmx:  # only the form and its result are swapped
        return render(request, "console/what_if_form.html", context, status=status)
    return page(request, "console/what_if.html", context, status=status)
