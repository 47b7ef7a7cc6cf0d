"""Petitions (PAKN: phản ánh, kiến nghị) about administrative procedures, and their append-only history.

Like dossiers, every column the statistics filter on (local receipt date, due instants, end, timeliness)
is written by the services when the petition changes, so :func:`apps.petitions.selectors.petition_counts`
answers a period with one aggregate over indexed columns and no per-row Python.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.history import AppendOnly
from apps.dossiers.timeliness import Timeliness
from apps.petitions.deadlines import Answer
from apps.petitions.status import PetitionStatus


class PetitionChannel(models.TextChoices):
    PORTAL = "portal", _("public service portal")
    COUNTER = "counter", pgettext_lazy("channel", "counter")
    PHONE = "phone", _("phone / hotline")
    EMAIL = "email", _("e-mail")
    POSTAL = "postal", _("postal")


class PetitionRating(models.TextChoices):
    NONE = "", _("not rated")
    SATISFIED = "satisfied", _("satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class Petition(models.Model):
    code = models.CharField(max_length=64, unique=True)
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="petitions",
        help_text="The unit whose authority the petition falls under; it answers and is scored for it.",
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="petitions",
        help_text="The dossier the petition is about, if any (marks the dossier as having a petition).",
    )
    channel = models.CharField(max_length=16, choices=PetitionChannel.choices, default=PetitionChannel.PORTAL)
    petitioner_name = models.CharField(max_length=255, blank=True, default="")
    subject = models.CharField(max_length=500)
    content = models.TextField(blank=True, default="")

    status = models.CharField(max_length=16, choices=PetitionStatus.choices, default=PetitionStatus.RECEIVED)
    status_changed_at = models.DateTimeField()
    received_at = models.DateTimeField()
    received_on = models.DateField(help_text="Local (Asia/Ho_Chi_Minh) receipt date.")
    # Fixed at receipt from the unit's calendar; later calendar edits never move them.
    reject_due_at = models.DateTimeField(help_text="Receipt + 2 working days: last moment to reject.")
    info_due_at = models.DateTimeField(help_text="Receipt + 5 working days: last moment to ask for more.")
    reply_due_at = models.DateTimeField(help_text="Receipt + 15 working days: last moment to resolve.")
    due_on = models.DateField(help_text="Local date of the handling due instant.")

    is_repeat = models.BooleanField(
        default=False,
        help_text="A repeated petition about a matter already petitioned (lowers satisfaction).",
    )
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats"
    )

    rejected_at = models.DateTimeField(null=True, blank=True)
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_received_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, default="", help_text="The reply (or refusal) sent back.")
    # The answer that currently closes the petition, when it was given and how it met its limit.
    answered_with = models.CharField(max_length=16, choices=Answer.choices, blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    timeliness = models.CharField(max_length=8, choices=Timeliness.choices, blank=True, default="")

    rating = models.CharField(max_length=16, choices=PetitionRating.choices, blank=True, default="")
    rated_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_system = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(repeat_of__isnull=True) | Q(is_repeat=True), name="petition_repeat_flagged"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "received_on", "ended_on"], name="petition_unit_period_idx"),
            models.Index(fields=["unit", "-received_at", "-id"], name="petition_unit_recv_idx"),
            models.Index(fields=["-received_at", "-id"], name="petition_received_idx"),
            models.Index(fields=["status", "reply_due_at"], name="petition_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class PetitionEventKind(models.TextChoices):
    RECEIVED = "received", _("received")
    STATUS_CHANGED = "status_changed", _("status changed")
    RATED = "rated", _("rated by the petitioner")
    DOSSIER_LINKED = "dossier_linked", _("dossier linked")
    DOSSIER_UNLINKED = "dossier_unlinked", _("dossier unlinked")


class PetitionEvent(AppendOnly, models.Model):
    """One entry of a petition's history. Rows are only ever inserted."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=PetitionEventKind.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, choices=PetitionStatus.choices, blank=True, default="")
    to_status = models.CharField(max_length=16, choices=PetitionStatus.choices, blank=True, default="")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_system = models.CharField(max_length=64, blank=True, default="")
    note = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by the follow-up task once the event's side effects ran."
    )

    class Meta:
        verbose_name = _("petition event")
        verbose_name_plural = _("petition events")
        ordering = ["petition", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["petition", "occurred_at", "id"], name="petition_event_time_idx"),
            # The dispatch sweeper's backlog (events whose follow-up has not run): a few rows, never a scan.
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="petition_event_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"
