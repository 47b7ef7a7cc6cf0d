"""The catalogue of administrative procedures (TTHC), versioned by validity dates.

A procedure's rules change over time (time limit, fee, online level). A dossier points at the version
that applied on the day it was received, so later edits never rewrite past deadlines or statistics.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q


class Field(models.Model):
    """A field of administration (lĩnh vực), e.g. land, civil status, business registration."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Level(models.TextChoices):
    PROVINCE = "province", "Province"
    COMMUNE = "commune", "Commune"
    MINISTRY = "ministry", "Ministry"


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "Working days"
    WORKING_HOURS = "working_hours", "Working hours"
    CALENDAR_DAYS = "calendar_days", "Calendar days"
    SAME_DAY = "same_day", "Same day"
    HALF_DAY = "half_day", "Half a working day"


class OnlineLevel(models.TextChoices):
    NONE = "none", "Not online"
    PARTIAL = "partial", "Partial online service"
    FULL = "full", "Full-process online service"


class Audience(models.TextChoices):
    CITIZEN = "citizen", "Citizens"
    BUSINESS = "business", "Businesses"
    BOTH = "both", "Citizens and businesses"


CONTENT_PARTS = ("name", "sequence", "method", "components", "time_limit", "subjects", "agency")


class Procedure(models.Model):
    """The stable identity of a procedure; everything that can change lives on its versions."""

    code = models.CharField(max_length=32, unique=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def version_on(self, day: dt.date) -> ProcedureVersion | None:
        return self.versions.valid_on(day).first()


class ProcedureVersionQuerySet(models.QuerySet["ProcedureVersion"]):
    def valid_on(self, day: dt.date) -> ProcedureVersionQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day).order_by(
            "-valid_from"
        )


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    valid_from = models.DateField()
    valid_to = models.DateField(
        null=True, blank=True, help_text="Last day this version applies; empty = open."
    )

    name = models.CharField(max_length=500)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedure_versions")
    level = models.CharField(max_length=16, choices=Level.choices)
    time_limit = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    time_unit = models.CharField(max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    online_time_limit = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="Shorter limit for online dossiers."
    )
    fee = models.DecimalField(max_digits=14, decimal_places=0, default=0, help_text="VND; 0 = free.")
    online_level = models.CharField(max_length=8, choices=OnlineLevel.choices, default=OnlineLevel.NONE)
    paper_result_required = models.BooleanField(default=False)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.CITIZEN)

    # Publication facts (transparency group of the index).
    decision_date = models.DateField(null=True, blank=True, help_text="Date of the publication decision.")
    effective_date = models.DateField(null=True, blank=True, help_text="Legal basis takes effect.")
    disclosure_date = models.DateField(null=True, blank=True, help_text="Disclosed on the national database.")
    published_parts = models.JSONField(
        default=list,
        blank=True,
        help_text=f"Which of the 7 content parts are published: {', '.join(CONTENT_PARTS)}.",
    )

    objects = ProcedureVersionQuerySet.as_manager()

    class Meta:
        ordering = ["procedure__code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "valid_from"], name="procedure_version_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="procedure_version_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} from {self.valid_from}"

    @property
    def content_complete(self) -> bool:
        return set(CONTENT_PARTS) <= set(self.published_parts or [])

    @property
    def is_online_service(self) -> bool:
        return self.online_level != OnlineLevel.NONE
