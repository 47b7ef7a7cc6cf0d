"""Small constructors for petition history events, one per kind, so every service writes them alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apps.core.actors import Actor
from apps.petitions.models import Petition, PetitionEvent, PetitionEventKind


def _event(
    petition: Petition,
    kind: PetitionEventKind,
    *,
    at: dt.datetime,
    actor: Actor,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> PetitionEvent:
    return PetitionEvent(
        petition=petition,
        kind=kind,
        occurred_at=at,
        actor_user=actor.user,
        actor_system=actor.system,
        note=note,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def received(petition: Petition, *, at: dt.datetime, actor: Actor, note: str = "") -> PetitionEvent:
    data = {
        "reject_due_at": petition.reject_due_at.isoformat(),
        "info_due_at": petition.info_due_at.isoformat(),
        "reply_due_at": petition.reply_due_at.isoformat(),
        "dossier": petition.dossier.code if petition.dossier_id else None,
        "repeat_of": petition.repeat_of.code if petition.repeat_of_id else None,
    }
    return _event(
        petition,
        PetitionEventKind.RECEIVED,
        at=at,
        actor=actor,
        note=note,
        to_status=petition.status,
        data=data,
    )


def status_changed(
    petition: Petition,
    *,
    at: dt.datetime,
    actor: Actor,
    from_status: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> PetitionEvent:
    return _event(
        petition,
        PetitionEventKind.STATUS_CHANGED,
        at=at,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=petition.status,
        data=data,
    )


def rated(petition: Petition, *, rating: str, at: dt.datetime, actor: Actor, note: str = "") -> PetitionEvent:
    return _event(petition, PetitionEventKind.RATED, at=at, actor=actor, note=note, data={"rating": rating})


def dossier_linked(
    petition: Petition,
    *,
    dossier_code: str,
    previous_code: str | None,
    at: dt.datetime,
    actor: Actor,
    note: str,
) -> PetitionEvent:
    data = {"dossier": dossier_code, "previous": previous_code}
    return _event(petition, PetitionEventKind.DOSSIER_LINKED, at=at, actor=actor, note=note, data=data)


def dossier_unlinked(
    petition: Petition, *, previous_code: str, at: dt.datetime, actor: Actor, note: str
) -> PetitionEvent:
    data = {"previous": previous_code}
    return _event(petition, PetitionEventKind.DOSSIER_UNLINKED, at=at, actor=actor, note=note, data=data)
