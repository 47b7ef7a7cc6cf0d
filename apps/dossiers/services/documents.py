"""Recording the documents a dossier was received with, at receipt or later (after scanning, say).

The digitization flags then follow from the records, through the same flag events an explicit action
writes, so the history says when and why each changed; an explicit flag action on these two facts is
refused once a dossier has document records (they would contradict each other).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from apps.catalogue.models import ProcedureComponent
from apps.core.actors import Actor
from apps.core.errors import DomainError, ErrorCode
from apps.dossiers import events
from apps.dossiers.documents import (
    DocumentIn,
    DocumentProblem,
    DocumentRow,
    check_complete,
    derived_flags,
    resolve,
)
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent, EventKind
from apps.dossiers.services._common import locked, record, resolve_time


def components_of(dossier: Dossier) -> list[ProcedureComponent]:
    return list(
        ProcedureComponent.objects.filter(version_id=dossier.procedure_version_id).order_by("position")
    )


def checked_rows(dossier: Dossier, items: Sequence[DocumentIn], missing_reason: str):
    """The rows to store, or a 400 naming the item at fault (or the mandatory documents missing)."""
    components = components_of(dossier)
    try:
        rows = resolve(components, items)
        check_complete(components, rows, missing_reason)
    except DocumentProblem as problem:
        if problem.code == "missing_mandatory_documents":
            raise DomainError(
                ErrorCode.MISSING_MANDATORY_DOCUMENTS, problem.message, field=problem.field
            ) from None
        error = DomainError(ErrorCode.VALIDATION_ERROR, problem.message, field=problem.field)
        error.errors = [{"field": problem.field, "code": problem.code, "message": problem.message}]
        raise error from None
    return rows


def document_models(dossier_id: int, rows: Sequence[DocumentRow]) -> list[DossierDocument]:
    """The unsaved records of ``rows`` for one dossier (the receipt, the bulk ingest and the demo write
    them with ``bulk_create``, many dossiers at once where they can)."""
    return [
        DossierDocument(
            dossier_id=dossier_id,
            component=row.component,
            position=row.position,
            name=row.name,
            form=row.form,
            quantity=row.quantity,
            digitized=row.digitized,
            reused=row.reused,
        )
        for row in rows
    ]


def stored_rows(documents: Iterable[DossierDocument]) -> list[dict]:
    """Stored records as :meth:`DocumentRow.as_dict` writes rows (read them with their component)."""
    return [
        DocumentRow(d.position, d.component, d.name, d.form, d.quantity, d.digitized, d.reused).as_dict()
        for d in documents
    ]


def from_documents_note() -> str:
    """The note of a flag event written because the documents say so (not an explicit action)."""
    return _("from the documents received")


def store(
    dossier: Dossier, rows, *, actor: Actor, at: dt.datetime
) -> tuple[list[DossierDocument], list[DossierEvent]]:
    """Write the rows and bring the two digitization flags in line with them (one flag event each).

    Returns the documents and events written, so a create can answer without reading them back.
    """
    written = DossierDocument.objects.bulk_create(document_models(dossier.pk, rows))
    for document in written:
        document.dossier = dossier
    flag_events = []
    for flag, value in derived_flags(rows).items():
        if getattr(dossier, flag) != value:
            setattr(dossier, flag, value)
            dossier.save(update_fields=[flag, "updated_at"])
            note = from_documents_note()
            flag_events.append(
                record(events.flag_set(dossier, flag=flag, value=value, at=at, actor=actor, note=note))
            )
    return written, flag_events


@transaction.atomic
def record_documents(
    dossier: Dossier,
    *,
    actor: Actor,
    documents: Sequence[DocumentIn],
    reason: str,
    missing_documents_reason: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Replace the dossier's document records: one event with the lists before and after, and the reason."""
    if not reason.strip():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, _("Say why the documents are recorded again."), field="reason"
        )
    dossier = locked(dossier)
    at = resolve_time(at, not_before=dossier.received_at or dossier.registered_at)
    if missing_documents_reason is None:
        missing_documents_reason = dossier.missing_documents_reason
    rows = checked_rows(dossier, documents, missing_documents_reason)
    before = stored_rows(dossier.documents.select_related("component").order_by("position"))
    after = [row.as_dict() for row in rows]
    if before == after and missing_documents_reason == dossier.missing_documents_reason:
        return dossier
    dossier.documents.all().delete()
    if missing_documents_reason != dossier.missing_documents_reason:
        dossier.missing_documents_reason = missing_documents_reason
        dossier.save(update_fields=["missing_documents_reason", "updated_at"])
    data = {"reason": reason, "before": before, "after": after}
    record(
        events.corrected(dossier, EventKind.DOCUMENTS_RECORDED, at=at, actor=actor, note=reason, data=data)
    )
    store(dossier, rows, actor=actor, at=at)
    return dossier
