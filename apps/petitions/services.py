"""Every write to a petition goes through one of these functions (keyword-only, with an actor).

Each service locks the petition, checks the transition table and the time, writes the change and one
append-only :class:`PetitionEvent` in one transaction, together with the statistics marks of the unit's
periods from the petition's receipt day (the outbox: apps/statistics/tracking.py). Only the kicks run
after commit (the event's follow-up task, the drain); if the broker is down the beat sweepers find the
undispatched event and the marks instead.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from apps.core.actors import Actor
from apps.core.errors import ConflictError, DomainError, ErrorCode
from apps.core.timekeeping import resolve_time as _resolve_time
from apps.dossiers.models import Dossier
from apps.dossiers.timeliness import BUSINESS_TZ, local_date
from apps.organisation.models import Unit
from apps.petitions import events
from apps.petitions.deadlines import Answer, classify, compute_deadlines
from apps.petitions.models import Petition, PetitionChannel, PetitionEvent, PetitionRating
from apps.petitions.status import FINAL, PetitionStatus, check_transition
from apps.statistics.tracking import dossier_changed, unit_periods_changed
from apps.workcalendar.services import calendar_for_unit

_ANSWER_STATUS: dict[Answer, PetitionStatus] = {
    Answer.REJECT: PetitionStatus.REJECTED,
    Answer.REQUEST_INFO: PetitionStatus.INFO_REQUESTED,
    Answer.RESOLVE: PetitionStatus.RESOLVED,
}
_ANSWER_TIME_FIELD: dict[Answer, str] = {
    Answer.REJECT: "rejected_at",
    Answer.REQUEST_INFO: "info_requested_at",
    Answer.RESOLVE: "resolved_at",
}


# ---- plumbing ----------------------------------------------------------------------------------


def new_petition_code(unit: Unit, day: dt.date) -> str:
    """A code that says where and when: ``PA-H44.100-260213-7F3A9C``."""
    return f"PA-{unit.code}-{day:%y%m%d}-{secrets.token_hex(3).upper()}"


def locked(petition: Petition) -> Petition:
    """Re-read the petition under a row lock so concurrent actions on it serialise."""
    return (
        Petition.objects.select_for_update(of=("self",))  # PostgreSQL cannot lock nullable joined rows
        .select_related("unit", "dossier", "repeat_of")
        .get(pk=petition.pk)
    )


def resolve_time(
    at: dt.datetime | None, *, field: str = "at", not_before: dt.datetime | None = None
) -> dt.datetime:
    """:func:`apps.core.timekeeping.resolve_time` for petitions: no answer before the question."""
    return _resolve_time(at, field=field, not_before=not_before, subject="petition")


def _record(event: PetitionEvent) -> PetitionEvent:
    """Insert the event; after commit run its follow-up task and mark the unit's statistics dirty."""
    from apps.petitions.tasks import process_petition_event

    event.save()
    transaction.on_commit(partial(process_petition_event.delay, event.pk))
    petition = event.petition
    unit_periods_changed((petition.unit_id,), petition.received_on)
    return event


def _lock_dossiers(ids: Iterable[int]) -> list[Dossier]:
    """Lock the dossier rows (in id order, so two links never deadlock) before petitions touching them
    change: a later ``has_petition`` recount then sees every committed link, whatever the interleaving."""
    wanted = sorted({pk for pk in ids if pk is not None})
    if not wanted:
        return []
    return list(Dossier.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))


def _refresh_has_petition(dossiers: list[Dossier]) -> None:
    """Recount, in the database, whether any petition still links to each dossier; mark its statistics."""
    if not dossiers:
        return
    linked = Petition.objects.filter(dossier_id=OuterRef("pk"))
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(has_petition=Exists(linked))
    for dossier in dossiers:
        dossier_changed(dossier)


# ---- receipt -----------------------------------------------------------------------------------


@transaction.atomic
def receive_petition(
    *,
    unit: Unit,
    subject: str,
    actor: Actor,
    content: str = "",
    channel: str = PetitionChannel.PORTAL,
    petitioner_name: str = "",
    received_at: dt.datetime | None = None,
    code: str | None = None,
    dossier: Dossier | None = None,
    is_repeat: bool = False,
    repeat_of: Petition | None = None,
    note: str = "",
) -> Petition:
    """Record a petition under ``unit``'s authority and fix its three due instants on the unit's calendar."""
    received_at = resolve_time(received_at, field="received_at")
    if repeat_of is not None:
        is_repeat = True
        if repeat_of.received_at > received_at:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                gettext("A repeat cannot be received before the petition it repeats (%(code)s).")
                % {"code": repeat_of.code},
                field="repeat_of",
            )
    if code and Petition.objects.filter(code=code).exists():
        raise DomainError(
            ErrorCode.DUPLICATE_PETITION,
            gettext("A petition with code %(code)s exists.") % {"code": code},
            field="code",
        )
    local_day = received_at.astimezone(BUSINESS_TZ).date()
    deadlines = compute_deadlines(calendar_for_unit(unit), received_at)
    locked_dossiers = _lock_dossiers([dossier.pk] if dossier is not None else [])
    petition = Petition(
        code=code or new_petition_code(unit, local_day),
        unit=unit,
        dossier=dossier,
        channel=channel,
        petitioner_name=petitioner_name,
        subject=subject,
        content=content,
        status=PetitionStatus.RECEIVED,
        status_changed_at=received_at,
        received_at=received_at,
        received_on=local_day,
        reject_due_at=deadlines.reject_due_at,
        info_due_at=deadlines.info_due_at,
        reply_due_at=deadlines.reply_due_at,
        due_on=local_date(deadlines.reply_due_at),
        is_repeat=is_repeat,
        repeat_of=repeat_of,
        created_by=actor.user,
        created_by_system=actor.system,
    )
    try:
        with transaction.atomic():  # a concurrent insert of the same code answers 400, not 500
            petition.save()
    except IntegrityError:
        raise DomainError(
            ErrorCode.DUPLICATE_PETITION,
            gettext("A petition with code %(code)s exists.") % {"code": petition.code},
            field="code",
        ) from None
    _record(events.received(petition, at=received_at, actor=actor, note=note))
    _refresh_has_petition(locked_dossiers)
    return petition


# ---- status changes ----------------------------------------------------------------------------


def _change(
    petition: Petition, target: PetitionStatus, at: dt.datetime | None
) -> tuple[Petition, dt.datetime, str]:
    """Lock, check the table and the time, move the status; the caller sets the rest, then commits."""
    petition = locked(petition)
    check_transition(petition.status, target)
    at = resolve_time(at, not_before=petition.status_changed_at)
    previous = petition.status
    petition.status = target
    petition.status_changed_at = at
    return petition, at, previous


def _commit(
    petition: Petition, *, previous: str, at: dt.datetime, actor: Actor, note: str, data: dict | None = None
) -> Petition:
    petition.save()
    _record(events.status_changed(petition, at=at, actor=actor, from_status=previous, note=note, data=data))
    return petition


def _answer(
    petition: Petition, answer: Answer, *, actor: Actor, at: dt.datetime | None, text: str, note: str
) -> Petition:
    """Close the petition with an answer and judge it against that answer's own limit."""
    petition, at, previous = _change(petition, _ANSWER_STATUS[answer], at)
    due = {
        Answer.REJECT: petition.reject_due_at,
        Answer.REQUEST_INFO: petition.info_due_at,
        Answer.RESOLVE: petition.reply_due_at,
    }[answer]
    setattr(petition, _ANSWER_TIME_FIELD[answer], at)
    petition.answer = text
    petition.answered_with = answer
    petition.ended_at = at
    petition.ended_on = local_date(at)
    petition.timeliness = classify(answered_at=at, due_at=due)
    data = {"answer": answer.value, "due_at": due.isoformat(), "timeliness": petition.timeliness}
    return _commit(petition, previous=previous, at=at, actor=actor, note=note, data=data)


@transaction.atomic
def reject_petition(
    petition: Petition, *, actor: Actor, at: dt.datetime | None = None, answer: str = "", note: str = ""
) -> Petition:
    """Refuse to handle the petition (outside the unit's authority, anonymous, already answered …)."""
    return _answer(petition, Answer.REJECT, actor=actor, at=at, text=answer, note=note)


@transaction.atomic
def request_info(
    petition: Petition, *, actor: Actor, at: dt.datetime | None = None, answer: str = "", note: str = ""
) -> Petition:
    """Ask the petitioner for more information; until they reply the petition counts as answered."""
    return _answer(petition, Answer.REQUEST_INFO, actor=actor, at=at, text=answer, note=note)


@transaction.atomic
def resolve_petition(
    petition: Petition, *, actor: Actor, at: dt.datetime | None = None, answer: str = "", note: str = ""
) -> Petition:
    """Send the unit's reply: the petition is handled."""
    return _answer(petition, Answer.RESOLVE, actor=actor, at=at, text=answer, note=note)


@transaction.atomic
def start_handling(
    petition: Petition, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Petition:
    """Accept the petition for handling, or resume it once the requested information arrived.

    Resuming reopens it: the information request no longer closes it, and the 15-working-day handling
    limit fixed at receipt judges it again (the rule book grants no extension for the wait).
    """
    petition, at, previous = _change(petition, PetitionStatus.IN_PROGRESS, at)
    if previous == PetitionStatus.INFO_REQUESTED:
        petition.info_received_at = at
        petition.answered_with = ""
        petition.ended_at = None
        petition.ended_on = None
        petition.timeliness = ""
    if petition.started_at is None:
        petition.started_at = at
    return _commit(petition, previous=previous, at=at, actor=actor, note=note)


# ---- facts -------------------------------------------------------------------------------------


@transaction.atomic
def rate_petition(
    petition: Petition, rating: str, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Petition:
    """The petitioner's verdict on the final answer; a dissatisfied rating lowers the satisfaction group.

    Rating the same value again records nothing.
    """
    petition = locked(petition)
    if petition.status not in FINAL:
        raise ConflictError(
            ErrorCode.PETITION_NOT_ANSWERED,
            gettext("A petition that is %(status)s has no final answer to rate yet.")
            % {"status": PetitionStatus(petition.status).label},
            field="rating",
        )
    at = resolve_time(at, not_before=petition.status_changed_at)
    rating = PetitionRating(rating)
    if petition.rating == rating:
        return petition
    petition.rating = rating
    petition.rated_at = at
    petition.save(update_fields=["rating", "rated_at", "updated_at"])
    _record(events.rated(petition, rating=rating.value, at=at, actor=actor, note=note))
    return petition


@transaction.atomic
def link_dossier(
    petition: Petition,
    dossier: Dossier | None,
    *,
    actor: Actor,
    at: dt.datetime | None = None,
    note: str = "",
) -> Petition:
    """Link the petition to the dossier it is about (``None`` unlinks it).

    The dossiers' ``has_petition`` flags (which lower the dossier-satisfaction indicator) are recounted
    in the database for both the new and the previous dossier, since another petition may still link
    to the previous one. Linking to the dossier already linked records nothing.
    """
    petition = locked(petition)
    at = resolve_time(at, not_before=petition.received_at)
    previous = petition.dossier
    if (previous.pk if previous else None) == (dossier.pk if dossier else None):
        return petition
    touched = _lock_dossiers([d.pk for d in (previous, dossier) if d is not None])
    petition.dossier = dossier
    petition.save(update_fields=["dossier", "updated_at"])
    previous_code = previous.code if previous is not None else None
    if dossier is None:
        event = events.dossier_unlinked(
            petition, previous_code=previous_code or "", at=at, actor=actor, note=note
        )
    else:
        event = events.dossier_linked(
            petition, dossier_code=dossier.code, previous_code=previous_code, at=at, actor=actor, note=note
        )
    _record(event)
    _refresh_has_petition(touched)
    return petition
