"""Reads of dossiers shared by the API and, later, by statistics, so a list and its count agree."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from apps.catalogue.models import TimeUnit
from apps.catalogue.rules import time_limit_for
from apps.dossiers.applicant import fold, phone_or_none
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


def due_soon_q(now: dt.datetime | None = None, within: dt.timedelta = dt.timedelta(hours=24)) -> Q:
    """Open dossiers whose clock runs and whose effective due instant falls in ``[now, now + within)``:
    the ones still in time that fall overdue next unless acted on. A paused dossier's clock is stopped
    and a dossier :func:`overdue_now_q` already counts is never "due soon", so the two lists never overlap."""
    now = now or timezone.now()
    return Q(
        status__in=OPEN_STATUSES,
        paused_since__isnull=True,
        supplement_count__lt=2,
        effective_due_at__gte=now,
        effective_due_at__lt=now + within,
    )


def open_by_due(queryset: QuerySet[Dossier], now: dt.datetime | None = None) -> QuerySet[Dossier]:
    """A counter's queue: the open dossiers of ``queryset``, soonest due first, each with ``overdue_now``
    (the same condition as ``?overdue=true``)."""
    overdue = Case(
        When(overdue_now_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    return (
        with_related(queryset.filter(status__in=OPEN_STATUSES))
        .annotate(overdue_now=overdue)
        .order_by(F("effective_due_at").asc(nulls_last=True), "id")
    )


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


def prefix_q(field: str, prefix: str) -> Q:
    """Values of ``field`` beginning with ``prefix``, as a query each database answers from an index.

    PostgreSQL: ``LIKE 'prefix%'`` on a ``varchar_pattern_ops`` index. SQLite's LIKE ignores case and so
    never uses an index; a range over the (binary-ordered) column does: ``prefix <= value < prefix + U+10FFFF``.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


def applicant_name_matches(text: str) -> Q:
    """Dossiers whose applicant name begins with ``text``, ignoring case and diacritics (indexed prefix)."""
    folded = fold(text)
    return prefix_q("applicant_name_folded", folded) if folded else Q()


def counter_search_q(text: str) -> Q:
    """The counter's one search box: a receipt code prefix, a folded name prefix, an identity number or a
    phone number. Each alternative is an indexed lookup; they are OR-ed."""
    text = text.strip()
    if not text:
        return Q()
    condition = prefix_q("code", text) | applicant_name_matches(text)
    digits = "".join(text.split())
    if digits.isdigit() and len(digits) == 12:
        condition |= Q(applicant_id_number=digits)
    if phone := phone_or_none(text):
        condition |= Q(applicant_phone=phone)
    return condition


def public_lookup(code: str, *, phone: str = "", id_number: str = "") -> Dossier | None:
    """The dossier a citizen may look up: its code plus the applicant's phone or identity number.

    None for an unknown code and for a known code with another phone or number alike, so the answer
    never tells whether a code exists. A dossier recorded without a phone (or number) never matches by it.
    """
    code = code.strip()
    if not code:
        return None
    condition = Q()
    if phone and (normalised := phone_or_none(phone)):
        condition |= Q(applicant_phone=normalised)
    number = "".join(id_number.split())
    if number.isdigit() and len(number) == 12:
        condition |= Q(applicant_id_number=number)
    if not condition:
        return None
    return (
        Dossier.objects.filter(condition, code=code).select_related("procedure", "procedure_version").first()
    )
