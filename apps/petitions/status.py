"""Petition statuses and the one table of allowed transitions.

A petition (PAKN) is *answered* once the unit rejected it, asked the petitioner for more information or
resolved it: from then on the petitioner holds the next move, so its timeliness is judged by that answer.
Information received back reopens it (info_requested → in_progress) and the clock of the 15-working-day
handling limit, fixed at receipt, judges it again.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ConflictError, ErrorCode


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    REJECTED = "rejected", _("rejected")
    INFO_REQUESTED = "info_requested", _("more information requested")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")


ALLOWED_TRANSITIONS: dict[PetitionStatus, frozenset[PetitionStatus]] = {
    PetitionStatus.RECEIVED: frozenset(
        {PetitionStatus.REJECTED, PetitionStatus.INFO_REQUESTED, PetitionStatus.IN_PROGRESS}
    ),
    PetitionStatus.INFO_REQUESTED: frozenset({PetitionStatus.IN_PROGRESS}),
    PetitionStatus.IN_PROGRESS: frozenset({PetitionStatus.RESOLVED}),
    PetitionStatus.REJECTED: frozenset(),
    PetitionStatus.RESOLVED: frozenset(),
}

# Statuses in which the unit has answered; the answer's time is stored as the petition's end.
ANSWERED: frozenset[PetitionStatus] = frozenset(
    {PetitionStatus.REJECTED, PetitionStatus.INFO_REQUESTED, PetitionStatus.RESOLVED}
)
# Statuses the petitioner may rate: the unit gave its final answer.
FINAL: frozenset[PetitionStatus] = frozenset({PetitionStatus.REJECTED, PetitionStatus.RESOLVED})
# Still waiting for the unit: judged against the 15-working-day handling due date.
OPEN: frozenset[PetitionStatus] = frozenset({PetitionStatus.RECEIVED, PetitionStatus.IN_PROGRESS})


def can_transition(current: str, target: str) -> bool:
    return PetitionStatus(target) in ALLOWED_TRANSITIONS[PetitionStatus(current)]


def check_transition(current: str, target: str) -> None:
    """Raise a 409 ``illegal_transition`` unless the table allows ``current → target``."""
    if not can_transition(current, target):
        allowed = ", ".join(
            str(s.label) for s in sorted(ALLOWED_TRANSITIONS[PetitionStatus(current)])
        ) or gettext("none")
        raise ConflictError(
            ErrorCode.ILLEGAL_TRANSITION,
            gettext("A petition that is %(current)s cannot become %(target)s (allowed next: %(allowed)s).")
            % {
                "current": PetitionStatus(current).label,
                "target": PetitionStatus(target).label,
                "allowed": allowed,
            },
            field="status",
        )
