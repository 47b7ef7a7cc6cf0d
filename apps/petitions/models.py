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

from apps.core.history import AppendOnly, event_name
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
    code = models.CharField(verbose_name=pgettext_lazy("petition", "code"), max_length=64, unique=True)
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=pgettext_lazy("petition", "unit"),
        on_delete=models.PROTECT,
        related_name="petitions",
        help_text=_("The unit whose authority the petition falls under; it answers and is scored for it."),
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        verbose_name=pgettext_lazy("petition", "dossier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="petitions",
        help_text=_("The dossier the petition is about, if any (marks the dossier as having a petition)."),
    )
    channel = models.CharField(
        verbose_name=pgettext_lazy("petition", "channel"),
        max_length=16,
        choices=PetitionChannel.choices,
        default=PetitionChannel.PORTAL,
    )
    petitioner_name = models.CharField(
        verbose_name=_("petitioner name"), max_length=255, blank=True, default=""
    )
    subject = models.CharField(verbose_name=_("subject"), max_length=500)
    content = models.TextField(verbose_name=_("content"), blank=True, default="")

    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=PetitionStatus.choices,
        default=PetitionStatus.RECEIVED,
    )
    status_changed_at = models.DateTimeField(verbose_name=_("status changed at"))
    received_at = models.DateTimeField(verbose_name=_("received at"))
    received_on = models.DateField(
        verbose_name=_("received on"), help_text=_("Local (Asia/Ho_Chi_Minh) receipt date.")
    )
    # Fixed at receipt from the unit's calendar; later calendar edits never move them.
    reject_due_at = models.DateTimeField(
        verbose_name=_("reject due at"), help_text=_("Receipt + 2 working days: last moment to reject.")
    )
    info_due_at = models.DateTimeField(
        verbose_name=_("info due at"), help_text=_("Receipt + 5 working days: last moment to ask for more.")
    )
    reply_due_at = models.DateTimeField(
        verbose_name=_("reply due at"), help_text=_("Receipt + 15 working days: last moment to resolve.")
    )
    due_on = models.DateField(
        verbose_name=pgettext_lazy("petition", "due on"),
        help_text=_("Local date of the handling due instant."),
    )

    is_repeat = models.BooleanField(
        verbose_name=_("is repeat"),
        default=False,
        help_text=_("A repeated petition about a matter already petitioned (lowers satisfaction)."),
    )
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )

    rejected_at = models.DateTimeField(verbose_name=_("rejected at"), null=True, blank=True)
    info_requested_at = models.DateTimeField(verbose_name=_("info requested at"), null=True, blank=True)
    info_received_at = models.DateTimeField(verbose_name=_("info received at"), null=True, blank=True)
    started_at = models.DateTimeField(
        verbose_name=pgettext_lazy("petition", "started at"), null=True, blank=True
    )
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True)
    answer = models.TextField(
        verbose_name=_("answer"), blank=True, default="", help_text=_("The reply (or refusal) sent back.")
    )
    # The answer that currently closes the petition, when it was given and how it met its limit.
    answered_with = models.CharField(
        verbose_name=_("answered with"), max_length=16, choices=Answer.choices, blank=True, default=""
    )
    ended_at = models.DateTimeField(verbose_name=pgettext_lazy("petition", "ended at"), null=True, blank=True)
    ended_on = models.DateField(verbose_name=pgettext_lazy("petition", "ended on"), null=True, blank=True)
    timeliness = models.CharField(
        verbose_name=_("timeliness"), max_length=8, choices=Timeliness.choices, blank=True, default=""
    )

    rating = models.CharField(
        verbose_name=_("rating"), max_length=16, choices=PetitionRating.choices, blank=True, default=""
    )
    rated_at = models.DateTimeField(verbose_name=_("rated at"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_system = models.CharField(
        verbose_name=_("created by system"), max_length=64, blank=True, default=""
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

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

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(
        verbose_name=pgettext_lazy("petition event", "kind"), max_length=32, choices=PetitionEventKind.choices
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)
    from_status = models.CharField(
        verbose_name=_("from status"), max_length=16, choices=PetitionStatus.choices, blank=True, default=""
    )
    to_status = models.CharField(
        verbose_name=_("to status"), max_length=16, choices=PetitionStatus.choices, blank=True, default=""
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_system = models.CharField(verbose_name=_("actor system"), max_length=64, blank=True, default="")
    note = models.TextField(verbose_name=_("note"), blank=True, default="")
    data = models.JSONField(verbose_name=_("data"), default=dict, blank=True)
    dispatched_at = models.DateTimeField(
        verbose_name=_("dispatched at"),
        null=True,
        blank=True,
        help_text=_("Set by the follow-up task once the event's side effects ran."),
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
        return event_name(self.petition_id, self.get_kind_display(), self.occurred_at)
