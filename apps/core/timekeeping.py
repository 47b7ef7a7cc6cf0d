"""When did an action happen? The one rule every history (dossiers, petitions) applies to caller times."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext

from apps.core.errors import DomainError, ErrorCode

# Clocks of external systems drift; an instant this far ahead of ours is still accepted as "now".
FUTURE_TOLERANCE = dt.timedelta(minutes=2)


def resolve_time(
    at: dt.datetime | None,
    *,
    field: str = "at",
    not_before: dt.datetime | None = None,
    subject: str = "record",
) -> dt.datetime:
    """The instant an action happened: given by the caller (external systems) or now.

    Refuses naive instants, instants in the future and instants before the previous change of the
    ``subject`` (a dossier, a petition), so histories stay in order and nothing is backdated before it began.
    """
    now = timezone.now()
    if at is None:
        at = now
    if timezone.is_naive(at):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, gettext("The time must include a UTC offset."), field=field
        )
    if at > now + FUTURE_TOLERANCE:
        raise DomainError(
            ErrorCode.RECEIVED_IN_FUTURE if field == "received_at" else ErrorCode.VALIDATION_ERROR,
            gettext("%(at)s is in the future.") % {"at": at.isoformat()},
            field=field,
        )
    if not_before is not None and at < not_before:
        raise DomainError(
            ErrorCode.EVENT_BEFORE_PREVIOUS,
            gettext("%(at)s is before the %(subject)s's previous change at %(previous)s.")
            % {"at": at.isoformat(), "subject": gettext(subject), "previous": not_before.isoformat()},
            field=field,
        )
    return at
