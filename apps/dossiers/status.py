"""National dossier status codes and the one table of allowed transitions.

Every status change goes through :func:`check_transition`; there is no other place that decides
whether a dossier may move from one status to another.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ConflictError, ErrorCode


class Status(models.IntegerChoices):
    REGISTERED = 1, _("registered")
    RECEIVED = 2, _("received")
    REFUSED_AT_INTAKE = 3, _("refused at intake")
    PROCESSING = 4, _("processing")
    SUPPLEMENT_REQUESTED = 5, _("supplement requested")
    FINANCIAL_OBLIGATION = 6, _("financial obligation pending")
    WITHDRAWN = 7, _("withdrawn")
    STOPPED = 8, _("stopped")
    FINISHED = 9, _("finished")
    RESULT_RETURNED = 10, _("result returned")


ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REGISTERED: frozenset({Status.RECEIVED, Status.REFUSED_AT_INTAKE}),
    Status.RECEIVED: frozenset(
        {
            Status.PROCESSING,
            Status.SUPPLEMENT_REQUESTED,
            Status.FINANCIAL_OBLIGATION,
            Status.WITHDRAWN,
            Status.STOPPED,
            Status.FINISHED,
        }
    ),
    Status.PROCESSING: frozenset(
        {
            Status.SUPPLEMENT_REQUESTED,
            Status.FINANCIAL_OBLIGATION,
            Status.WITHDRAWN,
            Status.STOPPED,
            Status.FINISHED,
        }
    ),
    Status.SUPPLEMENT_REQUESTED: frozenset({Status.PROCESSING, Status.WITHDRAWN, Status.STOPPED}),
    Status.FINANCIAL_OBLIGATION: frozenset(
        {Status.PROCESSING, Status.WITHDRAWN, Status.STOPPED, Status.FINISHED}
    ),
    Status.FINISHED: frozenset({Status.RESULT_RETURNED}),
    Status.REFUSED_AT_INTAKE: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.STOPPED: frozenset(),
    Status.RESULT_RETURNED: frozenset(),
}

# Statuses at which processing has ended, in the rule book's order of preference for the end time.
END_STATUSES: tuple[Status, ...] = (Status.FINISHED, Status.RESULT_RETURNED, Status.STOPPED, Status.WITHDRAWN)
# Dossiers in these statuses never count in any statistic.
NOT_COUNTED: frozenset[Status] = frozenset({Status.REGISTERED, Status.REFUSED_AT_INTAKE})
# Received and still being worked on: the clock runs (or is paused) for these.
OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.FINANCIAL_OBLIGATION}
)


# Not yet ended or refused: the dossier may still be handed to another unit.
TRANSFERABLE: frozenset[Status] = frozenset({Status.REGISTERED, *OPEN_STATUSES})


def can_transition(current: int, target: int) -> bool:
    return Status(target) in ALLOWED_TRANSITIONS[Status(current)]


def check_transferable(current: int) -> None:
    """Raise a 409 ``illegal_transition`` unless a dossier in ``current`` may change handling unit: the
    one rule behind the API's ``assign``, the bulk path and the console's transfer form."""
    if Status(current) not in TRANSFERABLE:
        raise ConflictError(
            ErrorCode.ILLEGAL_TRANSITION,
            gettext("A dossier that is %(current)s can no longer be handed to another unit.")
            % {"current": Status(current).label},
            field="status",
        )


def check_transition(current: int, target: int) -> None:
    """Raise a 409 ``illegal_transition`` unless the table allows ``current → target``."""
    if not can_transition(current, target):
        allowed = ", ".join(str(s.label) for s in sorted(ALLOWED_TRANSITIONS[Status(current)])) or gettext(
            "none"
        )
        raise ConflictError(
            ErrorCode.ILLEGAL_TRANSITION,
            gettext("A dossier that is %(current)s cannot become %(target)s (allowed next: %(allowed)s).")
            % {"current": Status(current).label, "target": Status(target).label, "allowed": allowed},
            field="status",
        )
