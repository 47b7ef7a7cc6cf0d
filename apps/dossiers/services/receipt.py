"""Creating dossiers: online registration (status 1) and receipt (status 2), which starts the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from apps.catalogue.models import Procedure, ProcedureVersion, TimeUnit
from apps.catalogue.rules import time_limit_for, version_for
from apps.core.actors import Actor
from apps.core.errors import DomainError, ErrorCode
from apps.dossiers import events, receipt_codes
from apps.dossiers.applicant import ApplicantKind, folded_columns, kind_problem
from apps.dossiers.documents import DocumentIn
from apps.dossiers.models import Channel, Dossier
from apps.dossiers.services._common import attach_related, locked, record, resolve_time
from apps.dossiers.services.documents import checked_rows, store
from apps.dossiers.status import Status, check_transition
from apps.dossiers.timeliness import BUSINESS_TZ, local_date
from apps.organisation.models import Unit
from apps.workcalendar.services import calendar_for_unit


def new_dossier_code(unit: Unit, day: dt.date) -> str:
    """A receipt code that says where and when, numbered per unit and day: ``H44.100-260213-00042``.

    The number comes from the unit's sequence for that day (apps/dossiers/receipt_codes.py), so two
    creates never draw the same code; call it inside the creating transaction.
    """
    return receipt_codes.next_code(unit.pk, unit.code, day)


def compute_legal_due(
    version: ProcedureVersion, *, handling_unit: Unit, received_at: dt.datetime, channel: int
):
    """The legal due instant, fixed at receipt from the handling unit's calendar; None without a limit."""
    limit = time_limit_for(version, online=channel == Channel.ONLINE)
    if not limit and version.time_unit not in (TimeUnit.SAME_DAY, TimeUnit.HALF_DAY):
        return None
    return calendar_for_unit(handling_unit).due_at(received_at, limit, TimeUnit(version.time_unit))


def version_in_force(procedure: Procedure, day: dt.date) -> ProcedureVersion:
    """:func:`apps.catalogue.rules.version_for`, answered from the procedure's versions when they were
    read with it (the create API loads them in the procedure's own query: one query fewer per create)."""
    known = getattr(procedure, "_prefetched_objects_cache", {}).get("versions")
    if known is not None:
        in_force = [v for v in known if v.valid_from <= day and (v.valid_to is None or v.valid_to >= day)]
        if in_force:
            return max(in_force, key=lambda v: v.valid_from)
    return version_for(procedure, day)  # reads the versions (and names the error when none applies)


def _apply_receipt(dossier: Dossier, received_at: dt.datetime) -> None:
    local_day = received_at.astimezone(BUSINESS_TZ).date()
    dossier.procedure_version = version_in_force(dossier.procedure, local_day)
    dossier.status = Status.RECEIVED
    dossier.received_at = received_at
    dossier.received_on = local_day
    dossier.status_changed_at = received_at
    dossier.legal_due_at = compute_legal_due(
        dossier.procedure_version,
        handling_unit=dossier.handling_unit,
        received_at=received_at,
        channel=dossier.channel,
    )
    dossier.effective_due_at = dossier.legal_due_at
    dossier.due_on = local_date(dossier.effective_due_at)


def receive_dossier(
    *,
    procedure: Procedure,
    receiving_unit: Unit,
    actor: Actor,
    handling_unit: Unit | None = None,
    channel: int = Channel.COUNTER,
    received_at: dt.datetime | None = None,
    applicant_name: str = "",
    applicant: dict[str, str] | None = None,
    notes: str = "",
    fee_amount: Decimal | None = None,
    code: str | None = None,
    source_system: str = "",
    external_id: str | None = None,
    note: str = "",
    documents: Sequence[DocumentIn] | None = None,
    missing_documents_reason: str = "",
) -> Dossier:
    """Receive a dossier at a counter, by post or from the online portal: status 2, clock started.

    ``documents`` (the components received) is checked against the procedure version: a mandatory one
    missing is refused unless ``missing_documents_reason`` says why. Systems that do not send documents
    pass None and record none. One transaction writes the dossier, its history event and the statistics'
    dirty marks; the dossier comes back with its events and documents attached (:func:`attach_related`).
    """
    received_at = resolve_time(received_at, field="received_at")
    columns = _applicant_columns(applicant_name, applicant)
    day = received_at.astimezone(BUSINESS_TZ).date()

    def attempt(draw: int) -> Dossier:
        dossier = _new_dossier(
            procedure=procedure,
            receiving_unit=receiving_unit,
            handling_unit=handling_unit,
            channel=channel,
            applicant=columns,
            notes=notes,
            actor=actor,
            code=code,
            source_system=source_system,
            external_id=external_id,
            day=day,
        )
        _apply_receipt(dossier, received_at)
        dossier.fee_amount = dossier.procedure_version.fee if fee_amount is None else fee_amount
        rows = None
        if documents is not None:
            rows = checked_rows(dossier, documents, missing_documents_reason)
            dossier.missing_documents_reason = missing_documents_reason
        _insert(dossier, draw)
        written = [record(events.received(dossier, at=received_at, actor=actor, note=note))]
        stored: list = []
        if rows is not None:
            stored, flag_events = store(dossier, rows, actor=actor, at=received_at)
            written += flag_events
        return attach_related(dossier, events=written, documents=stored, supplement_requests=())

    return _create(attempt)


def register_dossier(
    *,
    procedure: Procedure,
    receiving_unit: Unit,
    actor: Actor,
    handling_unit: Unit | None = None,
    registered_at: dt.datetime | None = None,
    applicant_name: str = "",
    applicant: dict[str, str] | None = None,
    notes: str = "",
    code: str | None = None,
    source_system: str = "",
    external_id: str | None = None,
    note: str = "",
) -> Dossier:
    """Record an online submission that staff have not yet accepted (status 1): no clock, never counted."""
    registered_at = resolve_time(registered_at, field="registered_at")
    local_day = registered_at.astimezone(BUSINESS_TZ).date()
    columns = _applicant_columns(applicant_name, applicant)

    def attempt(draw: int) -> Dossier:
        dossier = _new_dossier(
            procedure=procedure,
            receiving_unit=receiving_unit,
            handling_unit=handling_unit,
            channel=Channel.ONLINE,
            applicant=columns,
            notes=notes,
            actor=actor,
            code=code,
            source_system=source_system,
            external_id=external_id,
            day=local_day,
        )
        dossier.procedure_version = version_in_force(procedure, local_day)
        dossier.fee_amount = dossier.procedure_version.fee
        dossier.status = Status.REGISTERED
        dossier.registered_at = registered_at
        dossier.status_changed_at = registered_at
        _insert(dossier, draw)
        event = record(events.registered(dossier, at=registered_at, actor=actor, note=note))
        return attach_related(dossier, events=[event], documents=(), supplement_requests=())

    return _create(attempt)


@transaction.atomic
def accept_registered_dossier(
    dossier: Dossier, *, actor: Actor, at: dt.datetime | None = None, note: str = ""
) -> Dossier:
    """Staff accept an online submission: 1 → 2; the clock starts at acceptance."""
    dossier = locked(dossier)
    check_transition(dossier.status, Status.RECEIVED)
    at = resolve_time(at, not_before=dossier.status_changed_at)
    _apply_receipt(dossier, at)
    dossier.fee_amount = dossier.procedure_version.fee
    dossier.save()
    record(events.received(dossier, at=at, actor=actor, from_status=Status.REGISTERED, note=note))
    return dossier


def _new_dossier(
    *,
    procedure: Procedure,
    receiving_unit: Unit,
    handling_unit: Unit | None,
    channel: int,
    applicant: dict[str, str],
    notes: str,
    actor: Actor,
    code: str | None,
    source_system: str,
    external_id: str | None,
    day: dt.date,
) -> Dossier:
    _check_free(code=code, source_system=source_system, external_id=external_id)
    dossier = Dossier(
        code=code or "",  # a drawn code is drawn in _insert: the sequence row stays locked to commit
        source_system=source_system,
        external_id=external_id,
        procedure=procedure,
        receiving_unit=receiving_unit,
        handling_unit=handling_unit or receiving_unit,
        channel=channel,
        **applicant,
        notes=notes,
        created_by=actor.user,
        created_by_system=actor.system,
    )
    dossier._code_day = None if code else day  # the receipt day to number (and renumber on a clash)
    return dossier


def _applicant_columns(applicant_name: str, applicant: dict[str, str] | None) -> dict[str, str]:
    """The applicant's dossier columns (checked by :func:`apps.dossiers.applicant.clean_applicant`), the
    plain ``applicant_name`` of older clients filling the name when the object has none."""
    values = {"applicant_name": applicant_name, **(applicant or {})}
    problem = kind_problem(
        values.get("applicant_kind", ApplicantKind.PERSON), values.get("applicant_tax_code")
    )
    if problem is not None:
        raise DomainError(ErrorCode.VALIDATION_ERROR, problem[2], field=f"applicant.{problem[0]}")
    return folded_columns(values)


def _duplicate(code: str | None, source_system: str, external_id: str | None) -> DomainError | None:
    if code and Dossier.objects.filter(code=code).exists():
        return DomainError(
            ErrorCode.DUPLICATE_DOSSIER,
            gettext("A dossier with code %(code)s exists.") % {"code": code},
            field="code",
        )
    if external_id and Dossier.objects.filter(source_system=source_system, external_id=external_id).exists():
        return DomainError(
            ErrorCode.DUPLICATE_DOSSIER,
            gettext("A dossier with external id %(external_id)s from %(source)s exists.")
            % {"external_id": external_id, "source": source_system or gettext("this source")},
            field="external_id",
        )
    return None


def _check_free(*, code: str | None, source_system: str, external_id: str | None) -> None:
    """Refuse early (and with the field at fault) a code or external id that is already taken."""
    error = _duplicate(code, source_system, external_id)
    if error is not None:
        raise error


_CODE_ATTEMPTS = 5


class _Clash(Exception):
    """The insert hit a unique constraint; raised through the creating transaction so it rolls back."""

    def __init__(self, dossier: Dossier, drawn: bool) -> None:
        super().__init__(dossier.code)
        self.code, self.source_system, self.external_id = (
            dossier.code,
            dossier.source_system,
            dossier.external_id,
        )
        self.drawn = drawn


def _create(attempt: Callable[[int], Dossier]) -> Dossier:
    """Run ``attempt`` in a transaction; a concurrent insert of the same code or external id is
    ``duplicate_dossier``, and a drawn code already taken by a client's own code is drawn again.

    :func:`_check_free` answers the common case, but between that check and the insert another request
    may have written the same ``(source_system, external_id)`` (or chosen the code drawn): the unique
    constraint then refuses the row and the whole attempt rolls back. No savepoint is taken around the
    insert (two statements fewer per create): the attempt is the transaction (or, inside a caller's
    transaction, the savepoint). After the rollback the error names the field at fault (PostgreSQL
    raises the unique violation only once the other transaction has committed, so its row is visible).
    The rollback also gives the drawn number back, so attempt ``n`` draws ``n`` numbers and takes the
    last, past the taken one.
    """
    for draw in range(1, _CODE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return attempt(draw)
        except _Clash as clash:
            error = _duplicate(clash.code, clash.source_system, clash.external_id)
            if error is None:  # another constraint (a unit deleted meanwhile…): not a duplicate
                raise clash.__cause__ from None
            if error.field != "code" or not clash.drawn:
                raise error from clash.__cause__
    raise DomainError(
        ErrorCode.DUPLICATE_DOSSIER, gettext("Could not draw a free receipt code."), field="code"
    )


def _insert(dossier: Dossier, draw: int = 1) -> None:
    """Insert the new dossier, drawing its receipt code first when the client chose none (the sequence
    row stays locked to the end of the transaction). Call inside :func:`_create`'s attempt."""
    day = getattr(dossier, "_code_day", None)
    if day is not None:
        first = receipt_codes.allocate(dossier.receiving_unit.pk, day, draw)
        dossier.code = receipt_codes.format_code(dossier.receiving_unit.code, day, first + draw - 1)
    try:
        dossier.save(force_insert=True)
    except IntegrityError as conflict:
        raise _Clash(dossier, drawn=day is not None) from conflict
