"""Whether a dossier was handled early, on time or late: the rule, free of the ORM.

The classes follow the rule book: finishing on or before the (effective) due instant is on time;
finishing on an earlier calendar day than the due day is *early*; a second supplement request makes a
dossier late whatever the dates say; a dossier without a due date is judged by its net working time
against the procedure's legal time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_date(instant: dt.datetime | None) -> dt.date | None:
    """The business-time calendar date of an instant (statistics group by these, never by UTC dates)."""
    return instant.astimezone(BUSINESS_TZ).date() if instant is not None else None


class Timeliness(models.TextChoices):
    EARLY = "early", _("early")
    ON_TIME = "on_time", _("on time")
    LATE = "late", _("late")


def classify(
    *,
    ended_at: dt.datetime,
    due_at: dt.datetime | None,
    supplement_count: int = 0,
    net_working_minutes: int | None = None,
    legal_working_minutes: int | None = None,
) -> Timeliness:
    """Classify a finished dossier.

    ``due_at`` is the *effective* due instant (legal due extended by closed supplement pauses). When it
    is missing, ``net_working_minutes`` (working time from receipt to end, pauses removed) is compared
    with ``legal_working_minutes``.
    """
    if supplement_count >= 2:
        return Timeliness.LATE
    if due_at is None:
        # No due date and no legal time (a procedure without a statutory limit): nothing to miss.
        if net_working_minutes is None or legal_working_minutes is None:
            return Timeliness.ON_TIME
        return Timeliness.ON_TIME if net_working_minutes <= legal_working_minutes else Timeliness.LATE
    if ended_at > due_at:
        return Timeliness.LATE
    if ended_at.astimezone(BUSINESS_TZ).date() < due_at.astimezone(BUSINESS_TZ).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def is_overdue_now(
    *,
    now: dt.datetime,
    due_at: dt.datetime | None,
    paused_since: dt.datetime | None,
    supplement_count: int,
) -> bool:
    """An unfinished dossier is overdue once its due instant has passed.

    While a supplement request is open the clock is stopped at the request time, so the request time is
    compared with the due date instead of ``now``.
    """
    if supplement_count >= 2:
        return True
    if due_at is None:
        return False
    judged_at = paused_since or now
    return judged_at > due_at
