"""A change of the organisation tree moves the aggregate epoch: stored running scores are then stale.

A unit's score sums its subtree, so adding, moving or removing a unit changes its ancestors' scores
without any dossier changing. Moving the epoch makes every reader ignore the stored rows and score live
until the drain, the midnight refresh or a rebuild stores them again (:mod:`.current_scores`).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.organisation.models import Unit
from apps.statistics.versions import bump_version


@receiver(post_save, sender=Unit, dispatch_uid="statistics.unit_saved")
@receiver(post_delete, sender=Unit, dispatch_uid="statistics.unit_deleted")
def organisation_changed(sender, **kwargs) -> None:
    bump_version(everything=True)
