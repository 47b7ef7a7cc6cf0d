"""Facts about a dossier that are not status changes: index flags, the citizen's rating, reassignment.

Each is an explicit action recorded as an event, so the index can always be traced back to who set what.
Setting a fact to the value it already has records nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from apps.core.actors import Actor
from apps.core.errors import ConflictError, ErrorCode
from apps.dossiers import events
from apps.dossiers.documents import DERIVED_FLAGS, recorded_flag_problem
from apps.dossiers.flags import Flag
from apps.dossiers.models import Dossier, Rating
from apps.dossiers.services._common import locked, record, resolve_time
from apps.dossiers.status import check_transferable
from apps.organisation.models import Unit


@transaction.atomic
def set_flag(
    dossier: Dossier,
    flag: Flag,
    *,
    actor: Actor,
    value: bool = True,
    at: dt.datetime | None = None,
    note: str = "",
) -> Dossier:
    dossier = locked(dossier)
    at = resolve_time(at, not_before=dossier.received_at or dossier.registered_at)
    if flag in DERIVED_FLAGS and dossier.documents.exists():
        problem = recorded_flag_problem(flag)
        raise ConflictError(ErrorCode.FLAG_FROM_DOCUMENTS, problem.message, field=problem.field)
    if getattr(dossier, flag) == value:
        return dossier
    setattr(dossier, flag, value)
    dossier.save(update_fields=[flag, "updated_at"])
    record(events.flag_set(dossier, flag=flag, value=value, at=at, actor=actor, note=note))
    return dossier


@transaction.atomic
def rate_dossier(
    dossier: Dossier, rating: Rating, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """The applicant's satisfaction rating; a dissatisfied rating lowers the satisfaction group."""
    dossier = locked(dossier)
    at = resolve_time(at, not_before=dossier.received_at or dossier.registered_at)
    if dossier.rating == rating:
        return dossier
    dossier.rating = rating
    dossier.save(update_fields=["rating", "updated_at"])
    record(events.rated(dossier, rating=rating, at=at, actor=actor, note=note))
    return dossier


@transaction.atomic
def assign_handling_unit(
    dossier: Dossier, unit: Unit, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """Hand the dossier to another unit. The due date stays as fixed at receipt. Once it has ended (or
    was refused) it stays where it was handled; naming the unit it is already at changes nothing."""
    dossier = locked(dossier)
    at = resolve_time(at, not_before=dossier.received_at or dossier.registered_at)
    if dossier.handling_unit_id == unit.pk:
        return dossier
    check_transferable(dossier.status)
    previous = dossier.handling_unit
    dossier.handling_unit = unit
    dossier.save(update_fields=["handling_unit", "updated_at"])
    event = events.handling_unit_assigned(dossier, previous_code=previous.code, at=at, actor=actor, note=note)
    record(event, also_unit_ids=(previous.pk,))
    return dossier
