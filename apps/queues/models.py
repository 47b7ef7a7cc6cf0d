"""Counter queues of a one-stop centre: counters, queue tickets and their append-only history, targets.

A ticket's figures (minutes waited before the first call, minutes of handling) are stored as columns when
its events arrive, like a dossier's timeliness, so the queue figures of any period are one grouped query
over indexed columns (apps/queues/figures.py) and never recompute per row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.history import AppendOnly
from apps.queues.status import TicketEventKind, TicketStatus


class Counter(models.Model):
    """One service desk (quầy) of a unit, numbered as its display shows it."""

    unit = models.ForeignKey("organisation.Unit", on_delete=models.PROTECT, related_name="counters")
    number = models.PositiveSmallIntegerField(help_text=_("The number the displays show (counter 5)."))
    name = models.CharField(max_length=255, blank=True, default="", help_text=_("e.g. Land and housing"))
    field = models.ForeignKey(
        "catalogue.Field", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The field of administration it mainly serves, if any."),
    )  # fmt: skip
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["unit", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="counter_unit_number")]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.unit_id} #{self.number}"


class Ticket(models.Model):
    """One visit of a citizen: from the kiosk's ticket to the end of service at a counter."""

    unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="queue_tickets",
        help_text=_("The unit (centre) whose queue issued the ticket."),
    )  # fmt: skip
    source_system = models.CharField(max_length=64, help_text=_("The machine client that posts its events."))
    external_id = models.CharField(max_length=128, help_text=_("The kiosk system's id of the ticket."))
    number = models.CharField(max_length=32, blank=True, default="", help_text=_("As printed, e.g. A042."))
    field = models.ForeignKey(
        "catalogue.Field", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The service (field of administration) chosen at the kiosk."),
    )  # fmt: skip
    procedure = models.ForeignKey(
        "catalogue.Procedure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    status_changed_at = models.DateTimeField()
    issued_at = models.DateTimeField()
    issued_on = models.DateField(help_text=_("Local (Asia/Ho_Chi_Minh) day of issue: the ticket's period."))
    first_called_at = models.DateTimeField(null=True, blank=True)
    last_called_at = models.DateTimeField(null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
        help_text=_("The counter of the last call."),
    )  # fmt: skip
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The staff user who called or served it last."),
    )  # fmt: skip

    # Stored when the events arrive. Minutes are whole minutes rounded up, so "within 15 minutes" is
    # exactly ``minutes <= 15`` and a histogram by minute answers medians and percentiles exactly.
    wait_seconds = models.PositiveIntegerField(null=True, blank=True, help_text=_("Issue to first call."))
    wait_minutes = models.PositiveIntegerField(null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Service start (else the last call) to finish.")
    )
    handling_minutes = models.PositiveIntegerField(null=True, blank=True)

    dossiers = models.ManyToManyField(
        "dossiers.Dossier", blank=True, related_name="queue_tickets",
        help_text=_("The dossiers received at this visit."),
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_system", "external_id"], name="ticket_unique_external_id")
        ]
        indexes = [models.Index(fields=["unit", "issued_on"], name="ticket_unit_day_idx")]
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")

    def __str__(self) -> str:
        return f"{self.source_system}:{self.external_id}"


class TicketEvent(AppendOnly, models.Model):
    """One entry of a ticket's history; also the outbox row of its follow-up (``dispatched_at``)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=TicketEventKind.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, choices=TicketStatus.choices, blank=True, default="")
    to_status = models.CharField(max_length=16, choices=TicketStatus.choices)
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_system = models.CharField(max_length=64, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "kind", "occurred_at"], name="ticket_event_kind_time_idx"),
            models.Index(
                fields=["id"], condition=models.Q(dispatched_at__isnull=True), name="ticket_event_pending_idx"
            ),
        ]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


class WorkloadPeriod(models.TextChoices):
    YEAR = "year", _("per year")
    QUARTER = "quarter", _("per quarter")
    MONTH = "month", _("per month")


PERIODS_PER_YEAR = {WorkloadPeriod.YEAR: 1, WorkloadPeriod.QUARTER: 4, WorkloadPeriod.MONTH: 12}


class QueueTargets(models.Model):
    """A province's targets for its counters and staff; a province without a row uses the defaults."""

    unit = models.OneToOneField(
        "organisation.Unit", on_delete=models.CASCADE, related_name="queue_targets",
        help_text=_("The province (a top-level unit); its whole tree uses these targets."),
    )  # fmt: skip
    max_wait_minutes = models.PositiveSmallIntegerField(default=15)
    max_handling_minutes = models.PositiveSmallIntegerField(default=30)
    workload_period = models.CharField(
        max_length=8, choices=WorkloadPeriod.choices, default=WorkloadPeriod.YEAR
    )
    dossiers_per_staff_urban = models.PositiveIntegerField(default=1600)
    dossiers_per_staff_rural = models.PositiveIntegerField(default=1200)
    dossiers_per_staff_disadvantaged = models.PositiveIntegerField(default=800)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("queue and workload targets")
        verbose_name_plural = _("queue and workload targets")

    def __str__(self) -> str:
        return f"targets of {self.unit_id}"
