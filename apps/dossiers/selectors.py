"""Reads of dossiers shared by the API and, later, by statistics, so a list and its count agree."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.catalogue.models import TimeUnit
from apps.catalogue.rules import time_limit_for
from apps.dossiers.models import Channel, Dossier
from apps.dossiers.status import OPEN_STATUSES
from apps.organisation.models import Unit
from apps.workcalendar.deadlines import DeadlineExplanation
from apps.workcalendar.services import calendar_for_unit


def overdue_now_q(now: dt.datetime | None = None) -> Q:
    """Open dossiers past their effective due instant (the clock stops at an open supplement request),
    plus any dossier with a second supplement request. Mirrors :func:`timeliness.is_overdue_now`."""
    now = now or timezone.now()
    running_late = Q(paused_since__isnull=True, effective_due_at__lt=now)
    paused_late = Q(paused_since__isnull=False, effective_due_at__lt=F("paused_since"))
    return Q(status__in=OPEN_STATUSES) & (Q(supplement_count__gte=2) | running_late | paused_late)


def in_unit_subtree(queryset: QuerySet[Dossier], unit: Unit) -> QuerySet[Dossier]:
    """Dossiers received or handled anywhere under ``unit``."""
    ids = Unit.objects.filter(path__startswith=unit.path).values("id")
    return queryset.filter(Q(receiving_unit_id__in=ids) | Q(handling_unit_id__in=ids))


def with_related(queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return queryset.select_related("procedure", "procedure_version", "receiving_unit", "handling_unit")


def explain_legal_due(dossier: Dossier) -> DeadlineExplanation | None:
    """Recompute the legal due date with today's calendar and say why; None before receipt or without a limit.

    The stored due date is never changed by this: if the calendar was edited after receipt, the two can
    differ, and the caller shows both.
    """
    if dossier.received_at is None or dossier.legal_due_at is None:
        return None
    version = dossier.procedure_version
    limit = time_limit_for(version, online=dossier.channel == Channel.ONLINE)
    calendar = calendar_for_unit(dossier.handling_unit)
    return calendar.explain(dossier.received_at, limit, TimeUnit(version.time_unit))
