"""Every write to a queue ticket goes through :func:`record_event` (one event) or :func:`ingest_events`.

One event = one transaction writing the ticket's new state, one append-only :class:`TicketEvent` (the
outbox row of its follow-up, apps/core/outbox.py) and the links to the dossiers received at the visit;
the follow-up task is only kicked after commit. Events are idempotent: a ticket is identified by its
kiosk system's id within the posting client's namespace (``source_system`` = the client's name, as for
dossiers), and an event already recorded (same ticket, kind and instant) answers ``unchanged``.

Refusals carry a code: 409 when the ticket's state does not allow the event (``illegal_transition``;
``unknown_ticket`` for an event of a ticket not issued yet, ``duplicate_ticket`` for a second, different
issue), 422 for references that do not fit the ticket (``event_before_previous``, ``unknown_counter``,
``unknown_staff``, ``unknown_dossier``, ``unknown_unit``), 403 for a unit outside the client's subtree.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from apps.catalogue.models import Field, Procedure
from apps.core.actors import Actor
from apps.core.errors import ConflictError, DomainError, ErrorCode, ScopeError
from apps.core.timekeeping import resolve_time
from apps.dossiers.models import Dossier
from apps.dossiers.timeliness import local_date
from apps.organisation.models import Unit
from apps.queues.models import Counter, Ticket, TicketEvent
from apps.queues.status import EVENT_ORDER, TicketEventKind, TicketStatus, check_event

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
MAX_ITEMS = 5000


class Unprocessable(DomainError):
    """The event is well-formed but refers to something that does not fit the ticket (HTTP 422)."""

    status = 422


@dataclass(frozen=True)
class EventData:
    """One validated event as the kiosks and displays send it (apps/queues/api/serializers.py)."""

    ticket: str
    event: str
    at: dt.datetime
    unit: str = ""
    number: str = ""
    field: str = ""
    procedure: str = ""
    counter: int | None = None
    staff: str = ""
    dossiers: tuple[str, ...] = ()


@dataclass
class Result:
    outcome: str
    ticket: Ticket
    event_id: int | None = None


def minutes_of(seconds: int) -> int:
    """Whole minutes rounded up: 15 min 0 s is within a 15-minute target, 15 min 1 s is not."""
    return math.ceil(seconds / 60)


def _seconds_between(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


# ---- references --------------------------------------------------------------------------------


def _unit(code: str, scope_path: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise Unprocessable(
            ErrorCode.UNKNOWN_UNIT, gettext("Unknown unit %(code)s.") % {"code": code}, field="unit"
        )
    if not unit.path.startswith(scope_path):
        raise ScopeError(
            ErrorCode.UNIT_OUT_OF_SCOPE,
            gettext("Unit %(code)s is outside the client's subtree.") % {"code": code},
            field="unit",
        )
    return unit


def _counter(ticket: Ticket, number: int | None) -> Counter | None:
    if number is None:
        return None
    counter = Counter.objects.filter(unit_id=ticket.unit_id, number=number, is_active=True).first()
    if counter is None:
        raise Unprocessable(
            ErrorCode.UNKNOWN_COUNTER,
            gettext("Unit %(unit)s has no active counter %(number)s.")
            % {"unit": ticket.unit.code, "number": number},
            field="counter",
        )
    return counter


def _staff(ticket: Ticket, username: str):
    """A staff user of the ticket's province (departments second officers to the centre's desks)."""
    if not username:
        return None
    user = (
        get_user_model()
        .objects.select_related("unit")
        .filter(username=username, is_active=True, unit__isnull=False, machine_client__isnull=True)
        .first()
    )
    if user is None or user.unit.root_code != ticket.unit.root_code:
        raise Unprocessable(
            ErrorCode.UNKNOWN_STAFF,
            gettext("%(username)s is not an active staff user of this province.") % {"username": username},
            field="staff",
        )
    return user


def _dossiers(ticket: Ticket, codes: Iterable[str]) -> list[Dossier]:
    """Dossiers received in the ticket unit's subtree; any other code is refused (and reveals nothing)."""
    wanted = sorted(set(codes))
    if not wanted:
        return []
    found = list(
        Dossier.objects.filter(code__in=wanted, receiving_unit__path__startswith=ticket.unit.path).only(
            "id", "code"
        )
    )
    missing = sorted(set(wanted) - {d.code for d in found})
    if missing:
        raise Unprocessable(
            ErrorCode.UNKNOWN_DOSSIER,
            gettext("No dossier received at this unit has the code %(codes)s.")
            % {"codes": ", ".join(missing)},
            field="dossiers",
        )
    return found


def _catalogue(data: EventData) -> tuple[Field | None, Procedure | None]:
    field_row = procedure = None
    if data.field:
        field_row = Field.objects.filter(code=data.field).first()
        if field_row is None:
            raise Unprocessable(
                ErrorCode.VALIDATION_ERROR,
                gettext("Unknown field %(code)s.") % {"code": data.field},
                field="field",
            )
    if data.procedure:
        procedure = Procedure.objects.filter(code=data.procedure).first()
        if procedure is None:
            raise Unprocessable(
                ErrorCode.UNKNOWN_PROCEDURE,
                gettext("Unknown procedure %(code)s.") % {"code": data.procedure},
                field="procedure",
            )
    return field_row, procedure


def _at(data: EventData, not_before: dt.datetime | None) -> dt.datetime:
    try:
        return resolve_time(data.at, not_before=not_before, subject="ticket")
    except DomainError as error:
        if error.code == ErrorCode.EVENT_BEFORE_PREVIOUS:
            raise Unprocessable(error.code, error.message, field="at") from None
        raise


# ---- the one write path ------------------------------------------------------------------------


def _record(ticket: Ticket, data: EventData, *, previous: str, actor: Actor, kick: bool) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        kind=data.event,
        occurred_at=data.at,
        from_status=previous,
        to_status=ticket.status,
        counter=ticket.counter if data.event in (TicketEventKind.CALLED, TicketEventKind.STARTED) else None,
        staff=ticket.staff if data.event != TicketEventKind.ISSUED else None,
        actor_user=actor.user,
        actor_system=actor.system,
        data={"dossiers": sorted(data.dossiers)} if data.dossiers else {},
    )
    event.save()
    if kick:
        from apps.queues.tasks import process_ticket_event

        transaction.on_commit(partial(process_ticket_event.delay, event.pk))
    return event


def _issued_before(data: EventData, *, source_system: str) -> Result | None:
    """``unchanged`` for a replay of the issue, 409 ``duplicate_ticket`` for a different one, else None."""
    ticket = (
        Ticket.objects.select_related("unit")
        .filter(source_system=source_system, external_id=data.ticket)
        .first()
    )
    if ticket is None:
        return None
    if ticket.issued_at == data.at and ticket.unit.code == data.unit:
        return Result(UNCHANGED, ticket)
    raise ConflictError(
        ErrorCode.DUPLICATE_TICKET,
        gettext("Ticket %(ticket)s was already issued differently.") % {"ticket": data.ticket},
        field="ticket",
    )


def _issue(data: EventData, *, source_system: str, scope_path: str, actor: Actor, kick: bool) -> Result:
    if (replay := _issued_before(data, source_system=source_system)) is not None:
        return replay
    if not data.unit:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, gettext("An issued ticket names its unit."), field="unit"
        )
    unit = _unit(data.unit, scope_path)
    field_row, procedure = _catalogue(data)
    at = _at(data, None)
    ticket = Ticket(
        unit=unit, source_system=source_system, external_id=data.ticket, number=data.number, field=field_row,
        procedure=procedure, status=TicketStatus.WAITING, status_changed_at=at, issued_at=at,
        issued_on=local_date(at),
    )  # fmt: skip
    try:
        with transaction.atomic():  # the same ticket issued concurrently: judged like a replay, never a 500
            ticket.save()
    except IntegrityError:
        replay = _issued_before(data, source_system=source_system)
        if replay is None:  # pragma: no cover - the row that collided is committed, so it is found
            raise
        return replay
    if data.dossiers:
        ticket.dossiers.add(*_dossiers(ticket, data.dossiers))
    event = _record(ticket, data, previous="", actor=actor, kick=kick)
    return Result(CREATED, ticket, event.pk)


def _move(data: EventData, *, source_system: str, scope_path: str, actor: Actor, kick: bool) -> Result:
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(source_system=source_system, external_id=data.ticket)
        .first()
    )
    if ticket is None or not ticket.unit.path.startswith(scope_path):
        raise ConflictError(
            ErrorCode.UNKNOWN_TICKET,
            gettext("Ticket %(ticket)s has not been issued (send its `issued` event first).")
            % {"ticket": data.ticket},
            field="ticket",
        )
    # A replay is an event already recorded, so never later than the ticket's last change: only then look.
    if (
        data.at <= ticket.status_changed_at
        and TicketEvent.objects.filter(ticket=ticket, kind=data.event, occurred_at=data.at).exists()
    ):
        return Result(UNCHANGED, ticket)
    target = check_event(ticket.status, data.event)
    at = _at(data, ticket.status_changed_at)
    staff = _staff(ticket, data.staff)
    if data.event == TicketEventKind.CALLED:
        if data.counter is None:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, gettext("A call names the counter."), field="counter"
            )
        ticket.counter = _counter(ticket, data.counter)
        if ticket.first_called_at is None:
            ticket.first_called_at = at
            ticket.wait_seconds = _seconds_between(ticket.issued_at, at)
            ticket.wait_minutes = minutes_of(ticket.wait_seconds)
        ticket.last_called_at = at
        ticket.call_count += 1
    elif data.event == TicketEventKind.STARTED:
        if data.counter is not None:
            ticket.counter = _counter(ticket, data.counter)
        ticket.started_at = at
    elif data.event == TicketEventKind.FINISHED:
        ticket.finished_at = at
        began = ticket.started_at or ticket.last_called_at
        ticket.handling_seconds = _seconds_between(began, at)
        ticket.handling_minutes = minutes_of(ticket.handling_seconds)
    elif data.event == TicketEventKind.NO_SHOW:
        ticket.no_show_at = at
    if staff is not None:
        ticket.staff = staff
    dossiers = _dossiers(ticket, data.dossiers)
    previous = ticket.status
    ticket.status = target
    ticket.status_changed_at = at
    ticket.save()
    if dossiers:
        ticket.dossiers.add(*dossiers)
    event = _record(ticket, data, previous=previous, actor=actor, kick=kick)
    return Result(UPDATED, ticket, event.pk)


def record_event(
    data: EventData, *, source_system: str, scope_path: str, actor: Actor, kick: bool = True
) -> Result:
    """Apply one event: ``created`` (a ticket issued), ``updated`` or ``unchanged`` (already recorded).

    ``scope_path``: the client's subtree (its unit's path); ``source_system``: its namespace of ticket ids.
    """
    with transaction.atomic():
        return _apply(data, source_system=source_system, scope_path=scope_path, actor=actor, kick=kick)


def _apply(data: EventData, *, source_system: str, scope_path: str, actor: Actor, kick: bool) -> Result:
    """:func:`record_event` inside the caller's transaction (or savepoint)."""
    if data.event == TicketEventKind.ISSUED:
        return _issue(data, source_system=source_system, scope_path=scope_path, actor=actor, kick=kick)
    return _move(data, source_system=source_system, scope_path=scope_path, actor=actor, kick=kick)


# ---- many events -------------------------------------------------------------------------------


@dataclass
class ItemOutcome:
    index: int
    ticket: str | None
    event: str | None
    outcome: str
    status: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "ticket": self.ticket, "event": self.event, "outcome": self.outcome,
            "status": self.status, "errors": self.errors,
        }  # fmt: skip


def rejected(index: int, ticket: Any, event: Any, errors: list[dict[str, Any]]) -> ItemOutcome:
    return ItemOutcome(
        index, ticket if isinstance(ticket, str) else None, event if isinstance(event, str) else None, REJECTED,
        errors=errors,
    )  # fmt: skip


@transaction.atomic
def ingest_events(
    items: list[tuple[int, EventData]], *, source_system: str, scope_path: str, actor: Actor
) -> list[ItemOutcome]:
    """Apply valid events in event-time order, each in its own savepoint: a refused one is rejected with
    its error and the others stand. One follow-up task is kicked for all the events written."""
    ordered = sorted(items, key=lambda pair: (pair[1].at, EVENT_ORDER[pair[1].event], pair[0]))
    outcomes, written = [], []
    for index, data in ordered:
        try:
            with transaction.atomic():  # one savepoint per item: a refusal undoes that item only
                result = _apply(
                    data, source_system=source_system, scope_path=scope_path, actor=actor, kick=False
                )
        except DomainError as error:
            problem = {"field": error.field, "code": str(error.code), "message": error.message}
            outcomes.append(rejected(index, data.ticket, data.event, [problem]))
            continue
        if result.event_id is not None:
            written.append(result.event_id)
        outcomes.append(ItemOutcome(index, data.ticket, data.event, result.outcome, result.ticket.status))
    if written:
        from apps.queues.tasks import process_ticket_events

        transaction.on_commit(partial(process_ticket_events.delay, written))
    return outcomes
