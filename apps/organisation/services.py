"""Writes to the unit tree. Paths are derived data, so every write goes through here."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext

from apps.core.errors import DomainError, ErrorCode
from apps.organisation.models import PATH_SEPARATOR, Unit


def _path_for(code: str, parent: Unit | None) -> str:
    return (parent.path if parent else "") + code + PATH_SEPARATOR


@transaction.atomic
def save_unit(unit: Unit) -> Unit:
    """Insert or update a unit, keeping ``path`` and ``depth`` of it and its descendants right.

    A move or a code change rewrites every descendant's path prefix in one UPDATE.
    """
    old_path = None
    if unit.pk:
        old_path = Unit.objects.filter(pk=unit.pk).values_list("path", flat=True).first()
    if old_path and unit.parent_id and unit.parent.path.startswith(old_path):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            gettext("A unit cannot be moved under itself or its descendants."),
            field="parent",
        )
    unit.path = _path_for(unit.code, unit.parent)
    unit.depth = unit.path.count(PATH_SEPARATOR) - 1
    unit.save()
    if old_path and old_path != unit.path:
        depth_change = unit.depth - (old_path.count(PATH_SEPARATOR) - 1)
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr(F("path"), Length(Value(old_path)) + 1)),
            depth=F("depth") + depth_change,
        )
    return unit


def create_unit(*, code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    return save_unit(Unit(code=code, name=name, kind=kind, parent=parent))
