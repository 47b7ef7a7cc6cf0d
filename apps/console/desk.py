"""The reception desk: find a procedure, receive a dossier with its documents, show it, print its slip.

Every rule is the API's: who may receive where (:func:`apps.dossiers.permissions.can_create_at`), the
applicant's checks (:func:`apps.dossiers.applicant.clean_applicant`), the receipt itself with its
documents (:func:`apps.dossiers.services.receive_dossier`), the due date shown before saving
(:func:`apps.workcalendar.services.explain_procedure_deadline`) and the slip (:mod:`apps.dossiers.slip`).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext

from apps.catalogue.models import Procedure
from apps.catalogue.rules import version_for
from apps.catalogue.selectors import search_procedures
from apps.console.views import not_found, page, signin_required
from apps.core.actors import Actor
from apps.core.errors import DomainError
from apps.dossiers import services
from apps.dossiers.actions import allowed_actions, transfer_targets
from apps.dossiers.applicant import clean_applicant
from apps.dossiers.documents import DocumentIn
from apps.dossiers.models import Dossier, Rating
from apps.dossiers.permissions import can_create_at, visible_dossiers
from apps.dossiers.selectors import explain_legal_due, in_unit_subtree, open_by_due, with_related
from apps.dossiers.slip import render_slip, slip_data
from apps.workcalendar.services import explain_procedure_deadline

#: Open dossiers shown in the desk's queue (soonest due first).
QUEUE_SIZE = 100

#: The applicant's fields on the form: form name -> key of the API's applicant object.
APPLICANT_FIELDS = {"applicant_name": "name", "applicant_id_number": "id_number", "applicant_phone": "phone"}


def _may_receive(request: HttpRequest) -> bool:
    user = request.user
    return user.unit_id is not None and can_create_at(user, user.unit)


@signin_required
def desk(request: HttpRequest) -> HttpResponse:
    """Procedure search (code prefix, or name words without diacritics) for the user's unit."""
    if not _may_receive(request):
        return not_found(request)
    query = request.GET.get("q", "").strip()
    found = search_procedures(query, timezone.localdate()) if query else []
    # The unit's open dossiers, soonest due first, overdue ones marked (as the API's ?overdue=true).
    mine = in_unit_subtree(visible_dossiers(request.user), request.user.unit)
    queue = list(open_by_due(mine)[:QUEUE_SIZE])
    return page(request, "console/desk.html", {"q": query, "procedures": found, "queue": queue})


@signin_required
def receive(request: HttpRequest, code: str) -> HttpResponse:
    """The receipt form for one procedure: applicant, documents received, due date before saving."""
    if not _may_receive(request):
        return not_found(request)
    procedure = Procedure.objects.filter(code=code).first()
    now = timezone.now()
    try:
        version = version_for(procedure, timezone.localdate()) if procedure else None
    except DomainError:
        version = None
    if version is None:
        return not_found(request)
    unit = request.user.unit
    components = list(version.components.all())
    errors: dict[str, str] = {}
    values = {name: request.POST.get(name, "").strip() for name in APPLICANT_FIELDS}
    checked = {int(p) for p in request.POST.getlist("documents") if p.isdigit()}
    reason = request.POST.get("missing_documents_reason", "").strip()
    if request.method == "POST":
        if not values["applicant_name"]:
            errors["applicant_name"] = gettext("Enter the applicant's name.")
        applicant, problems = clean_applicant({APPLICANT_FIELDS[k]: v for k, v in values.items()})
        by_key = {key: name for name, key in APPLICANT_FIELDS.items()}
        for key, _code, message in problems:
            errors.setdefault(by_key.get(key, "applicant_name"), message)
        if not errors:
            try:
                with transaction.atomic():
                    dossier = services.receive_dossier(
                        procedure=procedure,
                        receiving_unit=unit,
                        actor=Actor.of_user(request.user),
                        applicant=applicant,
                        documents=[
                            DocumentIn(component=c.position) for c in components if c.position in checked
                        ],
                        missing_documents_reason=reason,
                    )
            except DomainError as error:
                field = (error.field or "").split(".")[0]
                errors[field if field in ("documents", "missing_documents_reason") else "form"] = (
                    error.message
                )
            else:
                return redirect("console-dossier", code=dossier.code)
    context = {
        "procedure": procedure,
        "version": version,
        "components": components,
        "values": values,
        "checked": checked if request.method == "POST" else {c.position for c in components if c.mandatory},
        "reason": reason,
        "errors": errors,
        "deadline": explain_procedure_deadline(procedure, unit, now, online=False),
    }
    return page(request, "console/receive.html", context, status=400 if errors else 200)


def _visible_dossier(request: HttpRequest, code: str) -> Dossier | None:
    return with_related(visible_dossiers(request.user)).filter(code=code).first()


@signin_required
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier as the counter reads it: applicant, documents, dates, status, and its slip."""
    found = _visible_dossier(request, code)
    if found is None:
        return not_found(request)
    return dossier_page(request, found)


def dossier_page(
    request: HttpRequest, found: Dossier, *, failed: dict | None = None, status: int = 200
) -> HttpResponse:
    """The dossier page with the actions its status allows this user (:func:`allowed_actions`);
    ``failed``: a refused action's message, field errors and values, shown in its own form."""
    actions = allowed_actions(request.user, found)
    context = {
        "dossier": found,
        "documents": list(found.documents.order_by("position")),
        "events": list(found.events.select_related("actor_user").order_by("occurred_at", "id")),
        "explanation": explain_legal_due(found),
        "actions": actions,
        "targets": transfer_targets(request.user, found) if any(a.code == "assign" for a in actions) else [],
        "ratings": [choice for choice in Rating.choices if choice[0]],
        "failed": failed or {},
    }
    return page(request, "console/dossier.html", context, status=status)


@signin_required
def slip(request: HttpRequest, code: str) -> HttpResponse:
    """The printable receipt and appointment slip: the API's own page."""
    found = _visible_dossier(request, code)
    if found is None:
        return not_found(request)
    return HttpResponse(render_slip(slip_data(found)), content_type="text/html; charset=utf-8")
