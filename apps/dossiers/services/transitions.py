"""One service per status change. Each writes the dossier and its history event in one transaction.

Clock rules live here because they are tied to status changes: a supplement request pauses the clock,
its completion extends the effective due date by the paused working time, and reaching an end status
fixes the end of processing and the dossier's timeliness class.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from apps.core.actors import Actor
from apps.core.errors import ConflictError, ErrorCode
from apps.dossiers import events
from apps.dossiers.models import Dossier, EventKind, SupplementRequest
from apps.dossiers.services._common import locked, record, resolve_time
from apps.dossiers.status import Status, check_transition
from apps.dossiers.timeliness import classify, local_date
from apps.workcalendar.services import calendar_for_unit


def _change(
    dossier: Dossier,
    target: Status,
    *,
    actor: Actor,
    at: dt.datetime | None,
    note: str,
) -> tuple[Dossier, dt.datetime, int]:
    """Lock, check the table, check the time; the caller adjusts fields, then :func:`_commit` saves."""
    dossier = locked(dossier)
    check_transition(dossier.status, target)
    at = resolve_time(at, not_before=dossier.status_changed_at)
    previous = dossier.status
    dossier.status = target
    dossier.status_changed_at = at
    return dossier, at, previous


def _commit(
    dossier: Dossier,
    *,
    previous: int,
    at: dt.datetime,
    actor: Actor,
    note: str,
    kind: EventKind = EventKind.STATUS_CHANGED,
    data: dict | None = None,
) -> Dossier:
    dossier.save()
    record(
        events.status_changed(dossier, kind, at=at, actor=actor, from_status=previous, note=note, data=data)
    )
    return dossier


def _close_open_pause(dossier: Dossier, at: dt.datetime) -> None:
    """End the open supplement pause at ``at`` and move the effective due date by the paused time."""
    SupplementRequest.objects.filter(dossier=dossier, completed_at__isnull=True).update(completed_at=at)
    dossier.paused_since = None
    if dossier.legal_due_at is not None:
        pauses = list(dossier.supplement_requests.values_list("requested_at", "completed_at"))
        calendar = calendar_for_unit(dossier.handling_unit)
        dossier.effective_due_at = calendar.effective_due_at(dossier.legal_due_at, pauses)
        dossier.due_on = local_date(dossier.effective_due_at)


def _net_working_minutes(dossier: Dossier) -> int | None:
    """Working time from receipt to end with the supplement pauses taken out (average processing time)."""
    if dossier.received_at is None or dossier.ended_at is None:
        return None
    calendar = calendar_for_unit(dossier.handling_unit)
    paused = sum(
        calendar.working_minutes_between(start, end)
        for start, end in dossier.supplement_requests.values_list("requested_at", "completed_at")
        if end is not None
    )
    return max(0, calendar.working_minutes_between(dossier.received_at, dossier.ended_at) - paused)


def _end(dossier: Dossier, at: dt.datetime) -> None:
    """Fix the end of processing (the first end status reached) and classify the dossier."""
    if dossier.paused_since is not None:
        _close_open_pause(dossier, at)
    if dossier.ended_at is None:
        dossier.ended_at = at
        dossier.ended_on = local_date(at)
        dossier.processing_minutes = _net_working_minutes(dossier)
    dossier.timeliness = classify(
        ended_at=dossier.ended_at, due_at=dossier.effective_due_at, supplement_count=dossier.supplement_count
    )


@transaction.atomic
def start_processing(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """Received → processing, or back to processing once the financial obligation is met (6 → 4)."""
    if dossier.status == Status.SUPPLEMENT_REQUESTED:
        raise ConflictError(
            ErrorCode.ILLEGAL_TRANSITION,
            gettext("The dossier waits for a supplement; record its completion instead."),
            field="status",
        )
    dossier, at, previous = _change(dossier, Status.PROCESSING, actor=actor, at=at, note=note)
    return _commit(dossier, previous=previous, at=at, actor=actor, note=note)


@transaction.atomic
def request_supplement(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, reason: str = "", note: str = ""
) -> Dossier:
    """Pause the clock until the citizen completes the dossier. A second request makes it late."""
    dossier, at, previous = _change(dossier, Status.SUPPLEMENT_REQUESTED, actor=actor, at=at, note=note)
    dossier.supplement_count += 1
    dossier.paused_since = at
    SupplementRequest.objects.create(
        dossier=dossier, number=dossier.supplement_count, requested_at=at, reason=reason
    )
    data = {"number": dossier.supplement_count, "reason": reason}
    return _commit(
        dossier,
        previous=previous,
        at=at,
        actor=actor,
        note=note,
        kind=EventKind.SUPPLEMENT_REQUESTED,
        data=data,
    )


@transaction.atomic
def complete_supplement(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """The citizen handed in what was missing: the clock runs again from here."""
    dossier, at, previous = _change(dossier, Status.PROCESSING, actor=actor, at=at, note=note)
    if previous != Status.SUPPLEMENT_REQUESTED:
        raise ConflictError(
            ErrorCode.ILLEGAL_TRANSITION, gettext("No supplement request is open."), field="status"
        )
    _close_open_pause(dossier, at)
    data = {
        "number": dossier.supplement_count,
        "effective_due_at": dossier.effective_due_at.isoformat() if dossier.effective_due_at else None,
    }
    return _commit(
        dossier,
        previous=previous,
        at=at,
        actor=actor,
        note=note,
        kind=EventKind.SUPPLEMENT_COMPLETED,
        data=data,
    )


@transaction.atomic
def request_payment(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """Waiting for a fee or tax. The clock keeps running."""
    dossier, at, previous = _change(dossier, Status.FINANCIAL_OBLIGATION, actor=actor, at=at, note=note)
    return _commit(dossier, previous=previous, at=at, actor=actor, note=note)


def _end_with(
    dossier: Dossier, target: Status, *, actor: Actor, at: dt.datetime | None, note: str
) -> Dossier:
    dossier, at, previous = _change(dossier, target, actor=actor, at=at, note=note)
    if target == Status.FINISHED:
        dossier.finished_at = at
    _end(dossier, at)
    return _commit(
        dossier, previous=previous, at=at, actor=actor, note=note, data={"timeliness": dossier.timeliness}
    )


@transaction.atomic
def finish(dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = "") -> Dossier:
    """The result is ready: the preferred end of processing."""
    return _end_with(dossier, Status.FINISHED, actor=actor, at=at, note=note)


@transaction.atomic
def withdraw(dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = "") -> Dossier:
    """The applicant withdrew the dossier: an end state."""
    return _end_with(dossier, Status.WITHDRAWN, actor=actor, at=at, note=note)


@transaction.atomic
def stop(dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = "") -> Dossier:
    """Processing stopped after review (refused): an end state."""
    return _end_with(dossier, Status.STOPPED, actor=actor, at=at, note=note)


@transaction.atomic
def return_result(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """The result was handed over. The end of processing stays at the finishing time."""
    dossier, at, previous = _change(dossier, Status.RESULT_RETURNED, actor=actor, at=at, note=note)
    dossier.returned_at = at
    return _commit(dossier, previous=previous, at=at, actor=actor, note=note)


@transaction.atomic
def refuse_at_intake(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """An online submission turned down before receipt: never counted."""
    dossier, at, previous = _change(dossier, Status.REFUSED_AT_INTAKE, actor=actor, at=at, note=note)
    return _commit(dossier, previous=previous, at=at, actor=actor, note=note)
