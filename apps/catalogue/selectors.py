"""Reads of the procedure catalogue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from apps.catalogue.models import Procedure, ProcedureVersion


def procedures_with_version_on(day: dt.date) -> QuerySet[Procedure]:
    """Procedures that have a version in force on ``day``, each with ``current_version`` attached."""
    versions = ProcedureVersion.objects.valid_on(day).select_related("field")
    return (
        Procedure.objects.filter(versions__in=ProcedureVersion.objects.valid_on(day))
        .distinct()
        .prefetch_related(Prefetch("versions", queryset=versions, to_attr="versions_on_day"))
    )


def attach_current(procedures: list[Procedure]) -> list[Procedure]:
    for procedure in procedures:
        on_day = getattr(procedure, "versions_on_day", [])
        procedure.current_version = on_day[0] if on_day else None
    return procedures
