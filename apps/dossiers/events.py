"""Small constructors for history events, one per kind, so every service writes them the same way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apps.core.actors import Actor
from apps.dossiers.models import Dossier, DossierEvent, EventKind


def _event(
    dossier: Dossier,
    kind: EventKind,
    *,
    at: dt.datetime,
    actor: Actor,
    note: str = "",
    from_status: int | None = None,
    to_status: int | None = None,
    data: dict[str, Any] | None = None,
) -> DossierEvent:
    return DossierEvent(
        dossier=dossier,
        kind=kind,
        occurred_at=at,
        actor_user=actor.user,
        actor_system=actor.system,
        note=note,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def registered(dossier: Dossier, *, at: dt.datetime, actor: Actor, note: str = "") -> DossierEvent:
    return _event(dossier, EventKind.REGISTERED, at=at, actor=actor, note=note, to_status=dossier.status)


def received(
    dossier: Dossier, *, at: dt.datetime, actor: Actor, from_status: int | None = None, note: str = ""
) -> DossierEvent:
    due = dossier.legal_due_at.isoformat() if dossier.legal_due_at else None
    return _event(
        dossier,
        EventKind.RECEIVED,
        at=at,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=dossier.status,
        data={"legal_due_at": due, "procedure_version": dossier.procedure_version_id},
    )


def status_changed(
    dossier: Dossier,
    kind: EventKind,
    *,
    at: dt.datetime,
    actor: Actor,
    from_status: int,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> DossierEvent:
    return _event(
        dossier,
        kind,
        at=at,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=dossier.status,
        data=data,
    )


def flag_set(
    dossier: Dossier, *, flag: str, value: bool, at: dt.datetime, actor: Actor, note: str = ""
) -> DossierEvent:
    return _event(
        dossier, EventKind.FLAG_SET, at=at, actor=actor, note=note, data={"flag": flag, "value": value}
    )


def rated(dossier: Dossier, *, rating: str, at: dt.datetime, actor: Actor, note: str = "") -> DossierEvent:
    return _event(dossier, EventKind.RATED, at=at, actor=actor, note=note, data={"rating": rating})


def handling_unit_assigned(
    dossier: Dossier, *, previous_code: str, at: dt.datetime, actor: Actor, note: str = ""
) -> DossierEvent:
    return _event(
        dossier,
        EventKind.HANDLING_UNIT_ASSIGNED,
        at=at,
        actor=actor,
        note=note,
        data={"from": previous_code, "to": dossier.handling_unit.code},
    )


def corrected(
    dossier: Dossier, kind: EventKind, *, at: dt.datetime, actor: Actor, note: str, data: dict[str, Any]
) -> DossierEvent:
    """A correction (descriptive or of the receipt facts): ``data`` holds the reason and, per field,
    the old and the new value."""
    return _event(dossier, kind, at=at, actor=actor, note=note, data=data)
