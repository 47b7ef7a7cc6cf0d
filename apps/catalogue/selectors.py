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


def search_procedures(text: str, day: dt.date, *, limit: int | None = 20) -> list[Procedure]:
    """Procedures in force on ``day`` whose code starts with ``text`` or whose name holds every word of
    it, compared without diacritics or case (``khai sinh`` finds "Đăng ký khai sinh"), by code.

    The counter types names as people say them, often without accents. Names are folded here, over the
    procedures in force (a catalogue of a few thousand): a stored folded column would serve a larger one.
    """
    from apps.dossiers.applicant import fold  # one folding rule for names everywhere

    wanted, words = text.strip(), fold(text).split()
    if not wanted:
        return []
    found = []
    for procedure in attach_current(list(procedures_with_version_on(day).order_by("code"))):
        name = fold(procedure.current_version.name) if procedure.current_version else ""
        if procedure.code.startswith(wanted) or all(word in name for word in words):
            found.append(procedure)
            if limit is not None and len(found) == limit:
                break
    return found
