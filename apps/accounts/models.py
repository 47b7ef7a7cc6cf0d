"""Staff users: each belongs to one unit with one role, which together bound what they see and do."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk (records and moves dossiers received by the unit)")
    OFFICER = "officer", _("Officer (handles dossiers assigned to the unit)")
    SUPERVISOR = "supervisor", _("Supervisor (reads the unit's whole subtree)")
    ADMINISTRATOR = "administrator", _("Administrator (everything within the unit's subtree)")


class User(AbstractUser):
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=pgettext_lazy("user", "unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    role = models.CharField(verbose_name=_("role"), max_length=16, choices=Role.choices, default=Role.CLERK)

    def __str__(self) -> str:
        return self.username
