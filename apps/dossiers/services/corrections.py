"""Correcting a dossier after the fact: descriptive fields, and (administrators only) the receipt facts.

Two doors, because the two kinds of fact weigh differently:

- **Descriptive fields** (the applicant, contact details, the fee, notes) describe the dossier but fix
  nothing: a clerk corrects a typo with :func:`correct_dossier`.
- **Receipt facts** (procedure, receiving unit, channel, receipt time) fix the legal due date, and
  through it the unit's statistics. Only :func:`correct_receipt` changes them: it recomputes the due
  dates and, for a finished dossier, its timeliness, and marks the statistics of every period the
  dossier counted in (before and after) dirty, in the same transaction.

Each correction writes one history event holding who, when, the reason and every field's old and new
value, so the history explains each difference between the slip the citizen holds and the dossier.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.catalogue.models import Procedure
from apps.catalogue.rules import version_for
from apps.core.actors import Actor
from apps.core.errors import ConflictError, DomainError, ErrorCode
from apps.dossiers import events
from apps.dossiers.applicant import COLUMNS, folded_columns, kind_problem
from apps.dossiers.models import Dossier, DossierEvent, EventKind
from apps.dossiers.services._common import locked, record, resolve_time
from apps.dossiers.services.receipt import compute_legal_due
from apps.dossiers.services.transitions import _net_working_minutes
from apps.dossiers.timeliness import BUSINESS_TZ, classify, local_date
from apps.organisation.models import Unit
from apps.statistics.tracking import unit_periods_changed
from apps.workcalendar.services import calendar_for_unit

#: Fields a PATCH may change (API names), and the receipt facts it may not.
DESCRIPTIVE_FIELDS = ("applicant", "fee_amount", "notes")
RECEIPT_FIELDS = ("procedure", "receiving_unit", "channel", "received_at")
_APPLICANT_KEYS = {column: f"applicant.{key}" for key, column in COLUMNS.items()}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):  # business time, whatever zone the value was read or given in
        return value.astimezone(BUSINESS_TZ).isoformat()
    return value


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(ErrorCode.VALIDATION_ERROR, _("Say why the dossier is corrected."), field="reason")
    return reason


@transaction.atomic
def correct_dossier(
    dossier: Dossier,
    *,
    actor: Actor,
    reason: str,
    applicant: dict[str, str] | None = None,
    fee_amount: Decimal | None = None,
    notes: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Correct descriptive fields: one save, one ``corrected`` event with each field's old and new value.

    ``applicant`` holds dossier columns as :func:`apps.dossiers.applicant.clean_applicant` returns them.
    Values equal to the recorded ones are not changes; a correction that changes nothing records nothing.
    """
    reason = _required_reason(reason)
    dossier = locked(dossier)
    at = resolve_time(at, not_before=dossier.received_at or dossier.registered_at)
    wanted: dict[str, Any] = dict(applicant or {})
    if fee_amount is not None:
        wanted["fee_amount"] = fee_amount
    if notes is not None:
        wanted["notes"] = notes
    changes = {name: value for name, value in wanted.items() if getattr(dossier, name) != value}
    if not changes:
        return dossier
    kind = changes.get("applicant_kind", dossier.applicant_kind)
    tax_code = changes.get("applicant_tax_code", dossier.applicant_tax_code)
    if problem := kind_problem(kind, tax_code):
        raise DomainError(ErrorCode.VALIDATION_ERROR, problem[2], field=f"applicant.{problem[0]}")
    log = {
        _APPLICANT_KEYS.get(name, name): {"old": _json(getattr(dossier, name)), "new": _json(value)}
        for name, value in changes.items()
    }
    columns = folded_columns(changes)
    for name, value in columns.items():
        setattr(dossier, name, value)
    dossier.save(update_fields=[*columns, "updated_at"])
    data = {"reason": reason, "changes": log}
    record(events.corrected(dossier, EventKind.CORRECTED, at=at, actor=actor, note=reason, data=data))
    return dossier


def _first_later_event(dossier: Dossier) -> dt.datetime | None:
    """When the first status change after receipt happened: a corrected receipt may not come after it."""
    return (
        DossierEvent.objects.filter(dossier=dossier, from_status__isnull=False)
        .exclude(kind=EventKind.RECEIVED)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def _receipt_facts(dossier: Dossier) -> dict[str, Any]:
    """What a receipt correction may change, directly or through the due date: logged before and after."""
    return {
        "procedure": dossier.procedure.code,
        "receiving_unit": dossier.receiving_unit.code,
        "channel": dossier.channel,
        "received_at": dossier.received_at,
        "legal_due_at": dossier.legal_due_at,
        "effective_due_at": dossier.effective_due_at,
        "timeliness": dossier.timeliness,
    }


@transaction.atomic
def correct_receipt(
    dossier: Dossier,
    *,
    actor: Actor,
    reason: str,
    procedure: Procedure | None = None,
    receiving_unit: Unit | None = None,
    channel: int | None = None,
    received_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Correct the facts recorded at receipt and recompute what follows from them.

    The legal due date is computed again from the corrected facts (the handling unit's calendar, the
    procedure version in force on the corrected receipt day); the effective one adds the closed
    supplement pauses again; an ended dossier is classified again. The receipt code keeps its value: it
    is printed on the citizen's slip. Who may do this is the caller's check
    (:func:`apps.dossiers.permissions.can_correct_receipt`).
    """
    reason = _required_reason(reason)
    dossier = locked(dossier)
    if dossier.received_at is None:
        raise ConflictError(
            ErrorCode.NOT_RECEIVED,
            _("The dossier has not been received: there is no receipt to correct."),
            field="received_at",
        )
    at = resolve_time(at)
    if received_at is not None:
        received_at = resolve_time(received_at, field="received_at", not_before=dossier.registered_at)
        later = _first_later_event(dossier)
        if later is not None and received_at > later:
            raise DomainError(
                ErrorCode.EVENT_BEFORE_PREVIOUS,
                _("The receipt cannot come after the dossier's next recorded step (%(at)s).")
                % {"at": later.astimezone(BUSINESS_TZ).isoformat()},
                field="received_at",
            )
    before = _receipt_facts(dossier)
    old_received_on = dossier.received_on
    if procedure is not None:
        dossier.procedure = procedure
    if receiving_unit is not None:
        dossier.receiving_unit = receiving_unit
    if channel is not None:
        dossier.channel = channel
    if received_at is not None:
        if dossier.status_changed_at == dossier.received_at:  # nothing happened since receipt
            dossier.status_changed_at = received_at
        dossier.received_at = received_at
        dossier.received_on = local_date(received_at)
    dossier.procedure_version = version_for(dossier.procedure, dossier.received_on)
    _recompute_due(dossier)
    after = _receipt_facts(dossier)
    log = {
        name: {"old": _json(before[name]), "new": _json(after[name])}
        for name in before
        if before[name] != after[name]
    }
    if not log:
        return dossier
    dossier.save()
    data = {"reason": reason, "changes": log}
    record(events.corrected(dossier, EventKind.RECEIPT_CORRECTED, at=at, actor=actor, note=reason, data=data))
    if old_received_on is not None and old_received_on < dossier.received_on:
        # Moved later: the periods it counted in before are dirty too (record() marks from the new day).
        unit_periods_changed((dossier.handling_unit_id,), old_received_on)
    return dossier


def _recompute_due(dossier: Dossier) -> None:
    dossier.legal_due_at = compute_legal_due(
        dossier.procedure_version,
        handling_unit=dossier.handling_unit,
        received_at=dossier.received_at,
        channel=dossier.channel,
    )
    pauses = list(dossier.supplement_requests.values_list("requested_at", "completed_at"))
    if dossier.legal_due_at is None:
        dossier.effective_due_at = None
    elif not pauses:
        dossier.effective_due_at = dossier.legal_due_at
    elif dossier.paused_since is None:
        dossier.effective_due_at = calendar_for_unit(dossier.handling_unit).effective_due_at(
            dossier.legal_due_at, pauses
        )
    else:
        # A pause is open: the effective date is unknown until it closes; keep the closed pauses' push.
        closed = [(start, end) for start, end in pauses if end is not None]
        calendar = calendar_for_unit(dossier.handling_unit)
        dossier.effective_due_at = calendar.effective_due_at(dossier.legal_due_at, closed)
    dossier.due_on = local_date(dossier.effective_due_at)
    if dossier.ended_at is not None:
        dossier.processing_minutes = _net_working_minutes(dossier)
        dossier.timeliness = classify(
            ended_at=dossier.ended_at,
            due_at=dossier.effective_due_at,
            supplement_count=dossier.supplement_count,
        )
