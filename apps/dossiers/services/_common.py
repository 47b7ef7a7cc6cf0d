"""Plumbing shared by the dossier services: locking, time checks, history writes, follow-up tasks."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import transaction
from django.utils import timezone

from apps.core.errors import DomainError, ErrorCode
from apps.dossiers.models import Dossier, DossierEvent
from apps.statistics.tracking import dossier_changed

# Clocks of external systems drift; an instant this far ahead of ours is still accepted as "now".
FUTURE_TOLERANCE = dt.timedelta(minutes=2)


def locked(dossier: Dossier) -> Dossier:
    """Re-read the dossier under a row lock so concurrent actions on it serialise."""
    return (
        Dossier.objects.select_for_update(of=("self",))  # lock the dossier, not the units it points at
        .select_related("procedure_version", "handling_unit", "receiving_unit")
        .get(pk=dossier.pk)
    )


def resolve_time(
    at: dt.datetime | None, *, field: str = "at", not_before: dt.datetime | None = None
) -> dt.datetime:
    """The instant an action happened: given by the caller (external systems) or now.

    Refuses instants in the future and instants before the dossier's previous status change, so
    the history stays in order.
    """
    now = timezone.now()
    if at is None:
        at = now
    if timezone.is_naive(at):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "The time must include a UTC offset.", field=field)
    if at > now + FUTURE_TOLERANCE:
        raise DomainError(
            ErrorCode.RECEIVED_IN_FUTURE if field == "received_at" else ErrorCode.VALIDATION_ERROR,
            f"{at.isoformat()} is in the future.",
            field=field,
        )
    if not_before is not None and at < not_before:
        raise DomainError(
            ErrorCode.EVENT_BEFORE_PREVIOUS,
            f"{at.isoformat()} is before the dossier's previous change at {not_before.isoformat()}.",
            field=field,
        )
    return at


def record(event: DossierEvent, *, also_unit_ids: tuple[int, ...] = ()) -> DossierEvent:
    """Insert the event; once the transaction commits, run its follow-up task and refresh statistics.

    ``also_unit_ids``: other units whose statistics the change touches (the previous handling unit).
    """
    from apps.dossiers.tasks import process_dossier_event

    event.save()
    transaction.on_commit(partial(process_dossier_event.delay, event.pk))
    dossier_changed(event.dossier, also_unit_ids=also_unit_ids)
    return event
