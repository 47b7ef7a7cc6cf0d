"""External systems: their API keys, idempotent request records, webhook subscriptions and alerts.

A machine client is one external system (a province's one-stop software, a ministry's sector system).
Its ``name`` is the ``source_system`` of every dossier it sends and the ``actor_system`` of every event
it writes. It acts through a service account (a staff user with no password, the client's unit and a
role that follows its scopes), so every existing scope rule applies to it unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    WRITE_DOSSIERS = "write_dossiers", _("Create and change dossiers in the unit subtree")
    READ_DOSSIERS = "read_dossiers", _("Read dossiers in the unit subtree")
    READ_SCORES = "read_scores", _("Read statistics, rankings and index scores")
    WRITE_TICKETS = "write_tickets", _("Post queue ticket events of the unit subtree's counters")


class MachineClient(models.Model):
    name = models.SlugField(
        max_length=64, unique=True, help_text="Recorded as source_system / actor_system on every write."
    )
    description = models.CharField(max_length=255, blank=True, default="")
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="machine_clients",
        help_text="The client reads and writes this unit's subtree only.",
    )
    scopes = models.JSONField(default=list, help_text="Subset of write_dossiers, read_dossiers, read_scores.")
    rate_limit_per_minute = models.PositiveIntegerField(
        default=600, help_text="Requests per minute across all the client's keys; 0 = unlimited."
    )
    is_active = models.BooleanField(default=True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="machine_client", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiKey(models.Model):
    """A secret shown once at creation; only its SHA-256 digest is stored (the prefix finds the row)."""

    client = models.ForeignKey(MachineClient, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-created_at"]

    def __str__(self) -> str:
        return f"{self.client.name}:{self.prefix}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key``; replays get it back verbatim.

    While the request runs, the row is its claim: ``claim_token`` names the request holding it and
    ``lease_expires_at`` when a retry may presume it dead and take it over (apps/integrations/idempotency.py).
    """

    client = models.ForeignKey(MachineClient, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Null while in progress.")
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claim_token = models.UUIDField(null=True, blank=True, help_text="The request holding the claim.")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While in progress: when a retry may take the claim over."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_unique_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


class WebhookEvent(models.TextChoices):
    DOSSIER_CREATED = "dossier.created", _("a dossier was created")
    DOSSIER_STATUS_CHANGED = "dossier.status_changed", _("a dossier changed status")
    DOSSIER_DUE_SOON = "dossier.due_soon", _("a dossier is due within 24 hours")
    DOSSIER_OVERDUE = "dossier.overdue", _("a dossier is overdue")


class WebhookSubscription(models.Model):
    client = models.ForeignKey(MachineClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=64, help_text="HMAC-SHA256 key of the X-Casetracker-Signature header."
    )
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    starts_after_event_id = models.BigIntegerField(
        default=0,
        help_text="Dossier events up to this id were recorded before the subscription and are not sent "
        "(set when subscribing; 0 = the whole history).",
    )

    class Meta:
        ordering = ["client", "id"]

    def __str__(self) -> str:
        return f"{self.client.name} → {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed (retries exhausted)")


class WebhookDelivery(models.Model):
    """One payload for one subscription; ``dedupe_key`` makes enqueueing the same fact twice a no-op."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    dedupe_key = models.CharField(max_length=128)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "dedupe_key"], name="delivery_unique_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"


class AlertKind(models.TextChoices):
    DUE_SOON = "due_soon", _("due within 24 hours")
    OVERDUE = "overdue", _("overdue")


class DossierAlert(models.Model):
    """An alert raised once per dossier and kind (the unique constraint is what makes it once)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    unit = models.ForeignKey("organisation.Unit", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "kind"], name="alert_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.dossier_id}"


class OutboxCursor(models.Model):
    """How far the webhook fan-out has read the dossier history (by event id)."""

    name = models.CharField(max_length=32, unique=True)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_event_id}"
