"""Counter queues of a one-stop centre: counters, queue tickets and their append-only history, targets.

A ticket's figures (minutes waited before the first call, minutes of handling) are stored as columns when
its events arrive, like a dossier's timeliness, so the queue figures of any period are one grouped query
over indexed columns (apps/queues/figures.py) and never recompute per row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.history import AppendOnly, event_name
from apps.queues.status import TicketEventKind, TicketStatus


class Counter(models.Model):
    """One service desk (quầy) of a unit, numbered as its display shows it."""

    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=pgettext_lazy("counter", "unit"),
        on_delete=models.PROTECT,
        related_name="counters",
    )
    number = models.PositiveSmallIntegerField(
        verbose_name=pgettext_lazy("counter", "number"),
        help_text=_("The number the displays show (counter 5)."),
    )
    name = models.CharField(
        verbose_name=pgettext_lazy("counter", "name"),
        max_length=255,
        blank=True,
        default="",
        help_text=_("e.g. Land and housing"),
    )
    field = models.ForeignKey(
        "catalogue.Field", verbose_name=_("field"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The field of administration it mainly serves, if any."),
    )  # fmt: skip
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)

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
        "organisation.Unit", verbose_name=pgettext_lazy("queue ticket", "unit"), on_delete=models.PROTECT, related_name="queue_tickets",
        help_text=_("The unit (centre) whose queue issued the ticket."),
    )  # fmt: skip
    source_system = models.CharField(
        verbose_name=_("source system"),
        max_length=64,
        help_text=_("The machine client that posts its events."),
    )
    external_id = models.CharField(
        verbose_name=_("external id"), max_length=128, help_text=_("The kiosk system's id of the ticket.")
    )
    number = models.CharField(
        verbose_name=pgettext_lazy("queue ticket", "number"),
        max_length=32,
        blank=True,
        default="",
        help_text=_("As printed, e.g. A042."),
    )
    field = models.ForeignKey(
        "catalogue.Field", verbose_name=_("field"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The service (field of administration) chosen at the kiosk."),
    )  # fmt: skip
    procedure = models.ForeignKey(
        "catalogue.Procedure",
        verbose_name=_("procedure"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    status_changed_at = models.DateTimeField(verbose_name=_("status changed at"))
    issued_at = models.DateTimeField(verbose_name=_("issued at"))
    issued_on = models.DateField(
        verbose_name=_("issued on"),
        help_text=_("Local (Asia/Ho_Chi_Minh) day of issue: the ticket's period."),
    )
    first_called_at = models.DateTimeField(verbose_name=_("first called at"), null=True, blank=True)
    last_called_at = models.DateTimeField(verbose_name=_("last called at"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(verbose_name=_("call count"), default=0)
    started_at = models.DateTimeField(
        verbose_name=pgettext_lazy("queue ticket", "started at"), null=True, blank=True
    )
    finished_at = models.DateTimeField(
        verbose_name=pgettext_lazy("queue ticket", "finished at"), null=True, blank=True
    )
    no_show_at = models.DateTimeField(verbose_name=_("no show at"), null=True, blank=True)
    counter = models.ForeignKey(
        Counter, verbose_name=_("counter"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
        help_text=_("The counter of the last call."),
    )  # fmt: skip
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The staff user who called or served it last."),
    )  # fmt: skip

    # Stored when the events arrive. Minutes are whole minutes rounded up, so "within 15 minutes" is
    # exactly ``minutes <= 15`` and a histogram by minute answers medians and percentiles exactly.
    wait_seconds = models.PositiveIntegerField(
        verbose_name=_("wait seconds"), null=True, blank=True, help_text=_("Issue to first call.")
    )
    wait_minutes = models.PositiveIntegerField(verbose_name=_("wait minutes"), null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(
        verbose_name=_("handling seconds"),
        null=True,
        blank=True,
        help_text=_("Service start (else the last call) to finish."),
    )
    handling_minutes = models.PositiveIntegerField(verbose_name=_("handling minutes"), null=True, blank=True)

    dossiers = models.ManyToManyField(
        "dossiers.Dossier", verbose_name=_("dossiers"), blank=True, related_name="queue_tickets",
        help_text=_("The dossiers received at this visit."),
    )  # fmt: skip
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

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

    ticket = models.ForeignKey(
        Ticket,
        verbose_name=pgettext_lazy("ticket event", "ticket"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(
        verbose_name=pgettext_lazy("ticket event", "kind"), max_length=16, choices=TicketEventKind.choices
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)
    from_status = models.CharField(
        verbose_name=_("from status"), max_length=16, choices=TicketStatus.choices, blank=True, default=""
    )
    to_status = models.CharField(verbose_name=_("to status"), max_length=16, choices=TicketStatus.choices)
    counter = models.ForeignKey(
        Counter, verbose_name=_("counter"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
    data = models.JSONField(verbose_name=_("data"), default=dict, blank=True)
    dispatched_at = models.DateTimeField(verbose_name=_("dispatched at"), null=True, blank=True)

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
        return event_name(self.ticket_id, self.get_kind_display(), self.occurred_at)


class WorkloadPeriod(models.TextChoices):
    YEAR = "year", _("per year")
    QUARTER = "quarter", _("per quarter")
    MONTH = "month", _("per month")


PERIODS_PER_YEAR = {WorkloadPeriod.YEAR: 1, WorkloadPeriod.QUARTER: 4, WorkloadPeriod.MONTH: 12}


class QueueTargets(models.Model):
    """A province's targets for its counters and staff; a province without a row uses the defaults."""

    unit = models.OneToOneField(
        "organisation.Unit", verbose_name=pgettext_lazy("queue and workload targets", "unit"), on_delete=models.CASCADE, related_name="queue_targets",
        help_text=_("The province (a top-level unit); its whole tree uses these targets."),
    )  # fmt: skip
    max_wait_minutes = models.PositiveSmallIntegerField(verbose_name=_("max wait minutes"), default=15)
    max_handling_minutes = models.PositiveSmallIntegerField(
        verbose_name=_("max handling minutes"), default=30
    )
    workload_period = models.CharField(
        verbose_name=_("workload period"),
        max_length=8,
        choices=WorkloadPeriod.choices,
        default=WorkloadPeriod.YEAR,
    )
    dossiers_per_staff_urban = models.PositiveIntegerField(
        verbose_name=_("dossiers per staff urban"), default=1600
    )
    dossiers_per_staff_rural = models.PositiveIntegerField(
        verbose_name=_("dossiers per staff rural"), default=1200
    )
    dossiers_per_staff_disadvantaged = models.PositiveIntegerField(
        verbose_name=_("dossiers per staff disadvantaged"), default=800
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("queue and workload targets")
        verbose_name_plural = _("queue and workload targets")

    def __str__(self) -> str:
        return _("targets of %(unit)s") % {"unit": self.unit_id}
