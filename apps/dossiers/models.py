"""Dossiers, their supplement pauses and their append-only history.

Fields that statistics filter or group by (local receipt date, due instants, end time, timeliness)
are stored as columns when the dossier is written, so period queries never compute them per row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.history import AppendOnly
from apps.dossiers.status import Status
from apps.dossiers.timeliness import Timeliness


class Channel(models.IntegerChoices):
    COUNTER = 1, "counter"
    ONLINE = 2, "online"
    POSTAL = 3, "postal"


class Rating(models.TextChoices):
    NONE = "", "not rated"
    SATISFIED = "satisfied", "satisfied"
    DISSATISFIED = "dissatisfied", "dissatisfied"


class Dossier(models.Model):
    code = models.CharField(max_length=64, unique=True, help_text="Receipt code printed on the slip.")
    source_system = models.CharField(max_length=64, blank=True, default="")
    external_id = models.CharField(max_length=128, null=True, blank=True)

    procedure = models.ForeignKey("catalogue.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    procedure_version = models.ForeignKey(
        "catalogue.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers"
    )
    receiving_unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="received_dossiers"
    )
    handling_unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="handled_dossiers"
    )
    channel = models.PositiveSmallIntegerField(choices=Channel.choices, default=Channel.COUNTER)
    applicant_name = models.CharField(max_length=255, blank=True, default="")

    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.RECEIVED)
    registered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True, help_text="Local (Asia/Ho_Chi_Minh) receipt date.")
    # The legal due instant is fixed at receipt and never moves; supplement pauses extend the effective
    # one. While a pause is open the effective due date is unknown and stays at its last value.
    legal_due_at = models.DateTimeField(null=True, blank=True)
    effective_due_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True, help_text="Local date of the effective due instant.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="End of processing: finished, else returned, else stopped/withdrawn."
    )
    ended_on = models.DateField(null=True, blank=True)
    timeliness = models.CharField(max_length=8, choices=Timeliness.choices, blank=True, default="")
    processing_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Working minutes from receipt to end, supplement pauses excluded."
    )
    has_petition = models.BooleanField(default=False, help_text="A petition (PAKN) is linked to it.")

    fee_amount = models.DecimalField(max_digits=14, decimal_places=0, default=0)
    paid_online = models.BooleanField(default=False)
    fee_data_synced = models.BooleanField(default=False)
    portal_synced = models.BooleanField(default=False)
    inputs_digitized = models.BooleanField(default=False)
    data_reused = models.BooleanField(default=False)
    personal_storage_synced = models.BooleanField(default=False)
    applicant_eid_verified = models.BooleanField(default=False)
    electronic_result_issued = models.BooleanField(default=False)
    result_signed = models.BooleanField(default=False)
    rating = models.CharField(max_length=16, choices=Rating.choices, blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_system = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=Q(external_id__isnull=False),
                name="dossier_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["receiving_unit", "-received_at", "-id"], name="dossier_recv_unit_idx"),
            models.Index(fields=["handling_unit", "-received_at", "-id"], name="dossier_hand_unit_idx"),
            models.Index(fields=["-received_at", "-id"], name="dossier_received_idx"),
            models.Index(fields=["status", "effective_due_at"], name="dossier_status_due_idx"),
            models.Index(fields=["procedure", "-received_at"], name="dossier_procedure_idx"),
            models.Index(fields=["handling_unit", "received_on", "ended_on"], name="dossier_unit_period_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None


class SupplementRequest(models.Model):
    """One pause of the clock: from the request to the citizen's completion."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplement_requests")
    number = models.PositiveSmallIntegerField(
        help_text="1 for the first request; a 2nd makes the dossier late."
    )
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["dossier", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="supplement_unique_number"),
        ]

    def __str__(self) -> str:
        return f"supplement #{self.number} of dossier {self.dossier_id}"


class EventKind(models.TextChoices):
    REGISTERED = "registered", "registered online"
    RECEIVED = "received", "received"
    STATUS_CHANGED = "status_changed", "status changed"
    SUPPLEMENT_REQUESTED = "supplement_requested", "supplement requested"
    SUPPLEMENT_COMPLETED = "supplement_completed", "supplement completed"
    HANDLING_UNIT_ASSIGNED = "handling_unit_assigned", "handling unit assigned"
    FLAG_SET = "flag_set", "flag set"
    RATED = "rated", "rated by the applicant"


class DossierEvent(AppendOnly, models.Model):
    """One entry of a dossier's history. Rows are only ever inserted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    occurred_at = models.DateTimeField(help_text="When it happened (may be earlier than recorded_at).")
    recorded_at = models.DateTimeField(auto_now_add=True)
    from_status = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
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
        ordering = ["dossier", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["dossier", "occurred_at", "id"], name="event_dossier_time_idx"),
            # The dispatch sweeper's backlog (events whose follow-up has not run): a few rows, never a scan.
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="dossier_event_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ReceiptSequence(models.Model):
    """The last receipt number drawn for one receiving unit on one local day.

    Receipt codes (``<unit>-<yymmdd>-<number>``) are numbered from this row, incremented by an atomic
    upsert whose row lock is held to the end of the creating transaction: two requests can never draw
    the same number, and a rolled-back create gives its number back. See apps/dossiers/receipt_codes.py.
    """

    unit = models.ForeignKey("organisation.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="receipt_sequence_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.day}: {self.last}"
