"""The web console's pages: sign-in and the dossiers behind each number (the overview: overview.py).

Views only parse the request and render: every figure comes from the functions the API's statistics
views call (:mod:`apps.statistics.reports`), scope from :mod:`apps.accounts.scope`, sign-in limits from
:mod:`apps.accounts.throttling`, so a page and the API always agree and no query is written twice.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.accounts import throttling
from apps.accounts.models import Role, User
from apps.accounts.scope import visible_units
from apps.core.errors import DomainError
from apps.dossiers.permissions import can_create_at
from apps.organisation.models import Unit
from apps.statistics import reports
from apps.statistics.periods import Period
from apps.statistics.services import today

#: Rows per page of a dossier list.
PAGE_SIZE = 50

#: Short role names for the header (the model's choices explain each role at length).
ROLE_LABELS = {
    Role.CLERK: _("Clerk"),
    Role.OFFICER: _("Officer"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.ADMINISTRATOR: _("Administrator"),
}

#: The methodology's band codes as words: a band is always shown as text, its colour only adds to it.
BAND_LABELS = {"high": _("High"), "middle": _("Middle"), "low": _("Low")}

#: Titles of the dossier lists a page links to; any other drill-down measure is titled by its code.
MEASURE_LABELS = {
    "in_period": _("Dossiers in the period"),
    "dossiers_in_period": _("Dossiers in the period"),
    "on_time": _("Dossiers on time"),
    "dossiers_on_time": _("Dossiers on time"),
    "late": _("Dossiers late (finished late or open overdue)"),
    "received": _("Dossiers received"),
    "dossiers_received": _("Dossiers received"),
}

signin_required = login_required(login_url="console-signin")


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    *,
    here: str | None = None,
) -> HttpResponse:
    """Render a console page with what its header shows: the user's unit and role, the language switch
    (which returns to this page, or to ``here``)."""
    user = request.user
    header = {}
    if user.is_authenticated:
        header = {
            "header_unit": user.unit,
            "header_role": ROLE_LABELS.get(user.role, user.role),
            "header_desk": user.unit_id is not None and can_create_at(user, user.unit),
        }
    if here is None:
        query = request.GET.copy()
        query.pop("lang", None)  # the switch's choice must not be overridden by a ?lang= in the page's URL
        here = request.path + (f"?{query.urlencode()}" if query else "")
    return render(request, template, {**header, "here": here, **context}, status=status)


def not_found(request: HttpRequest) -> HttpResponse:
    return page(request, "console/message.html", {"title": gettext("Page not found")}, status=404)


def bad_request(request: HttpRequest, message: str, *, here: str | None = None) -> HttpResponse:
    """The console's 400 page; ``here``: where the language switch returns (default: this page)."""
    context = {"title": gettext("This page cannot be shown"), "message": message}
    return page(request, "console/message.html", context, status=400, here=here)


def unit_in_scope(user: User, code: str) -> Unit | None:
    """The unit with this code if the user may see it (a unit outside the subtree is "not found")."""
    return visible_units(user).filter(code=code).first()


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: a clerk's reception desk, anyone else's overview of their unit (or, for a superuser
    without a unit, the top units)."""
    if not request.user.is_authenticated:
        return redirect("console-signin")
    user = request.user
    if user.unit_id is not None:
        if user.role == Role.CLERK and can_create_at(user, user.unit):
            return redirect("console-desk")  # the counter's page; the overview is one link away
        return redirect("console-overview", code=user.unit.code)
    roots = list(visible_units(request.user).filter(parent__isnull=True).order_by("code"))
    return page(request, "console/home.html", {"roots": roots})


def signin(request: HttpRequest) -> HttpResponse:
    """Session sign-in for staff, limited like the API's token sign-in (apps/accounts/throttling.py)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        wanted = ""
    if request.user.is_authenticated and request.method != "POST":
        return redirect(wanted or "console-home")
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    error, status, headers = None, 200, {}
    if request.method == "POST":
        username, password = request.POST.get("username", ""), request.POST.get("password", "")
        if not username.strip() or not password:
            error = gettext("Enter your user name and password.")
        else:
            try:
                attempt = throttling.begin_attempt(username, throttling.client_address(request))
            except throttling.SignInThrottled as refused:
                minutes = math.ceil(refused.wait / 60)
                error = gettext("Too many failed sign-in attempts. Try again in %(minutes)s minutes.") % {
                    "minutes": minutes
                }
                status, headers = 429, {"Retry-After": str(refused.wait)}
            else:
                if form.is_valid():
                    login(request, form.get_user())
                    throttling.attempt_succeeded(attempt)
                    return redirect(wanted or "console-home")
                error = gettext("Wrong user name or password.")
    response = page(
        request, "console/signin.html", {"form": form, "error": error, "next": wanted}, status=status
    )
    for name, value in headers.items():
        response[name] = value
    return response


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("console-signin")


class PeriodRefused(Exception):
    """The ``?period=`` cannot be shown; ``message`` says why, for a 400 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _period(request: HttpRequest) -> Period:
    """The ``?period=`` asked for (the current week by default), as the API resolves it."""
    try:
        return reports.resolve_period(request.GET.get("period", "").strip() or None, today())
    except DomainError as exc:
        raise PeriodRefused(exc.message) from None
    except ValueError as exc:
        raise PeriodRefused(str(exc)) from None


def _signed(value: Decimal | int | None) -> str:
    """A change with its sign, in the active language's number format (``+1,25`` in Vietnamese)."""
    if value is None:
        return "–"
    text = formats.number_format(abs(value), decimal_pos=2 if isinstance(value, Decimal) else None)
    return f"+{text}" if value > 0 else ("±0" if value == 0 else f"−{text}")


def _percent(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (rate * 100).quantize(Decimal("0.1"))


def _band(code: str | None) -> dict[str, str] | None:
    if code is None:
        return None
    return {"code": code, "label": str(BAND_LABELS.get(code, code))}


@signin_required
def dossiers(request: HttpRequest, code: str) -> HttpResponse:
    """The dossiers behind a number on the overview: the API's drill-down (same SQL, same count)."""
    unit = unit_in_scope(request.user, code)
    if unit is None:
        return not_found(request)
    measure = request.GET.get("measure", "").strip()
    if measure not in reports.MEASURES:
        message = gettext("%(measure)s is not a list of dossiers.") % {"measure": repr(measure)}
        return bad_request(request, message)
    try:
        period = _period(request)
    except PeriodRefused as exc:
        return bad_request(request, exc.message)
    count = reports.dossiers_behind_count(unit, period, measure)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    start = (number - 1) * PAGE_SIZE
    rows = list(reports.dossiers_behind(unit, period, measure, limit=PAGE_SIZE + 1, offset=start))
    base = reverse("console-dossiers", args=[unit.code]) + f"?measure={measure}&period={period.key}"
    context = {
        "unit": unit,
        "period": period,
        "measure": measure,
        "title": MEASURE_LABELS.get(measure, measure),
        "count": count,
        "dossiers": rows[:PAGE_SIZE],
        "page_number": number,
        "pages": max(1, math.ceil(count / PAGE_SIZE)),
        "previous_url": f"{base}&page={number - 1}" if number > 1 else None,
        "next_url": f"{base}&page={number + 1}" if len(rows) > PAGE_SIZE else None,
    }
    return page(request, "console/dossiers.html", context)
