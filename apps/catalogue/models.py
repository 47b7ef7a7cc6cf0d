"""The catalogue of administrative procedures (TTHC), versioned by validity dates.

A procedure's rules change over time (time limit, fee, online level). A dossier points at the version
that applied on the day it was received, so later edits never rewrite past deadlines or statistics.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Field(models.Model):
    """A field of administration (lĩnh vực), e.g. land, civil status, business registration."""

    code = models.CharField(verbose_name=pgettext_lazy("field", "code"), max_length=32, unique=True)
    name = models.CharField(verbose_name=pgettext_lazy("field", "name"), max_length=255)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")
    MINISTRY = "ministry", _("Ministry")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("Working days")
    WORKING_HOURS = "working_hours", _("Working hours")
    CALENDAR_DAYS = "calendar_days", _("Calendar days")
    SAME_DAY = "same_day", _("Same day")
    HALF_DAY = "half_day", _("Half a working day")


class OnlineLevel(models.TextChoices):
    NONE = "none", _("Not online")
    PARTIAL = "partial", _("Partial online service")
    FULL = "full", _("Full-process online service")


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("Citizens")
    BUSINESS = "business", _("Businesses")
    BOTH = "both", _("Citizens and businesses")


CONTENT_PARTS = ("name", "sequence", "method", "components", "time_limit", "subjects", "agency")


class Procedure(models.Model):
    """The stable identity of a procedure; everything that can change lives on its versions."""

    code = models.CharField(verbose_name=pgettext_lazy("procedure", "code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
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
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="versions"
    )
    valid_from = models.DateField(verbose_name=pgettext_lazy("procedure version", "valid from"))
    valid_to = models.DateField(
        verbose_name=pgettext_lazy("procedure version", "valid to"),
        null=True,
        blank=True,
        help_text=_("Last day this version applies; empty = open."),
    )

    name = models.CharField(verbose_name=pgettext_lazy("procedure version", "name"), max_length=500)
    field = models.ForeignKey(
        Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="procedure_versions"
    )
    level = models.CharField(
        verbose_name=pgettext_lazy("procedure version", "level"), max_length=16, choices=Level.choices
    )
    time_limit = models.DecimalField(verbose_name=_("time limit"), max_digits=7, decimal_places=2, default=0)
    time_unit = models.CharField(
        verbose_name=_("time unit"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS
    )
    online_time_limit = models.DecimalField(
        verbose_name=_("online time limit"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Shorter limit for online dossiers."),
    )
    fee = models.DecimalField(
        verbose_name=_("fee"), max_digits=14, decimal_places=0, default=0, help_text=_("VND; 0 = free.")
    )
    online_level = models.CharField(
        verbose_name=_("online level"),
        max_length=8,
        choices=OnlineLevel.choices,
        default=OnlineLevel.NONE,
        help_text=_(
            "The highest level at which units may offer it online; what each unit offers is its "
            "OnlineOffering."
        ),
    )
    paper_result_required = models.BooleanField(verbose_name=_("paper result required"), default=False)
    audience = models.CharField(
        verbose_name=_("audience"), max_length=8, choices=Audience.choices, default=Audience.CITIZEN
    )

    objects = ProcedureVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
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
        return _("%(code)s from %(day)s") % {"code": self.procedure.code, "day": self.valid_from}

    @property
    def may_be_offered_online(self) -> bool:
        return self.online_level != OnlineLevel.NONE


class ComponentForm(models.TextChoices):
    ORIGINAL = "original", _("Original")
    COPY = "copy", _("Copy")
    CERTIFIED_COPY = "certified_copy", _("Certified copy")
    ELECTRONIC = "electronic", _("Electronic document")


class ProcedureComponent(models.Model):
    """One document a dossier of this procedure version must (or may) contain (thành phần hồ sơ).

    Components belong to a version: when the legal text changes the list, a dossier keeps the list of the
    version it was received under, like its time limit.
    """

    version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="components"
    )
    position = models.PositiveSmallIntegerField(
        verbose_name=_("position"), help_text=_("Order in the official list, from 1.")
    )
    name = models.CharField(verbose_name=pgettext_lazy("procedure component", "name"), max_length=500)
    form = models.CharField(
        verbose_name=_("form"), max_length=16, choices=ComponentForm.choices, default=ComponentForm.ORIGINAL
    )
    quantity = models.PositiveSmallIntegerField(verbose_name=_("quantity"), default=1)
    mandatory = models.BooleanField(verbose_name=_("mandatory"), default=True)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="procedure_component_unique_position"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="procedure_component_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


ONLINE_LEVEL_RANK = {OnlineLevel.NONE: 0, OnlineLevel.PARTIAL: 1, OnlineLevel.FULL: 2}
# The levels at which a unit offers a procedure online (an offering is never "none").
OFFERED_LEVELS = [choice for choice in OnlineLevel.choices if choice[0] != OnlineLevel.NONE]


class OnlineOfferingQuerySet(models.QuerySet["OnlineOffering"]):
    def in_force_on(self, day: dt.date) -> OnlineOfferingQuerySet:
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


class OnlineOffering(models.Model):
    """One online service: a unit offering a procedure online, at a level, from a day (to a day).

    The index divides by these (unit × procedure), not by procedures: a procedure that 120 communes
    offer online is 120 online services. A change of level is a new row from the day it applies, so a
    past period is scored with what was offered then.
    """

    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=pgettext_lazy("online offering", "unit"),
        on_delete=models.PROTECT,
        related_name="online_offerings",
    )
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="online_offerings"
    )
    level = models.CharField(
        verbose_name=pgettext_lazy("online offering", "level"), max_length=8, choices=OFFERED_LEVELS
    )
    valid_from = models.DateField(verbose_name=pgettext_lazy("online offering", "valid from"))
    valid_to = models.DateField(
        verbose_name=pgettext_lazy("online offering", "valid to"),
        null=True,
        blank=True,
        help_text=_("Last day offered; empty = still offered."),
    )

    objects = OnlineOfferingQuerySet.as_manager()

    class Meta:
        verbose_name = _("online offering")
        verbose_name_plural = _("online offerings")
        ordering = ["unit__code", "procedure__code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "procedure", "valid_from"], name="online_offering_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="online_offering_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(level__in=[OnlineLevel.PARTIAL, OnlineLevel.FULL]), name="online_offering_level"
            ),
        ]
        # Scoring reads the offerings in force on a day for every unit of a province; the unique
        # constraint's index (unit, procedure, valid_from) serves that and the overlap check.

    def __str__(self) -> str:
        return _("%(unit)s × %(procedure)s (%(level)s) from %(day)s") % {
            "unit": self.unit_id,
            "procedure": self.procedure_id,
            "level": self.level,
            "day": self.valid_from,
        }


class PublicationDecision(models.Model):
    """A decision publishing procedures (quyết định công bố TTHC) by a province's chairman or a minister.

    The transparency group scores how early each decision came before its legal basis took effect and
    how soon its procedures were disclosed on the national database, per issuing authority, so these
    facts differ between provinces even for the same national procedure.
    """

    authority = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("authority"),
        on_delete=models.PROTECT,
        related_name="publication_decisions",
        help_text=_("The province or ministry that issued the decision (a top-level unit)."),
    )
    number = models.CharField(
        verbose_name=pgettext_lazy("publication decision", "number"),
        max_length=64,
        help_text=_("The decision's number, e.g. 1234/QĐ-UBND."),
    )
    decided_on = models.DateField(verbose_name=_("decided on"))
    effective_on = models.DateField(
        verbose_name=_("effective on"),
        help_text=_("The day the legal basis of the published procedures takes effect."),
    )
    procedures = models.ManyToManyField(
        Procedure,
        verbose_name=pgettext_lazy("publication decision", "procedures"),
        through="PublishedProcedure",
        related_name="+",
    )

    class Meta:
        verbose_name = _("publication decision")
        verbose_name_plural = _("publication decisions")
        ordering = ["authority__code", "-decided_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "number"], name="publication_decision_unique_number")
        ]
        indexes = [
            # Facts for a period: one authority's decisions by date.
            models.Index(fields=["authority", "decided_on"], name="publication_authority_day_idx")
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.decided_on})"


class PublishedProcedure(models.Model):
    """One procedure a decision publishes, with its disclosure on the national database."""

    decision = models.ForeignKey(
        PublicationDecision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="items"
    )
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="publications"
    )
    disclosed_on = models.DateField(
        verbose_name=_("disclosed on"),
        null=True,
        blank=True,
        help_text=_("Disclosed on the national database; empty = not yet."),
    )
    published_parts = models.JSONField(
        verbose_name=_("published parts"),
        default=list,
        blank=True,
        help_text=format_lazy(
            _("Which of the 7 content parts are published: {parts}."), parts=", ".join(CONTENT_PARTS)
        ),
    )

    class Meta:
        ordering = ["decision_id", "procedure__code"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "procedure"], name="published_procedure_unique")
        ]

    def __str__(self) -> str:
        return _("%(procedure)s in %(decision)s") % {
            "procedure": self.procedure_id,
            "decision": self.decision_id,
        }

    @property
    def content_complete(self) -> bool:
        return set(CONTENT_PARTS) <= set(self.published_parts or [])
