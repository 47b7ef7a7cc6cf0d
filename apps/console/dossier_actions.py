"""The dossier page's actions: one small POST form per action its status allows, then back to the page.

Which actions exist for this user and dossier is :func:`apps.dossiers.actions.allowed_actions` (the
status table crossed with who may act); each calls the service the API's endpoint of the same name
calls, so the page and the API refuse the same things. A refused action re-renders the dossier page
with its message (400 for input, 403 for a user who may not act, 409 for a status that does not allow
it, e.g. because someone changed it meanwhile); a done one redirects back to the page (post, redirect,
get), which shows the new status and the new entry of the history.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from apps.console.desk import _visible_dossier, dossier_page
from apps.console.views import not_found, page, signin_required
from apps.core.actors import Actor
from apps.core.errors import DomainError, ErrorCode
from apps.dossiers.actions import ACTIONS, Action, allowed_actions, transfer_targets
from apps.dossiers.models import Dossier, Rating
from apps.dossiers.permissions import can_act_on, visible_dossiers
from apps.dossiers.status import Status

#: Every input an action form may carry besides the status it was shown for.
INPUTS = ("note", "reason", "handling_unit", "rating")


def _required_message(name: str) -> str:
    return {
        "reason": gettext("Say what the applicant must supplement."),
        "note": gettext("Give the reason."),
        "handling_unit": gettext("Choose the unit that will handle the dossier."),
        "rating": gettext("Choose the applicant's rating."),
    }[name]


def _arguments(
    request: HttpRequest, found: Dossier, chosen: Action, values: dict[str, str]
) -> tuple[tuple, dict[str, str]]:
    """The service's positional arguments for this action, and the problems with the form's inputs."""
    errors = {name: _required_message(name) for name in chosen.required if not values[name]}
    if errors:
        return (), errors
    if chosen.code == "assign":
        unit = next(
            (u for u in transfer_targets(request.user, found) if u.code == values["handling_unit"]), None
        )
        if unit is None:
            return (), {"handling_unit": gettext("Choose one of the units listed.")}
        return (unit,), {}
    if chosen.code == "rate":
        if values["rating"] not in {value for value, _label in Rating.choices if value}:
            return (), {"rating": gettext("Choose one of the ratings listed.")}
        return (Rating(values["rating"]),), {}
    return (), {}


@require_POST
@signin_required
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Do one action on a dossier the user can see, if its status and the user's role allow it now."""
    found = _visible_dossier(request, code)
    chosen = ACTIONS.get(action)
    if found is None or chosen is None:
        return not_found(request)
    values = {name: request.POST.get(name, "").strip() for name in INPUTS}

    def refused(message: str, status: int, errors: dict[str, str] | None = None) -> HttpResponse:
        failed = {"action": chosen.code, "message": message, "errors": errors or {}, "values": values}
        return dossier_page(request, found, failed=failed, status=status)

    if not can_act_on(request.user, found):
        return refused(gettext("Your role and unit do not allow changing this dossier."), 403)
    now = Status(found.status).label
    shown = request.POST.get("status", "").strip()
    if shown and shown != str(found.status):
        message = gettext(
            "The dossier changed while the page was open: it is now %(status)s. "
            "Check its history below, then choose again."
        )
        return refused(message % {"status": now}, 409)
    if chosen.code not in {a.code for a in allowed_actions(request.user, found)}:
        message = gettext("“%(action)s” is not possible while the dossier is %(status)s.")
        return refused(message % {"action": chosen.label, "status": now}, 409)
    arguments, errors = _arguments(request, found, chosen, values)
    if errors:
        return refused(gettext("Check the fields marked below."), 400, errors)
    extra = {"reason": values["reason"]} if "reason" in chosen.fields else {}
    try:
        with transaction.atomic():
            chosen.service(found, *arguments, actor=Actor.of_user(request.user), note=values["note"], **extra)
    except DomainError as error:
        message = error.message
        if error.code == ErrorCode.ILLEGAL_TRANSITION:  # another user's change won the race
            message = gettext("The dossier changed meanwhile. %(reason)s") % {"reason": error.message}
        return refused(message, error.status)
    if not visible_dossiers(request.user).filter(pk=found.pk).exists():  # handed out of the user's scope
        title = gettext("Dossier %(code)s was transferred") % {"code": found.code}
        text = gettext("It is now handled outside your unit's scope.")
        return page(request, "console/message.html", {"title": title, "message": text})
    messages.success(request, gettext("Done: %(action)s.") % {"action": chosen.label})
    return redirect("console-dossier", code=found.code)
