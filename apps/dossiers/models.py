"""Dossiers, their supplement pauses and their append-only history.

Fields that statistics filter or group by (local receipt date, due instants, end time, timeliness)
are stored as columns when the dossier is written, so period queries never compute them per row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.catalogue.models import ComponentForm
from apps.core.history import AppendOnly, event_name
from apps.dossiers.applicant import ApplicantKind
from apps.dossiers.status import OPEN_STATUSES, Status
from apps.dossiers.timeliness import Timeliness


class Channel(models.IntegerChoices):
    COUNTER = 1, pgettext_lazy("channel", "counter")  # "quầy" alone is the counter desk (apps/queues)
    ONLINE = 2, _("online")
    POSTAL = 3, _("postal")


class Rating(models.TextChoices):
    NONE = "", _("not rated")
    SATISFIED = "satisfied", _("satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class Dossier(models.Model):
    code = models.CharField(
        verbose_name=pgettext_lazy("dossier", "code"),
        max_length=64,
        unique=True,
        help_text=_("Receipt code printed on the slip."),
    )
    source_system = models.CharField(verbose_name=_("source system"), max_length=64, blank=True, default="")
    external_id = models.CharField(verbose_name=_("external id"), max_length=128, null=True, blank=True)

    # The three foreign keys below lead composite indexes (see Meta.indexes), which also serve their
    # PROTECT checks: a single-column index of their own would only cost writes.
    procedure = models.ForeignKey(
        "catalogue.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        db_index=False,
    )
    procedure_version = models.ForeignKey(
        "catalogue.ProcedureVersion",
        verbose_name=_("procedure version"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    receiving_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="received_dossiers",
        db_index=False,
    )
    handling_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        related_name="handled_dossiers",
        db_index=False,
    )
    channel = models.PositiveSmallIntegerField(
        verbose_name=pgettext_lazy("dossier", "channel"), choices=Channel.choices, default=Channel.COUNTER
    )
    # The applicant as recorded at the counter (apps/dossiers/applicant.py holds the rules). A snapshot per
    # dossier: the slip and the history show who applied then, whatever the person's later details.
    applicant_kind = models.CharField(
        verbose_name=_("applicant kind"),
        max_length=16,
        choices=ApplicantKind.choices,
        default=ApplicantKind.PERSON,
        db_default="person",
    )
    applicant_name = models.CharField(
        verbose_name=_("applicant name"), max_length=255, blank=True, default=""
    )
    applicant_name_folded = models.CharField(
        verbose_name=_("applicant name folded"),
        max_length=255,
        blank=True,
        default="",
        db_default="",
        help_text=_("Lower case, no diacritics (đ → d): what a name search compares, by prefix."),
    )
    applicant_id_number = models.CharField(
        verbose_name=_("applicant id number"), max_length=12, blank=True, default="", db_default=""
    )
    applicant_tax_code = models.CharField(
        verbose_name=_("applicant tax code"), max_length=14, blank=True, default="", db_default=""
    )
    applicant_phone = models.CharField(
        verbose_name=_("applicant phone"), max_length=11, blank=True, default="", db_default=""
    )
    applicant_email = models.CharField(
        verbose_name=_("applicant email"), max_length=254, blank=True, default="", db_default=""
    )
    applicant_province = models.CharField(
        verbose_name=_("applicant province"), max_length=128, blank=True, default="", db_default=""
    )
    applicant_commune = models.CharField(
        verbose_name=_("applicant commune"), max_length=128, blank=True, default="", db_default=""
    )
    applicant_street = models.CharField(
        verbose_name=_("applicant street"), max_length=255, blank=True, default="", db_default=""
    )
    notes = models.TextField(verbose_name=_("notes"), blank=True, default="", db_default="")
    missing_documents_reason = models.TextField(
        verbose_name=_("missing documents reason"),
        blank=True,
        default="",
        db_default="",
        help_text=_("Why the clerk received the dossier without a mandatory document."),
    )

    status = models.PositiveSmallIntegerField(
        verbose_name=_("status"), choices=Status.choices, default=Status.RECEIVED
    )
    registered_at = models.DateTimeField(verbose_name=_("registered at"), null=True, blank=True)
    received_at = models.DateTimeField(verbose_name=_("received at"), null=True, blank=True)
    received_on = models.DateField(
        verbose_name=_("received on"),
        null=True,
        blank=True,
        help_text=_("Local (Asia/Ho_Chi_Minh) receipt date."),
    )
    # The legal due instant is fixed at receipt and never moves; supplement pauses extend the effective
    # one. While a pause is open the effective due date is unknown and stays at its last value.
    legal_due_at = models.DateTimeField(verbose_name=_("legal due at"), null=True, blank=True)
    effective_due_at = models.DateTimeField(verbose_name=_("effective due at"), null=True, blank=True)
    due_on = models.DateField(
        verbose_name=pgettext_lazy("dossier", "due on"),
        null=True,
        blank=True,
        help_text=_("Local date of the effective due instant."),
    )
    status_changed_at = models.DateTimeField(verbose_name=_("status changed at"), null=True, blank=True)
    paused_since = models.DateTimeField(verbose_name=_("paused since"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(verbose_name=_("supplement count"), default=0)
    finished_at = models.DateTimeField(
        verbose_name=pgettext_lazy("dossier", "finished at"), null=True, blank=True
    )
    returned_at = models.DateTimeField(verbose_name=_("returned at"), null=True, blank=True)
    ended_at = models.DateTimeField(
        verbose_name=pgettext_lazy("dossier", "ended at"),
        null=True,
        blank=True,
        help_text=_("End of processing: finished, else returned, else stopped/withdrawn."),
    )
    ended_on = models.DateField(verbose_name=pgettext_lazy("dossier", "ended on"), null=True, blank=True)
    timeliness = models.CharField(
        verbose_name=_("timeliness"), max_length=8, choices=Timeliness.choices, blank=True, default=""
    )
    processing_minutes = models.PositiveIntegerField(
        verbose_name=_("processing minutes"),
        null=True,
        blank=True,
        help_text=_("Working minutes from receipt to end, supplement pauses excluded."),
    )
    has_petition = models.BooleanField(
        verbose_name=_("has petition"), default=False, help_text=_("A petition (PAKN) is linked to it.")
    )

    fee_amount = models.DecimalField(verbose_name=_("fee amount"), max_digits=14, decimal_places=0, default=0)
    paid_online = models.BooleanField(verbose_name=_("paid online"), default=False)
    fee_data_synced = models.BooleanField(
        verbose_name=pgettext_lazy("dossier", "fee data synced"), default=False
    )
    portal_synced = models.BooleanField(verbose_name=_("portal synced"), default=False)
    inputs_digitized = models.BooleanField(verbose_name=_("inputs digitized"), default=False)
    data_reused = models.BooleanField(verbose_name=_("data reused"), default=False)
    personal_storage_synced = models.BooleanField(verbose_name=_("personal storage synced"), default=False)
    applicant_eid_verified = models.BooleanField(verbose_name=_("applicant eid verified"), default=False)
    electronic_result_issued = models.BooleanField(
        verbose_name=pgettext_lazy("dossier", "electronic result issued"), default=False
    )
    result_signed = models.BooleanField(verbose_name=_("result signed"), default=False)
    rating = models.CharField(
        verbose_name=_("rating"), max_length=16, choices=Rating.choices, blank=True, default=""
    )

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
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=Q(external_id__isnull=False),
                name="dossier_unique_external_id",
            ),
        ]
        # Each index names the query it serves; EXPLAIN on PostgreSQL at 200k rows in docs/benchmarks.md
        # ("A lean hot path"). Besides these: the primary key, the unique receipt code (its PostgreSQL
        # ``…_like`` companion answers code prefixes: ?code_prefix=, the counter's search box), the unique
        # (source_system, external_id) of dossier_unique_external_id, and the single-column indexes of
        # procedure_version (PROTECT check, ?field= join) and created_by (SET NULL when a user is deleted).
        indexes = [
            # Lists scoped to a unit subtree (visible_dossiers, ?unit=, in_unit_subtree), newest first;
            # also the receiving_unit / handling_unit foreign keys' PROTECT check. The receiving one
            # carries the status, so the workload's count of dossiers received per unit in a period
            # (apps/queues/figures.workload: status not registered-only or refused) is an index-only
            # scan, not a heap read per dossier (80,000 random blocks for a province's month at 1M).
            # Status changes are never HOT updates anyway (dossier_open_due_idx's predicate reads it).
            models.Index(
                fields=["receiving_unit", "-received_at", "-id"],
                name="dossier_recv_unit_idx",
                include=["status"],
            ),
            models.Index(fields=["handling_unit", "-received_at", "-id"], name="dossier_hand_unit_idx"),
            # The unscoped list (national users, the default ordering) and its cursor pages.
            models.Index(fields=["-received_at", "-id"], name="dossier_received_idx"),
            # Open dossiers by due date: ?overdue=true (ordered by due date, overdue first) and the desk's
            # queue (selectors.open_by_due). Partial: ended dossiers, the bulk of the table, are left out.
            models.Index(
                fields=["effective_due_at", "id"],
                name="dossier_open_due_idx",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # Open dossiers (no end date) newest first: the drill-down lists' open arm
            # (apps/statistics/reports.dossier_ids_sql) walks these, not the whole table, for its page.
            # Partial: the ended bulk is left out; dossier_open_due_idx is by due date, not list order.
            models.Index(
                fields=["-received_at", "-id"],
                name="dossier_open_recv_idx",
                condition=Q(ended_on__isnull=True),
            ),
            # ?procedure= newest first; also the procedure foreign key's PROTECT check.
            models.Index(fields=["procedure", "-received_at"], name="dossier_procedure_idx"),
            # Statistics: a handling unit's dossiers received by a period's end and not ended before its
            # start (apps/statistics/counting.py, the leaf rebuild and drain).
            models.Index(fields=["handling_unit", "received_on", "ended_on"], name="dossier_unit_period_idx"),
            # The workload's dossiers finished per handling unit in a period (apps/queues/figures): an
            # index-only range on the end day. Partial: open, stopped and withdrawn dossiers are left out;
            # the end day repeats within a unit, so deduplication keeps it small (8 MB at 1M dossiers).
            models.Index(
                fields=["handling_unit", "ended_on"],
                name="dossier_finished_idx",
                condition=Q(finished_at__isnull=False),
            ),
            # Counter searches: the folded name by prefix (pattern ops so PostgreSQL's LIKE 'x%' uses it;
            # SQLite ignores the operator class), identity number and phone by equality (partial: most
            # dossiers have none).
            models.Index(
                fields=["applicant_name_folded"],
                name="dossier_applicant_fold_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["applicant_id_number"],
                name="dossier_applicant_id_idx",
                condition=~Q(applicant_id_number=""),
            ),
            models.Index(
                fields=["applicant_phone"],
                name="dossier_applicant_phone_idx",
                condition=~Q(applicant_phone=""),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None


class DossierDocument(models.Model):
    """A document received with a dossier (thành phần hồ sơ đã nhận): one of its procedure version's
    components, or another document the applicant handed in.

    The digitization indicators read these records: a dossier's inputs are digitized when every document
    received is, and it reuses digitized data when any document was taken from the data store.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    component = models.ForeignKey(
        "catalogue.ProcedureComponent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(help_text="Order on the slip, from 1.")
    name = models.CharField(max_length=500)
    form = models.CharField(max_length=16, choices=ComponentForm.choices)
    quantity = models.PositiveSmallIntegerField(default=1)
    digitized = models.BooleanField(default=False)
    reused = models.BooleanField(default=False, help_text="Taken from digitized data instead of paper.")

    class Meta:
        ordering = ["dossier_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "position"], name="dossier_document_unique_position"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="dossier_document_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class SupplementRequest(models.Model):
    """One pause of the clock: from the request to the citizen's completion."""

    dossier = models.ForeignKey(
        Dossier,
        verbose_name=pgettext_lazy("supplement request", "dossier"),
        on_delete=models.CASCADE,
        related_name="supplement_requests",
    )
    number = models.PositiveSmallIntegerField(
        verbose_name=pgettext_lazy("supplement request", "number"),
        help_text=_("1 for the first request; a 2nd makes the dossier late."),
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"))
    completed_at = models.DateTimeField(verbose_name=_("completed at"), null=True, blank=True)
    reason = models.TextField(verbose_name=_("reason"), blank=True, default="")

    class Meta:
        ordering = ["dossier", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="supplement_unique_number"),
        ]

    def __str__(self) -> str:
        return _("supplement #%(number)s of dossier %(dossier)s") % {
            "number": self.number,
            "dossier": self.dossier_id,
        }


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("registered online")
    RECEIVED = "received", _("received")
    STATUS_CHANGED = "status_changed", _("status changed")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("supplement requested")
    SUPPLEMENT_COMPLETED = "supplement_completed", _("supplement completed")
    HANDLING_UNIT_ASSIGNED = "handling_unit_assigned", _("handling unit assigned")
    FLAG_SET = "flag_set", _("flag set")
    RATED = "rated", _("rated by the applicant")
    CORRECTED = "corrected", _("descriptive fields corrected")
    RECEIPT_CORRECTED = "receipt_corrected", _("receipt facts corrected")
    DOCUMENTS_RECORDED = "documents_recorded", _("documents received recorded")


class DossierEvent(AppendOnly, models.Model):
    """One entry of a dossier's history. Rows are only ever inserted."""

    dossier = models.ForeignKey(
        Dossier,
        verbose_name=pgettext_lazy("dossier event", "dossier"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(
        verbose_name=pgettext_lazy("dossier event", "kind"), max_length=32, choices=EventKind.choices
    )
    occurred_at = models.DateTimeField(
        verbose_name=_("occurred at"), help_text=_("When it happened (may be earlier than recorded_at).")
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)
    from_status = models.PositiveSmallIntegerField(
        verbose_name=_("from status"), choices=Status.choices, null=True, blank=True
    )
    to_status = models.PositiveSmallIntegerField(
        verbose_name=_("to status"), choices=Status.choices, null=True, blank=True
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # led by event_actor_time_idx below
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
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["dossier", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["dossier", "occurred_at", "id"], name="event_dossier_time_idx"),
            # A staff member's events in a period (the workload figures of apps/queues); it also serves
            # the user foreign key (deleting a user nulls its events).
            models.Index(fields=["actor_user", "occurred_at"], name="event_actor_time_idx"),
            # The workload's per staff counts: receipts and finishes a user recorded in a period, each
            # an index-only range (the index above reads every event of theirs from the table to find
            # these two kinds: 600 ms for a province's month at 1M dossiers). Partial: one or two rows
            # per dossier, and events without a user (machine clients, bulk loads) are left out.
            models.Index(
                fields=["actor_user", "occurred_at"],
                name="event_actor_received_idx",
                condition=Q(kind=EventKind.RECEIVED, actor_user__isnull=False),
            ),
            models.Index(
                fields=["actor_user", "occurred_at"],
                name="event_actor_finished_idx",
                condition=Q(to_status=Status.FINISHED, actor_user__isnull=False),
            ),
            # The dispatch sweeper's backlog (events whose follow-up has not run): a few rows, never a scan.
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="dossier_event_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return event_name(self.dossier_id, self.get_kind_display(), self.occurred_at)


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
