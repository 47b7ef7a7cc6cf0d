"""Ticket states, the events that move them, and the one table of which event may follow which.

A ticket is issued by a kiosk (waiting), called to a counter by a staff user (called; a display may call
it again, at the same or another counter), served (serving) and finished, or marked a no-show (called
and not present, or gone before being called). Every event goes through :func:`check_event`; there is no
other place that decides whether an event may happen to a ticket in its current state.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ConflictError, ErrorCode


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called to a counter")
    SERVING = "serving", _("being served")
    FINISHED = "finished", _("served")
    NO_SHOW = "no_show", _("no-show")


class TicketEventKind(models.TextChoices):
    ISSUED = "issued", _("ticket issued")
    CALLED = "called", _("called to a counter")
    STARTED = "started", _("service started")
    FINISHED = "finished", _("service finished")
    NO_SHOW = "no_show", _("no-show")


# event -> (states it may happen in, state it leads to). ``issued`` creates the ticket: no prior state.
EVENT_TABLE: dict[TicketEventKind, tuple[frozenset[TicketStatus], TicketStatus]] = {
    TicketEventKind.CALLED: (frozenset({TicketStatus.WAITING, TicketStatus.CALLED}), TicketStatus.CALLED),
    TicketEventKind.STARTED: (frozenset({TicketStatus.CALLED}), TicketStatus.SERVING),
    # A display that sends no "started" finishes a called ticket: handling then runs from the last call.
    TicketEventKind.FINISHED: (frozenset({TicketStatus.CALLED, TicketStatus.SERVING}), TicketStatus.FINISHED),
    TicketEventKind.NO_SHOW: (frozenset({TicketStatus.WAITING, TicketStatus.CALLED}), TicketStatus.NO_SHOW),
}
# Order of events of the same instant within a bulk request (a call and its start may share a second).
EVENT_ORDER: dict[str, int] = {
    TicketEventKind.ISSUED: 0,
    TicketEventKind.CALLED: 1,
    TicketEventKind.STARTED: 2,
    TicketEventKind.FINISHED: 3,
    TicketEventKind.NO_SHOW: 3,
}
TERMINAL: frozenset[TicketStatus] = frozenset({TicketStatus.FINISHED, TicketStatus.NO_SHOW})
OPEN: frozenset[TicketStatus] = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING})


def can_happen(current: str, event: str) -> bool:
    if event == TicketEventKind.ISSUED:
        return False  # a ticket is issued once; it exists, so this is not its first event
    allowed, _target = EVENT_TABLE[TicketEventKind(event)]
    return TicketStatus(current) in allowed


def check_event(current: str, event: str) -> TicketStatus:
    """The state ``event`` leads to; a 409 ``illegal_transition`` unless the table allows it now."""
    if not can_happen(current, event):
        allowed = sorted(
            k.value for k, (states, _t) in EVENT_TABLE.items() if TicketStatus(current) in states
        )
        raise ConflictError(
            ErrorCode.ILLEGAL_TRANSITION,
            gettext("A ticket that is %(status)s cannot receive `%(event)s` (allowed next: %(allowed)s).")
            % {"status": TicketStatus(current).label, "event": event, "allowed": ", ".join(allowed) or "-"},
            field="event",
        )
    return EVENT_TABLE[TicketEventKind(event)][1]
