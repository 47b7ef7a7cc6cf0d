"""The two registers the index reads besides dossiers: online offerings and publication decisions.

Both are facts a province records about itself (which unit offers which procedure online; which
decisions published which procedures, and when they were disclosed). The rules that keep them coherent
live here, shared by the API and the admin; each write also tells the statistics that scores from the
first affected day on are stale, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.catalogue.models import (
    CONTENT_PARTS,
    ONLINE_LEVEL_RANK,
    OnlineLevel,
    OnlineOffering,
    Procedure,
    ProcedureVersion,
    PublicationDecision,
    PublishedProcedure,
)
from apps.organisation.models import Unit, UnitKind
from apps.organisation.selectors import top_unit

Problems = dict[str, tuple[str, str]]  # field -> (code, message)

_OPEN_END = dt.date.max


def offering_problems(
    *,
    unit: Unit,
    procedure: Procedure,
    level: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_pk: int | None = None,
) -> Problems:
    """Why this offering cannot be recorded, if it cannot.

    A unit cannot offer online what the national catalogue does not allow online, nor at a higher level
    than the catalogue allows (a partial-only procedure offered "full" would inflate term A). Two
    offerings of the same procedure by the same unit must not overlap, or B would count it twice.
    """
    problems: Problems = {}
    if valid_to is not None and valid_to < valid_from:
        problems["valid_to"] = ("before_start", _("The last day cannot be before the first day."))
    version = ProcedureVersion.objects.valid_on(valid_from).filter(procedure=procedure).first()
    if version is None:
        problems["procedure"] = (
            "no_procedure_version",
            _("Procedure %(code)s has no version in force on %(day)s.")
            % {"code": procedure.code, "day": valid_from.isoformat()},
        )
    elif version.online_level == OnlineLevel.NONE:
        problems["procedure"] = (
            "not_offered_online",
            _("The catalogue does not allow procedure %(code)s to be offered online.")
            % {"code": procedure.code},
        )
    elif ONLINE_LEVEL_RANK[OnlineLevel(level)] > ONLINE_LEVEL_RANK[OnlineLevel(version.online_level)]:
        problems["level"] = (
            "level_above_catalogue",
            _("The catalogue allows procedure %(code)s online only at level %(level)s.")
            % {"code": procedure.code, "level": version.online_level},
        )
    others = OnlineOffering.objects.filter(unit=unit, procedure=procedure)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    end = valid_to or _OPEN_END
    clash = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from), valid_from__lte=end).first()
    if clash is not None and "valid_to" not in problems:
        problems["valid_from"] = (
            "overlapping_offering",
            _("%(unit)s already offers %(code)s online from %(day)s; end that offering first.")
            % {"unit": unit.code, "code": procedure.code, "day": clash.valid_from.isoformat()},
        )
    return problems


def decision_problems(*, authority: Unit | None, decided_on: dt.date | None, today: dt.date) -> Problems:
    """Decisions are issued by a province or a ministry (a top-level unit), never dated in the future."""
    problems: Problems = {}
    if authority is not None and (
        authority.parent_id is not None or authority.kind not in (UnitKind.PROVINCE, UnitKind.MINISTRY)
    ):
        problems["authority"] = (
            "not_an_issuing_authority",
            _("Publication decisions are issued by a province or a ministry; %(code)s is neither.")
            % {"code": authority.code},
        )
    if decided_on is not None and decided_on > today:
        problems["decided_on"] = ("in_future", _("The publication decision cannot be dated in the future."))
    return problems


def disclosure_problems(*, decided_on: dt.date, disclosed_on: dt.date | None, today: dt.date) -> Problems:
    """A procedure is disclosed on the national database after its decision, and not in the future."""
    if disclosed_on is None:
        return {}
    if disclosed_on > today:
        return {"disclosed_on": ("in_future", _("The disclosure cannot be dated in the future."))}
    if disclosed_on < decided_on:
        return {
            "disclosed_on": (
                "before_decision",
                _("The disclosure (%(disclosed)s) cannot be before the decision (%(decided)s).")
                % {"disclosed": disclosed_on.isoformat(), "decided": decided_on.isoformat()},
            )
        }
    return {}


def canonical_parts(parts: Iterable[str]) -> list[str]:
    chosen = set(parts)
    return [part for part in CONTENT_PARTS if part in chosen]


def _scores_stale(authority: Unit, first_day: dt.date) -> None:
    # Imported here: statistics reads the catalogue, not the other way round, except for this signal.
    from apps.statistics.services import register_changed

    register_changed(authority, first_day)


def register_edited(authorities: Iterable[Unit], days: Iterable[dt.date | None]) -> None:
    """An entry saved or deleted outside the services below (the admin edits any field): the filed
    scores of each province or ministry involved are stale from the earliest day involved on."""
    first_day = min((day for day in days if day is not None), default=None)
    if first_day is None:
        return
    for authority in {unit.pk: unit for unit in authorities}.values():
        _scores_stale(authority, first_day)


# ---- writes -------------------------------------------------------------------------------------


@transaction.atomic
def record_offering(
    *, unit: Unit, procedure: Procedure, level: str, valid_from: dt.date, valid_to: dt.date | None = None
) -> OnlineOffering:
    offering = OnlineOffering.objects.create(
        unit=unit, procedure=procedure, level=level, valid_from=valid_from, valid_to=valid_to
    )
    _scores_stale(top_unit(unit), valid_from)
    return offering


@transaction.atomic
def change_offering(offering: OnlineOffering, *, valid_to: dt.date | None) -> OnlineOffering:
    """Only the end may change: a different level or start is a new offering, so history stays true."""
    before = offering.valid_to
    offering.valid_to = valid_to
    offering.save(update_fields=["valid_to"])
    affected = min(day for day in (before, valid_to, _OPEN_END) if day is not None)
    if affected != _OPEN_END:
        _scores_stale(top_unit(offering.unit), affected)
    return offering


@dataclass(frozen=True)
class ItemIn:
    procedure: Procedure
    disclosed_on: dt.date | None
    published_parts: Sequence[str]


@transaction.atomic
def record_decision(
    *, authority: Unit, number: str, decided_on: dt.date, effective_on: dt.date, items: Sequence[ItemIn]
) -> PublicationDecision:
    decision = PublicationDecision.objects.create(
        authority=authority, number=number, decided_on=decided_on, effective_on=effective_on
    )
    PublishedProcedure.objects.bulk_create(
        PublishedProcedure(
            decision=decision,
            procedure=item.procedure,
            disclosed_on=item.disclosed_on,
            published_parts=canonical_parts(item.published_parts),
        )
        for item in items
    )
    _scores_stale(authority, decided_on)
    return decision


@transaction.atomic
def change_decision(
    decision: PublicationDecision,
    *,
    changes: dict[str, object],
    items: Sequence[ItemIn] = (),
) -> PublicationDecision:
    """Change the decision's own facts and add or update the procedures it lists (by procedure)."""
    first_day = decision.decided_on
    for name, value in changes.items():
        setattr(decision, name, value)
    if changes:
        decision.save(update_fields=list(changes))
    for item in items:
        PublishedProcedure.objects.update_or_create(
            decision=decision,
            procedure=item.procedure,
            defaults={
                "disclosed_on": item.disclosed_on,
                "published_parts": canonical_parts(item.published_parts),
            },
        )
    _scores_stale(decision.authority, min(first_day, decision.decided_on))
    return decision
