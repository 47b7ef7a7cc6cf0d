"""Aggregates at the leaves: one row per handling unit × named period × procedure.

Rows are never incremented in place: a dirty (unit, period) is recomputed from the dossier rows with the
same SQL the full rebuild uses, so incremental and rebuilt aggregates cannot drift apart. Parents'
counts (departments, provinces) are never stored: they are the sum of their descendants' rows at read
time. Scores are stored in two places: closed weeks' and months' snapshots (the nightly task) and the
running periods' current scores (the drain, beside the roll-up it recomputes).
"""

from __future__ import annotations

from django.db import models

from apps.statistics.periods import NAMED_KINDS

PERIOD_KIND_CHOICES = [(k.value, k.value) for k in NAMED_KINDS]

# The dossier-based counts of a leaf, in the order the SQL produces them. Each is documented where it
# is defined (apps/statistics/counting.py).
COUNT_FIELDS = (
    "received",
    "received_synced",
    "received_online_counted",
    "received_reused",
    "in_period",
    "on_time",
    "ended",
    "ended_early",
    "ended_on_time",
    "ended_late",
    "open_in_time",
    "open_overdue",
    "processing_minutes",
    "e_result",
    "digitized",
    "personal_storage",
    "eid",
    "fee_dossiers",
    "fee_paid_online",
    "fee_synced",
    "satisfactory",
    "online_received",
)


class CountColumns(models.Model):
    """The 22 dossier counts, shared by the leaves and the unit roll-up (same names, same meaning)."""

    received = models.PositiveIntegerField(default=0)
    received_synced = models.PositiveIntegerField(default=0)
    received_online_counted = models.PositiveIntegerField(default=0)
    received_reused = models.PositiveIntegerField(default=0)
    in_period = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    ended = models.PositiveIntegerField(default=0)
    ended_early = models.PositiveIntegerField(default=0)
    ended_on_time = models.PositiveIntegerField(default=0)
    ended_late = models.PositiveIntegerField(default=0)
    open_in_time = models.PositiveIntegerField(default=0)
    open_overdue = models.PositiveIntegerField(default=0)
    processing_minutes = models.BigIntegerField(default=0)
    e_result = models.PositiveIntegerField(default=0)
    digitized = models.PositiveIntegerField(default=0)
    personal_storage = models.PositiveIntegerField(default=0)
    eid = models.PositiveIntegerField(default=0)
    fee_dossiers = models.PositiveIntegerField(default=0)
    fee_paid_online = models.PositiveIntegerField(default=0)
    fee_synced = models.PositiveIntegerField(default=0)
    satisfactory = models.PositiveIntegerField(default=0)
    online_received = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class LeafCounts(CountColumns):
    # Derived rows, rewritten wholesale by the rebuild: no foreign-key triggers and no extra indexes
    # (the unique index serves every lookup), which makes inserting them several times cheaper.
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    procedure = models.ForeignKey(
        "catalogue.Procedure",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period_kind = models.CharField(max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period_kind", "period_start", "unit", "procedure"], name="leaf_counts_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.procedure_id} {self.period_kind} {self.period_start}"


# The leaf counts whose *procedures* a score needs, not only their sum: "online services with an online
# dossier" intersects them with the offerings register, which is read at scoring time.
USAGE_COUNTS = ("online_received", "fee_paid_online", "fee_synced", "eid")


class UnitCounts(CountColumns):
    """The roll-up: one unit's leaves of one named period summed over procedures, so a score or a
    ranking reads one row per unit (a few hundred for a province) instead of one per unit × procedure.

    Written only from the leaves, by the same statement in the rebuild and in the drain, right after
    the leaves of the same (unit, period) pairs: it is always their sum (a test checks it).
    ``used_<count>`` lists, comma-separated and ascending, the procedures whose leaf has that count
    positive (:data:`USAGE_COUNTS`). Like the leaves: derived, rewritten wholesale, no foreign keys.
    """

    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period_kind = models.CharField(max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()
    used_online_received = models.TextField(default="", blank=True)
    used_fee_paid_online = models.TextField(default="", blank=True)
    used_fee_synced = models.TextField(default="", blank=True)
    used_eid = models.TextField(default="", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_start", "unit"], name="unit_counts_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period_kind} {self.period_start}"


class DirtyLeaf(models.Model):
    """A (unit, period) whose leaves must be recomputed: an outbox row, written in the transaction of the
    change that dirtied it and deleted by the drain in the transaction that recomputes it.

    Append-only and without a unique constraint on purpose: concurrent writers marking the same hot
    (unit, current week) never wait on each other's uncommitted mark (a unique index would make the
    second wait, and two writers marking two units in opposite orders deadlock). The drain recomputes
    each distinct pair once, however many marks it claimed for it.
    """

    unit = models.ForeignKey("organisation.Unit", on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The drain deletes all marks of the pairs it claims (not unique: see above).
        indexes = [models.Index(fields=["period_kind", "period_start", "unit"], name="dirty_leaf_pair_idx")]

    def __str__(self) -> str:
        return f"dirty {self.unit_id} {self.period_kind} {self.period_start}"


class ScoreSnapshot(models.Model):
    """A closed week's or month's score of one unit, frozen so history and trends are cheap and stable."""

    unit = models.ForeignKey("organisation.Unit", on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()
    # Methodology.key ("766-2022-v1 r2"): a later revision's reads ignore this row (see reports._snapshots).
    methodology_version = models.CharField(max_length=64)
    total = models.DecimalField(max_digits=6, decimal_places=2)
    groups = models.JSONField()
    indicators = models.JSONField()
    inputs = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period_kind", "period_start", "methodology_version"],
                name="score_snapshot_unique",
            )
        ]
        indexes = [models.Index(fields=["period_kind", "period_start"], name="score_snapshot_period_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period_kind} {self.period_start}: {self.total}"


class CurrentScore(models.Model):
    """A running week's, month's, quarter's or year's score of one unit, as of the aggregates beside it.

    Written by the drain in the transaction that recomputed the unit's roll-up (and by the midnight
    refresh for every unit), so a ranking of the current period reads a row per child
    instead of scoring the subtree (:mod:`apps.statistics.current_scores`). A row serves only while
    what it was scored under holds: the day unfinished dossiers were judged on, the methodology
    revision and the aggregate epoch (a rebuild or an edit to the catalogue, the registers, the calendar
    or the organisation moves it: :mod:`apps.statistics.signals`); otherwise the reader scores live.
    """

    unit = models.ForeignKey("organisation.Unit", on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()
    judged_on = models.DateField()
    methodology_version = models.CharField(max_length=64)
    epoch = models.BigIntegerField()
    total = models.DecimalField(max_digits=6, decimal_places=2)
    groups = models.JSONField()
    dossiers = models.PositiveIntegerField(default=0)
    # The unit's score inputs by name: a reader wanting the whole score (indicators and all) has the
    # engine score them again, which is exact and takes a tenth of a millisecond.
    inputs = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period_kind", "period_start", "unit"], name="current_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period_kind} {self.period_start} ({self.judged_on}): {self.total}"


class AggregateVersion(models.Model):
    """A single row bumped after every drain, rebuild and refresh: read caches key on it to know when to drop.

    It is touched once per drain (about once a second at most), never inside a dossier's transaction.
    """

    version = models.BigIntegerField(default=0, help_text="Bumped by every drain, rebuild and refresh.")
    epoch = models.BigIntegerField(
        default=0,
        help_text="Bumped by a full rebuild and by any edit to what a score reads besides the dossiers: every period may change.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"aggregates v{self.version}"


class PeriodVersion(models.Model):
    """Bumped when any leaf of one named period is recomputed, so cached scores of untouched periods
    (last month, while today's dossiers stream in) stay valid."""

    period_kind = models.CharField(max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField()
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_start"], name="period_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start} v{self.version}"
