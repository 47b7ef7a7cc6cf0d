"""What a score reads besides the dossiers and petitions moves the aggregate epoch when it changes.

A unit's score sums its subtree, and its procedure counts and transparency facts come from the catalogue
(procedure versions in force, online offerings, publication decisions) and the working calendar. None of
them goes through the drain, so a change to any of them, however it is made (a register service, the
admin, a fixture), moves the epoch: every stored running score and every cached read is then stale, the
readers score live, and the next drain stores the scores again (:mod:`.current_scores`). These change
rarely (an administrator's edit), so invalidating everything is cheaper than knowing what changed.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from apps.catalogue.models import OnlineOffering, ProcedureVersion, PublicationDecision, PublishedProcedure
from apps.organisation.models import Unit
from apps.statistics.versions import bump_version
from apps.workcalendar.models import CalendarException

SCORE_INPUTS = (
    Unit,
    ProcedureVersion,
    OnlineOffering,
    PublicationDecision,
    PublishedProcedure,
    CalendarException,
)


def score_inputs_changed(sender, **kwargs) -> None:
    bump_version(everything=True)


def connect() -> None:
    for model in SCORE_INPUTS:
        for signal in (post_save, post_delete):
            signal.connect(
                score_inputs_changed,
                sender=model,
                dispatch_uid=f"statistics.{model._meta.label_lower}.{signal is post_save}",
            )
