"""Reads of petitions shared by the API and the statistics engine, so a count and its list agree.

Period rules (docs/index-766.md, satisfaction group), for a period ``[start, end]`` judged on
``judged_on`` (its last day, or today for the current period):

* **in the period** (the set *P*): under the given units' authority, received on or before ``end``, and
  either received on or after ``start`` or not answered before ``start`` (unfinished at its start);
* **answered by the end**: its closing answer (rejection, information request, resolution) fell on or
  before ``end``; its timeliness class was fixed then against that answer's own limit (2 / 5 / 15
  working days);
* **unanswered at the end**: in time through the day its 15-working-day handling limit falls due
  (``judged_on <= due_on``), overdue from the next day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.dossiers.timeliness import Timeliness
from apps.organisation.models import Unit
from apps.petitions.models import Petition, PetitionRating
from apps.petitions.status import OPEN

ON_TIME_CLASSES = (Timeliness.EARLY, Timeliness.ON_TIME)


def in_period_q(start: dt.date, end: dt.date) -> Q:
    """The set *P*: received in the period, or received earlier and unanswered at its start."""
    unanswered_at_start = Q(ended_on__isnull=True) | Q(ended_on__gte=start)
    return Q(received_on__lte=end) & (Q(received_on__gte=start) | unanswered_at_start)


def answered_by_q(end: dt.date) -> Q:
    return Q(ended_on__isnull=False, ended_on__lte=end)


def unanswered_at_q(end: dt.date) -> Q:
    return Q(ended_on__isnull=True) | Q(ended_on__gt=end)


def on_time_q(end: dt.date, judged_on: dt.date) -> Q:
    """Answered on time by the end, or unanswered and still in time on ``judged_on``."""
    answered = answered_by_q(end) & Q(timeliness__in=ON_TIME_CLASSES)
    return answered | (unanswered_at_q(end) & Q(due_on__gte=judged_on))


def overdue_q(end: dt.date, judged_on: dt.date) -> Q:
    """The complement of :func:`on_time_q` within *P*: answered late, or unanswered past its due day."""
    answered = answered_by_q(end) & Q(timeliness=Timeliness.LATE)
    return answered | (unanswered_at_q(end) & Q(due_on__lt=judged_on))


def first_received_q(start: dt.date) -> Q:
    """Within *P*: received in the period and not a repeat of an earlier petition."""
    return Q(received_on__gte=start, is_repeat=False)


DISSATISFIED_Q = Q(rating=PetitionRating.DISSATISFIED)
REPEATED_Q = Q(is_repeat=True)


@dataclass(frozen=True)
class PetitionCounts:
    """Counts of one period for some units (all over the set *P* of :func:`in_period_q`).

    ``satisfactory = max(0, first_received − unsatisfactory)`` where ``unsatisfactory`` counts the
    petitions of *P* that are rated dissatisfied, **or** are repeats, **or** are overdue (answered late,
    or unanswered past their handling due day on ``judged_on``). Each petition is subtracted once
    however many of the three it is, as the dossier counterpart (``satisfactory`` in
    :mod:`apps.statistics.counting`) does. ``dissatisfied``, ``repeated`` and ``overdue`` are the three
    sets' own sizes, for display; they may overlap.
    """

    petitions: int
    on_time: int
    first_received: int
    satisfactory: int
    dissatisfied: int = 0
    repeated: int = 0
    overdue: int = 0
    unsatisfactory: int = 0


def petition_counts(
    unit_ids: Iterable[int], start: dt.date, end: dt.date, judged_on: dt.date
) -> PetitionCounts:
    """The satisfaction group's petition counts for the petitions under ``unit_ids``' authority.

    The caller passes every unit whose petitions count (a parent passes its whole subtree). One
    aggregate query over ``petition_unit_period_idx``; no rows are read into Python.
    """
    if start > end:
        raise ValueError(f"The period starts ({start}) after it ends ({end}).")
    ids = sorted(set(unit_ids))
    if not ids:
        return PetitionCounts(petitions=0, on_time=0, first_received=0, satisfactory=0)
    overdue = overdue_q(end, judged_on)
    row = (
        Petition.objects.filter(in_period_q(start, end), unit_id__in=ids)
        .order_by()
        .aggregate(
            petitions=Count("pk"),
            on_time=Count("pk", filter=on_time_q(end, judged_on)),
            first_received=Count("pk", filter=first_received_q(start)),
            dissatisfied=Count("pk", filter=DISSATISFIED_Q),
            repeated=Count("pk", filter=REPEATED_Q),
            overdue=Count("pk", filter=overdue),
            unsatisfactory=Count("pk", filter=DISSATISFIED_Q | REPEATED_Q | overdue),
        )
    )
    return PetitionCounts(satisfactory=max(0, row["first_received"] - row["unsatisfactory"]), **row)


def in_unit_subtree(queryset: QuerySet[Petition], unit: Unit) -> QuerySet[Petition]:
    """Petitions under the authority of ``unit`` or any unit below it."""
    return queryset.filter(unit_id__in=Unit.objects.filter(path__startswith=unit.path).values("id"))


def overdue_now_q(now: dt.datetime | None = None) -> Q:
    """Still waiting for the unit's answer after the 15-working-day handling due instant."""
    return Q(status__in=OPEN, reply_due_at__lt=now or timezone.now())
