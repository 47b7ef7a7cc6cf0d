"""Plumbing shared by the dossier services: locking, time checks, history writes, follow-up tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import TypeVar

from django.db import models, transaction

from apps.core.timekeeping import FUTURE_TOLERANCE
from apps.core.timekeeping import resolve_time as _resolve_time
from apps.dossiers.models import Dossier, DossierEvent
from apps.statistics.tracking import dossier_changed

M = TypeVar("M", bound=models.Model)

__all__ = ["FUTURE_TOLERANCE", "attach_related", "locked", "record", "resolve_time"]


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
    """:func:`apps.core.timekeeping.resolve_time` for dossiers."""
    return _resolve_time(at, field=field, not_before=not_before, subject="dossier")


def record(event: DossierEvent, *, also_unit_ids: tuple[int, ...] = ()) -> DossierEvent:
    """Insert the event; once the transaction commits, run its follow-up task and refresh statistics.

    ``also_unit_ids``: other units whose statistics the change touches (the previous handling unit).
    """
    from apps.dossiers.tasks import process_dossier_event

    event.save()
    transaction.on_commit(partial(process_dossier_event.delay, event.pk))
    dossier_changed(event.dossier, also_unit_ids=also_unit_ids)
    return event


def attach_related(instance: M, **related: Iterable[models.Model]) -> M:
    """Hold rows already in memory as ``instance``'s prefetched relations (``events=[…]``), as
    ``prefetch_related`` would have: reading ``instance.events.all()`` then costs no query.

    A create attaches what it just wrote (events, documents, no supplement requests), so its answer is
    written from memory instead of read back: the rows are exactly these, since no one else can have
    seen the dossier before the transaction commits.
    """
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, objects in related.items():
        queryset = getattr(instance, name).all()  # lazy: no query
        queryset._result_cache = list(objects)
        queryset._prefetch_done = True
        cache[name] = queryset
    return instance
