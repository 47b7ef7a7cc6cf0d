"""Petition deadlines and timeliness: the rules, free of the ORM.

The rule book gives three limits, in working days from receipt on the unit's calendar: reject within 2,
request more information within 5, handle within 15. All three due instants are computed once at
receipt and stored (a later calendar edit never moves them, as for dossiers). A petition is on time when
the answer that closed it met *that answer's* limit; an unanswered one is in time through the day its
15-working-day handling limit falls due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.catalogue.models import TimeUnit
from apps.dossiers.timeliness import BUSINESS_TZ, Timeliness
from apps.workcalendar.deadlines import WorkingCalendar


class Answer(models.TextChoices):
    REJECT = "reject", _("rejected")
    REQUEST_INFO = "request_info", _("more information requested")
    RESOLVE = "resolve", _("resolved")


LIMIT_WORKING_DAYS: dict[Answer, int] = {Answer.REJECT: 2, Answer.REQUEST_INFO: 5, Answer.RESOLVE: 15}


@dataclass(frozen=True)
class PetitionDeadlines:
    reject_due_at: dt.datetime
    info_due_at: dt.datetime
    reply_due_at: dt.datetime


def compute_deadlines(calendar: WorkingCalendar, received_at: dt.datetime) -> PetitionDeadlines:
    """The three due instants of a petition received at ``received_at`` (raises outside the calendar)."""
    unit = TimeUnit.WORKING_DAYS.value
    return PetitionDeadlines(
        reject_due_at=calendar.due_at(received_at, LIMIT_WORKING_DAYS[Answer.REJECT], unit),
        info_due_at=calendar.due_at(received_at, LIMIT_WORKING_DAYS[Answer.REQUEST_INFO], unit),
        reply_due_at=calendar.due_at(received_at, LIMIT_WORKING_DAYS[Answer.RESOLVE], unit),
    )


def classify(*, answered_at: dt.datetime, due_at: dt.datetime) -> Timeliness:
    """Early (an earlier local day than the due day), on time (by the due instant) or late.

    The same three classes as dossiers, so reports can put petitions and dossiers side by side.
    """
    if answered_at > due_at:
        return Timeliness.LATE
    if answered_at.astimezone(BUSINESS_TZ).date() < due_at.astimezone(BUSINESS_TZ).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def in_time_on(*, due_on: dt.date, judged_on: dt.date) -> bool:
    """An unanswered petition is in time through its due day (day granularity, as period statistics)."""
    return judged_on <= due_on
