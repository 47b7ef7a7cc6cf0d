"""The tree of administrative units: ministries, provinces, departments, communes, one-stop centres."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PATH_SEPARATOR = "/"


class UnitKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    PROVINCE = "province", _("Province")
    DEPARTMENT = "department", _("Department")
    COMMUNE = "commune", _("Commune / ward")
    CENTRE = "centre", _("One-stop centre")


class AreaType(models.TextChoices):
    """Where a unit serves: the staff workload targets differ (apps/queues/targets.py)."""

    URBAN = "urban", _("urban")
    RURAL = "rural", _("rural")
    DISADVANTAGED = "disadvantaged", _("disadvantaged")


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree_of(self, unit: Unit) -> UnitQuerySet:
        """The unit and all its descendants: one LIKE 'path%' on an indexed column, no recursion."""
        return self.filter(path__startswith=unit.path)


class Unit(models.Model):
    """One node of the organisation tree.

    ``path`` is the chain of codes from the root (``H44/H44.07/``), kept by
    :func:`apps.organisation.services.save_unit`; a subtree is every unit whose path starts with the
    root's path, which PostgreSQL answers from a ``varchar_pattern_ops`` index.
    """

    code = models.CharField(verbose_name=pgettext_lazy("unit", "code"), max_length=32, unique=True)
    name = models.CharField(verbose_name=pgettext_lazy("unit", "name"), max_length=255)
    kind = models.CharField(
        verbose_name=pgettext_lazy("unit", "kind"), max_length=16, choices=UnitKind.choices
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(verbose_name=_("path"), max_length=512, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(verbose_name=_("depth"), default=0, editable=False)
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    offers_electronic_certified_copy = models.BooleanField(
        verbose_name=_("offers electronic certified copy"),
        default=False,
        help_text=_("The commune issues electronic certified copies (digitization group of the index)."),
    )
    area_type = models.CharField(
        verbose_name=_("area type"),
        max_length=16,
        choices=AreaType.choices,
        blank=True,
        default="",
        help_text=_(
            "Urban, rural or disadvantaged area (staff workload targets); empty: as the parent unit."
        ),
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "code"], name="unit_parent_code_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def root_code(self) -> str:
        """Code of the top-level unit (province or ministry) this unit belongs to."""
        return self.path.split(PATH_SEPARATOR, 1)[0]

    def contains(self, other: Unit) -> bool:
        return other.path.startswith(self.path)
