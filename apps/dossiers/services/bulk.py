"""Set-based ingest of dossiers and status events from external systems (bulk API and import_dossiers).

The per-dossier services lock, validate and write one row at a time; this module does the same rules
for thousands of items with a constant number of queries per batch:

* validation is in memory against reference rows loaded once per batch (procedures and their versions,
  units, the working calendars), so one bad item never costs a query;
* a dossier is identified by ``(source_system, external_id)``: absent → **created**, present and equal →
  **unchanged**, present with new descriptive values (applicant, fee, handling unit, index flags) →
  **updated**; the receipt facts (procedure, receiving unit, channel, receipt time) fix the legal due
  date, which never moves, so a different value there is **rejected** (``receipt_mismatch``);
* new dossiers are inserted with ``INSERT … ON CONFLICT DO NOTHING`` (through COPY into a temporary
  table on PostgreSQL), so concurrent senders of the same records end with exactly one row each;
* status events carry their own time. A dossier's status history is replayed in event-time order with
  the new events merged in (the same clock rules as :mod:`apps.dossiers.services.transitions`), so late
  and out-of-order events re-classify it; an event equal to one already recorded is **unchanged**; one
  the transition table refuses at its place in time is **rejected**;
* a dossier may carry the ``documents`` it was received with, checked by the rules the single create
  uses (:mod:`apps.dossiers.documents`: shape by the API's own ``DocumentIn``, then components, mandatory
  ones, the digitization flags they decide); the components of the batch's versions are read in one
  query and the records of all new dossiers written with one ``bulk_create``.

Statistics are marked dirty once per batch (:func:`apps.statistics.tracking.unit_periods_changed`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from psycopg.errors import UniqueViolation
from rest_framework.exceptions import ValidationError

from apps.accounts.routing import route_allowed
from apps.catalogue.models import Procedure, ProcedureComponent, ProcedureVersion, TimeUnit
from apps.catalogue.rules import time_limit_for
from apps.core.actors import Actor
from apps.core.api.dates import instant_problem
from apps.core.api.errors import flatten_validation_detail
from apps.core.errors import DomainError, ErrorCode
from apps.dossiers.api.serializers import DocumentIn as DocumentSerializer
from apps.dossiers.applicant import ApplicantKind, clean_applicant, fold, kind_problem
from apps.dossiers.documents import (
    DERIVED_FLAGS,
    DocumentIn,
    DocumentProblem,
    DocumentRow,
    check_complete,
    check_flags,
    derived_flags,
    recorded_flag_problem,
    registration_problem,
    resolve,
)
from apps.dossiers.flags import Flag
from apps.dossiers.models import (
    Channel,
    Dossier,
    DossierDocument,
    DossierEvent,
    EventKind,
    SupplementRequest,
)
from apps.dossiers.receipt_codes import CodeBlocks
from apps.dossiers.services._common import FUTURE_TOLERANCE
from apps.dossiers.services.documents import document_models, from_documents_note, stored_rows
from apps.dossiers.status import ALLOWED_TRANSITIONS, END_STATUSES, Status
from apps.dossiers.timeliness import BUSINESS_TZ, classify, local_date
from apps.organisation.models import Unit
from apps.statistics.tracking import unit_periods_changed
from apps.workcalendar.deadlines import WorkingCalendar
from apps.workcalendar.services import calendar_for_unit

MAX_ITEMS = 5000
CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
FLAGS = tuple(f.value for f in Flag)
_FLAG_SET = frozenset(FLAGS)
_DERIVED_SET = frozenset(DERIVED_FLAGS)
# Choices as plain tuples: an enum's ``.values`` builds a new list on every call (this runs per item).
_CHANNELS = tuple(Channel.values)
_RECEIPT_STATUSES = (Status.REGISTERED.value, Status.RECEIVED.value)
_EVENT_STATUSES = tuple(s for s in Status.values if s != Status.REGISTERED)
# Plain ints and strings for the per-row code (an enum member's attribute lookup is a descriptor call).
_REGISTERED, _RECEIVED, _ONLINE = Status.REGISTERED.value, Status.RECEIVED.value, Channel.ONLINE.value
_KIND_RECEIVED, _KIND_REGISTERED = EventKind.RECEIVED.value, EventKind.REGISTERED.value
_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


# ---- results --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    index: int
    type: str
    external_id: str | None
    outcome: str = REJECTED
    code: str | None = None
    status: int | None = None
    changed: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, field_name: str | None, code: str, message: str) -> Outcome:
        self.outcome = REJECTED
        self.errors.append({"field": field_name, "code": str(code), "message": message})
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "type": self.type,
            "external_id": self.external_id,
            "outcome": self.outcome,
            "code": self.code,
            "status": self.status,
            "changed": self.changed,
            "errors": self.errors,
        }


@dataclass
class IngestResult:
    outcomes: list[Outcome]
    applied: bool = True

    def counts(self) -> dict[str, int]:
        counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, REJECTED: 0}
        for outcome in self.outcomes:
            counts[outcome.outcome] += 1
        return counts

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == REJECTED]


class _Rollback(Exception):
    pass


# ---- parsing (pure, no queries) ---------------------------------------------------------------------


@dataclass(slots=True)
class _DossierIn:
    outcome: Outcome
    external_id: str
    procedure: str
    receiving_unit: str
    handling_unit: str | None
    channel: int
    status: int
    at: dt.datetime
    applicant_name: str | None
    fee_amount: Decimal | None
    flags: dict[str, bool]
    applicant: dict[str, str] | None = None  # dossier columns (apps/dossiers/applicant.py), name included
    documents: tuple[DocumentIn, ...] | None = None  # None: the sender sent no documents
    missing_reason: str = ""
    rows: list[DocumentRow] | None = None  # the documents resolved against the version's components


@dataclass(slots=True)
class _EventIn:
    outcome: Outcome
    external_id: str
    status: int
    at: dt.datetime
    note: str
    reason: str


def _text(raw: dict, name: str, out: Outcome, *, required: bool, max_length: int) -> str | None:
    value = raw.get(name)
    if value.__class__ is str:  # the common case first
        value = value.strip()
        if value and len(value) <= max_length and "\x00" not in value:
            return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            out.reject(name, "required", gettext("This field is required."))
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "external_id":
        value = str(value)
    if not isinstance(value, str):
        out.reject(name, "invalid", gettext("Expected a string."))
        return None
    value = value.strip()
    if len(value) > max_length:
        out.reject(name, "max_length", gettext("At most %(n)d characters.") % {"n": max_length})
        return None
    if "\x00" in value:  # PostgreSQL cannot store it (files read by import_dossiers reach here unparsed)
        out.reject(name, ErrorCode.NUL_CHARACTER, gettext("Text may not contain the NUL character."))
        return None
    return value


def _integer(
    raw: dict, name: str, out: Outcome, *, choices: tuple[int, ...], default: int | None
) -> int | None:
    value = raw.get(name)
    if value is None or value == "":
        if default is None:
            out.reject(name, "required", gettext("This field is required."))
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        out.reject(name, "invalid", gettext("Expected an integer."))
        return None
    if value not in choices:
        out.reject(
            name,
            "invalid_choice",
            gettext("%(value)s is not one of %(choices)s.")
            % {"value": value, "choices": ", ".join(map(str, choices))},
        )
        return None
    return value


def _instant(raw: dict, name: str, out: Outcome, now: dt.datetime) -> dt.datetime | None:
    value = raw.get(name)
    if value is None or value == "":
        out.reject(name, "required", gettext("This field is required."))
        return None
    if not isinstance(value, str):
        out.reject(name, "invalid", gettext("Expected an ISO 8601 date-time string."))
        return None
    try:
        instant = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        out.reject(
            name, "invalid", gettext("%(value)s is not an ISO 8601 date-time.") % {"value": repr(value)}
        )
        return None
    if instant.tzinfo is None:
        out.reject(name, "invalid", gettext("The time must include a UTC offset."))
        return None
    if problem := instant_problem(instant):  # the API's one rule for instants (apps/core/api/dates.py)
        out.reject(name, ErrorCode.DATE_OUT_OF_RANGE, problem)
        return None
    if instant > now + FUTURE_TOLERANCE:
        code = ErrorCode.RECEIVED_IN_FUTURE if name == "received_at" else ErrorCode.VALIDATION_ERROR
        out.reject(name, code, gettext("%(at)s is in the future.") % {"at": value})
        return None
    return instant


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _parse_dossier(raw: dict, out: Outcome, now: dt.datetime) -> _DossierIn | None:
    external_id = _text(raw, "external_id", out, required=True, max_length=128)
    out.external_id = external_id
    procedure = _text(raw, "procedure", out, required=True, max_length=32)
    receiving = _text(raw, "receiving_unit", out, required=True, max_length=32)
    handling = _text(raw, "handling_unit", out, required=False, max_length=32)
    channel = _integer(raw, "channel", out, choices=_CHANNELS, default=Channel.COUNTER.value)
    status = _integer(raw, "status", out, choices=_RECEIPT_STATUSES, default=Status.RECEIVED.value)
    at = _instant(raw, "received_at", out, now)
    applicant = None
    if raw.get("applicant_name") is not None:
        applicant = raw["applicant_name"]
        if not isinstance(applicant, str):
            out.reject("applicant_name", "invalid", gettext("Expected a string."))
        elif len(applicant) > 255:
            out.reject("applicant_name", "max_length", gettext("At most 255 characters."))
        elif "\x00" in applicant:
            out.reject(
                "applicant_name", ErrorCode.NUL_CHARACTER, gettext("Text may not contain the NUL character.")
            )
    columns = None
    if raw.get("applicant") is not None:
        if not isinstance(raw["applicant"], dict):
            out.reject("applicant", "invalid", gettext("Send the applicant as an object."))
        else:
            columns, problems = clean_applicant(raw["applicant"])
            for key, code, message in problems:
                out.reject(f"applicant.{key}", code, message)
            if not problems and (
                problem := kind_problem(
                    columns.get("applicant_kind", ApplicantKind.PERSON), columns.get("applicant_tax_code")
                )
            ):
                out.reject(f"applicant.{problem[0]}", problem[1], problem[2])
            if "applicant_name" in columns:
                applicant = columns["applicant_name"]
    fee = None
    if raw.get("fee_amount") not in (None, ""):
        value = raw["fee_amount"]
        try:
            if isinstance(value, bool) or not isinstance(value, int | str | float | Decimal):
                raise InvalidOperation
            fee = Decimal(str(value).strip())
            if fee != fee.to_integral_value() or fee.is_nan():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            out.reject("fee_amount", "invalid", gettext("Expected a whole amount in VND."))
            fee = None
        else:
            if fee < 0:
                out.reject("fee_amount", "min_value", gettext("The fee cannot be negative."))
            elif fee >= Decimal(10) ** 14:
                out.reject("fee_amount", "max_digits", gettext("At most 14 digits."))
    documents, missing_reason = None, ""
    if raw.get("documents") is not None:
        documents = _documents(raw["documents"], out)
        if status == _REGISTERED:
            problem = registration_problem()
            out.reject(problem.field, problem.code, problem.message)
    if raw.get("missing_documents_reason") is not None:
        missing_reason = _text(raw, "missing_documents_reason", out, required=False, max_length=2000) or ""
    flags: dict[str, bool] = {}
    for name in () if _FLAG_SET.isdisjoint(raw) else FLAGS:
        if raw.get(name) not in (None, ""):
            value = _boolean(raw[name])
            if value is None:
                out.reject(name, "invalid", gettext("Expected true or false."))
            else:
                flags[name] = value
    if out.errors:
        return None
    return _DossierIn(out, external_id, procedure, receiving, handling, channel, status, at,
                      applicant, fee, flags, columns, documents, missing_reason)  # fmt: skip


# The single create's serializer of the documents, built once: validating keeps no per-call state on it
# (DRF's ListSerializer runs its child per element), while a fresh instance per item would copy its
# fields every time (about five times the parsing cost: 0.9 s instead of 0.17 s for 15,000 documents).
_DOCUMENTS = DocumentSerializer(many=True, max_length=200)


def _documents(value: Any, out: Outcome) -> tuple[DocumentIn, ...] | None:
    """The documents' shape, checked by the single create's own serializer (one declaration of each
    field's type and bounds); errors name ``documents.<i>.<field>`` as there."""
    try:
        return tuple(_DOCUMENTS.run_validation(value))
    except ValidationError as error:
        for problem in flatten_validation_detail(error.detail, "documents"):
            out.reject(problem["field"], problem["code"], problem["message"])
        return None


def _parse_event(raw: dict, out: Outcome, now: dt.datetime) -> _EventIn | None:
    external_id = _text(raw, "external_id", out, required=True, max_length=128)
    out.external_id = external_id
    status = _integer(raw, "status", out, choices=_EVENT_STATUSES, default=None)
    at = _instant(raw, "at", out, now)
    note = raw.get("note") or ""
    reason = raw.get("reason") or ""
    for name, text in (("note", note), ("reason", reason)):
        if not isinstance(text, str):
            out.reject(name, "invalid", gettext("Expected a string."))
        elif "\x00" in text:
            out.reject(name, ErrorCode.NUL_CHARACTER, gettext("Text may not contain the NUL character."))
    if out.errors:
        return None
    return _EventIn(out, external_id, status, at, note, reason)


# ---- reference data, loaded once per batch -----------------------------------------------------------


_CACHE_LIMIT = 20_000  # entries of each per-ingest memo (bounded memory on any file size)


class Reference:
    """Procedures, their versions, units and calendars for one ingest; reusable across batches."""

    def __init__(self) -> None:
        self.procedures: dict[str, Procedure | None] = {}
        self.versions: dict[int, list[ProcedureVersion]] = {}
        self.units: dict[str, Unit | None] = {}
        self.units_by_id: dict[int, Unit] = {}
        self.calendars: dict[str, WorkingCalendar] = {}
        self._unit_calendars: dict[int, WorkingCalendar] = {}
        self._limits: dict[tuple[int, bool], tuple[Decimal, str] | None] = {}
        self._dues: dict[tuple, dt.datetime] = {}
        self._components: dict[int, list[ProcedureComponent]] = {}
        # Receipt codes from the per-unit, per-day sequence (apps/dossiers/receipt_codes.py); the blocks
        # reserved for a batch live as long as its transaction.
        self.codes = CodeBlocks()
        self.new_code = self.codes

    def load(self, procedure_codes: set[str], unit_codes: set[str]) -> None:
        missing = procedure_codes - self.procedures.keys()
        if missing:
            found = {p.code: p for p in Procedure.objects.filter(code__in=missing)}
            for code in missing:
                self.procedures[code] = found.get(code)
            ids = [p.pk for p in found.values()]
            for version in ProcedureVersion.objects.filter(procedure_id__in=ids).order_by("-valid_from"):
                self.versions.setdefault(version.procedure_id, []).append(version)
        missing = unit_codes - self.units.keys()
        if missing:
            found_units = {u.code: u for u in Unit.objects.filter(code__in=missing)}
            for code in missing:
                self.units[code] = found_units.get(code)
                if found_units.get(code):
                    self.units_by_id[found_units[code].pk] = found_units[code]

    def unit_by_id(self, pk: int) -> Unit:
        unit = self.units_by_id.get(pk)
        if unit is None:
            unit = self.units_by_id[pk] = Unit.objects.get(pk=pk)
        return unit

    def version_on(self, procedure: Procedure, day: dt.date) -> ProcedureVersion | None:
        if procedure.pk not in self.versions:
            self.versions[procedure.pk] = list(procedure.versions.order_by("-valid_from"))
        for version in self.versions[procedure.pk]:
            if version.valid_from <= day and (version.valid_to is None or version.valid_to >= day):
                return version
        return None

    def version_by_id(self, pk: int) -> ProcedureVersion:
        for versions in self.versions.values():
            for version in versions:
                if version.pk == pk:
                    return version
        version = ProcedureVersion.objects.get(pk=pk)
        self.versions.setdefault(version.procedure_id, []).append(version)
        return version

    def components(self, version_id: int | None) -> list[ProcedureComponent]:
        """The version's components, in order. The first call reads those of every version loaded so
        far (one query per batch, whatever the number of items); a version met later costs one more."""
        if version_id is None:
            return []
        found = self._components.get(version_id)
        if found is None:
            ids = {v.pk for versions in self.versions.values() for v in versions} | {version_id}
            ids -= self._components.keys()
            for pk in ids:
                self._components[pk] = []
            for component in ProcedureComponent.objects.filter(version_id__in=ids).order_by("position"):
                self._components[component.version_id].append(component)
            found = self._components[version_id]
        return found

    def calendar(self, unit: Unit) -> WorkingCalendar:
        calendar = self._unit_calendars.get(unit.id)
        if calendar is None:
            root = unit.root_code
            calendar = self.calendars.get(root)
            if calendar is None:
                calendar = self.calendars[root] = calendar_for_unit(unit)
            self._unit_calendars[unit.id] = calendar
        return calendar

    def legal_due(self, version: ProcedureVersion, unit: Unit, received_at: dt.datetime, channel: int):
        """The legal due instant from the unit's in-memory calendar (as receipt computes it); memoised.

        Receipts share instants (files often carry whole minutes), so the instant computed for
        (calendar, instant, limit, unit of time) is kept for the rest of the ingest.
        """
        online = channel == _ONLINE
        try:
            rule = self._limits[(version.id, online)]
        except KeyError:
            limit = time_limit_for(version, online=online)
            no_limit = not limit and version.time_unit not in (TimeUnit.SAME_DAY, TimeUnit.HALF_DAY)
            rule = self._limits[(version.id, online)] = None if no_limit else (limit, version.time_unit)
        if rule is None:
            return None
        calendar = self.calendar(unit)
        key = (id(calendar), received_at, *rule)
        due = self._dues.get(key)
        if due is None:
            if len(self._dues) >= _CACHE_LIMIT:
                self._dues.clear()
            due = self._dues[key] = calendar.due_at(received_at, *rule)
        return due


# ---- the replay of a dossier's status history ------------------------------------------------------


@dataclass
class _Step:
    at: dt.datetime
    status: int
    new: _EventIn | None = None  # None for an event already in the history
    from_status: int | None = None
    kind: str = EventKind.STATUS_CHANGED
    data: dict = field(default_factory=dict)


_STATE_FIELDS = (
    "status", "status_changed_at", "received_at", "received_on", "procedure_version_id", "legal_due_at",
    "effective_due_at", "due_on", "paused_since", "supplement_count", "finished_at", "returned_at",
    "ended_at", "ended_on", "timeliness", "processing_minutes", "fee_amount",
)  # fmt: skip


def _replay(dossier: Dossier, steps: list[_Step], ref: Reference) -> tuple[dict, list[list], _Step | None]:
    """Apply ``steps`` (in time order) from the dossier's creation. Returns (state, pauses, failing step)."""
    registered = dossier.registered_at is not None
    state = {
        "status": Status.REGISTERED if registered else Status.RECEIVED,
        "status_changed_at": dossier.registered_at if registered else dossier.received_at,
        "received_at": None if registered else dossier.received_at,
        "received_on": None if registered else dossier.received_on,
        "procedure_version_id": dossier.procedure_version_id,
        "legal_due_at": None if registered else dossier.legal_due_at,
        "effective_due_at": None if registered else dossier.legal_due_at,
        "due_on": None if registered else local_date(dossier.legal_due_at),
        "paused_since": None, "supplement_count": 0, "finished_at": None, "returned_at": None,
        "ended_at": None, "ended_on": None, "timeliness": "", "processing_minutes": None,
        "fee_amount": dossier.fee_amount,
    }  # fmt: skip
    pauses: list[list] = []  # [requested_at, completed_at, reason]
    handling = ref.unit_by_id(dossier.handling_unit_id)

    def close_pause(at: dt.datetime) -> None:
        pauses[-1][1] = at
        state["paused_since"] = None
        if state["legal_due_at"] is not None:
            due = ref.calendar(handling).effective_due_at(
                state["legal_due_at"], [(p[0], p[1]) for p in pauses]
            )
            state["effective_due_at"], state["due_on"] = due, local_date(due)

    for step in steps:
        current = state["status"]
        if Status(step.status) not in ALLOWED_TRANSITIONS[Status(current)] or (
            state["status_changed_at"] is not None and step.at < state["status_changed_at"]
        ):
            if step.new is None:
                continue  # history written before these rules; keep it as it is
            return state, pauses, step
        step.from_status = current
        step.kind, step.data = EventKind.STATUS_CHANGED, {}
        target = step.status
        if target == Status.RECEIVED:  # acceptance of an online registration
            step.kind = EventKind.RECEIVED
            if step.new is None:
                state["received_at"], state["received_on"] = dossier.received_at, dossier.received_on
                state["legal_due_at"] = state["effective_due_at"] = dossier.legal_due_at
                state["procedure_version_id"] = dossier.procedure_version_id
            else:
                day = step.at.astimezone(BUSINESS_TZ).date()
                version = ref.version_on(dossier.procedure, day)
                if version is None:
                    return state, pauses, step
                due = ref.legal_due(version, handling, step.at, dossier.channel)
                state.update(received_at=step.at, received_on=day, procedure_version_id=version.pk,
                             legal_due_at=due, effective_due_at=due, fee_amount=version.fee)  # fmt: skip
                step.data = {
                    "legal_due_at": due.isoformat() if due else None,
                    "procedure_version": version.pk,
                }
            state["due_on"] = local_date(state["effective_due_at"])
        elif target == Status.SUPPLEMENT_REQUESTED:
            state["supplement_count"] += 1
            state["paused_since"] = step.at
            reason = step.new.reason if step.new else ""
            pauses.append([step.at, None, reason])
            step.kind = EventKind.SUPPLEMENT_REQUESTED
            step.data = {"number": state["supplement_count"], "reason": reason}
        elif target == Status.PROCESSING and current == Status.SUPPLEMENT_REQUESTED:
            close_pause(step.at)
            step.kind = EventKind.SUPPLEMENT_COMPLETED
            due = state["effective_due_at"]
            step.data = {
                "number": state["supplement_count"],
                "effective_due_at": due.isoformat() if due else None,
            }
        elif target in END_STATUSES and target != Status.RESULT_RETURNED:
            if target == Status.FINISHED:
                state["finished_at"] = step.at
            if state["paused_since"] is not None:
                close_pause(step.at)
            if state["ended_at"] is None:
                state["ended_at"], state["ended_on"] = step.at, local_date(step.at)
                calendar = ref.calendar(handling)
                paused = sum(calendar.working_minutes_between(p[0], p[1]) for p in pauses if p[1])
                if state["received_at"] is not None:
                    total = calendar.working_minutes_between(state["received_at"], step.at)
                    state["processing_minutes"] = max(0, total - paused)
            state["timeliness"] = classify(
                ended_at=state["ended_at"], due_at=state["effective_due_at"],
                supplement_count=state["supplement_count"],
            )  # fmt: skip
            step.data = {"timeliness": state["timeliness"]}
        elif target == Status.RESULT_RETURNED:
            state["returned_at"] = step.at
        state["status"] = target
        state["status_changed_at"] = step.at
    return state, pauses, None


# ---- the ingest -----------------------------------------------------------------------------------


def _in_scope(unit: Unit, scope_path: str | None) -> bool:
    return scope_path is None or unit.path.startswith(scope_path)


_DOSSIER_FIELDS = [f for f in Dossier._meta.concrete_fields if not f.primary_key]
DOSSIER_COLUMNS = [f.column for f in _DOSSIER_FIELDS]
_DOSSIER_DEFAULTS = [None if f.null and not f.has_default() else f.get_default() for f in _DOSSIER_FIELDS]
_DCOL = {f.attname: i for i, f in enumerate(_DOSSIER_FIELDS)}
# For tools that prepare rows in this layout (the ingest benchmark's raw COPY baseline).
DOSSIER_DEFAULTS, DOSSIER_INDEX = tuple(_DOSSIER_DEFAULTS), _DCOL
# Event rows are lists in this order (the COPY column list follows it).
_EVENT_ORDER = ("dossier_id", "kind", "occurred_at", "recorded_at", "from_status", "to_status",
                "actor_user_id", "actor_system", "note", "data", "dispatched_at")  # fmt: skip
EVENT_COLUMNS = [DossierEvent._meta.get_field(name.removesuffix("_id")).column for name in _EVENT_ORDER]
assert sorted(EVENT_COLUMNS) == sorted(
    f.column for f in DossierEvent._meta.concrete_fields if not f.primary_key
)
_EVENT_DATA = _EVENT_ORDER.index("data")


def _event_row(dossier_id: int, kind: str, at, from_status, to_status, system: str, note: str,
               data: dict | str, now: dt.datetime) -> list:  # fmt: skip
    """One history row; ``data`` is a dict or its JSON text (the receipt events are written as text)."""
    return [dossier_id, kind, at, now, from_status, to_status, None, system, note, data, now]


@dataclass
class Parsed:
    """Items read and checked in memory (no queries): what :func:`apply` writes."""

    outcomes: list[Outcome]
    dossiers: list[_DossierIn]
    events: list[_EventIn]
    now: dt.datetime


def ingest(
    items: list[Any],
    *,
    source_system: str,
    actor: Actor,
    scope_path: str | None = None,
    all_or_nothing: bool = False,
    reference: Reference | None = None,
    index_offset: int = 0,
) -> IngestResult:
    """Create, update or leave unchanged each dossier item; apply each status event. Never raises on items."""
    return apply(
        parse(items, index_offset=index_offset),
        source_system=source_system,
        actor=actor,
        scope_path=scope_path,
        all_or_nothing=all_or_nothing,
        reference=reference,
    )


def parse(items: list[Any], *, index_offset: int = 0, now: dt.datetime | None = None) -> Parsed:
    """Check every item's shape and values in memory (no queries)."""
    if len(items) > MAX_ITEMS:
        raise DomainError(
            ErrorCode.TOO_MANY_ITEMS,
            gettext("At most %(n)s items per request.") % {"n": MAX_ITEMS},
            field="items",
        )
    now = now or timezone.now()
    dossiers: list[_DossierIn] = []
    evts: list[_EventIn] = []
    outcomes: list[Outcome] = []
    for offset, raw in enumerate(items):
        index = index_offset + offset
        if not isinstance(raw, dict):
            out = Outcome(index, "unknown", None).reject(
                None, "invalid", gettext("Each item must be an object.")
            )
            outcomes.append(out)
            continue
        kind = raw.get("type", "dossier")
        out = Outcome(index, kind if kind in ("dossier", "event") else "unknown", None)
        outcomes.append(out)
        if kind == "dossier":
            parsed = _parse_dossier(raw, out, now)
            if parsed:
                dossiers.append(parsed)
        elif kind == "event":
            parsed_event = _parse_event(raw, out, now)
            if parsed_event:
                evts.append(parsed_event)
        else:
            out.reject("type", "invalid_choice", gettext("type must be `dossier` or `event`."))
    return Parsed(outcomes, dossiers, evts, now)


def apply(
    parsed: Parsed,
    *,
    source_system: str,
    actor: Actor,
    scope_path: str | None = None,
    all_or_nothing: bool = False,
    reference: Reference | None = None,
) -> IngestResult:
    """Validate the parsed items against the database and write them, in one transaction."""
    ref = reference or Reference()
    dossiers, evts, now = parsed.dossiers, parsed.events, parsed.now
    result = IngestResult(parsed.outcomes)
    ref.load(
        {d.procedure for d in dossiers},
        {d.receiving_unit for d in dossiers} | {d.handling_unit for d in dossiers if d.handling_unit},
    )
    initial = [_snapshot(o) for o in result.outcomes]
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        ref.codes.clear()  # numbers reserved by a rolled-back attempt were given back with it
        try:
            with transaction.atomic():
                _apply(dossiers, evts, ref=ref, source=source_system, actor=actor, scope_path=scope_path,
                       now=now)  # fmt: skip
                if all_or_nothing and result.rejected:
                    raise _Rollback
        except _Rollback:
            result.applied = False
        except Exception as exc:
            if attempt == RETRY_ATTEMPTS or not is_retryable(exc):
                raise
            # A deadlock or serialization failure rolled the whole attempt back: start again from the
            # parsed items (their outcomes as parsing left them), after a short randomised pause.
            for outcome, state in zip(result.outcomes, initial, strict=True):
                _restore(outcome, state)
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # jitter, not security
            continue
        return result
    return result  # not reached: the last attempt returns or raises


RETRY_ATTEMPTS = 5
_RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def is_retryable(exc: BaseException) -> bool:
    """A transient PostgreSQL conflict (deadlock, serialization failure), raw or wrapped by Django."""
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return True
        seen = seen.__cause__
    return False


def _snapshot(outcome: Outcome) -> tuple:
    return (outcome.outcome, outcome.code, outcome.status, list(outcome.changed), list(outcome.errors))


def _restore(outcome: Outcome, state: tuple) -> None:
    outcome.outcome, outcome.code, outcome.status = state[0], state[1], state[2]
    outcome.changed, outcome.errors = list(state[3]), list(state[4])


def _validate_refs(item: _DossierIn, ref: Reference, scope_path: str | None):
    out = item.outcome
    procedure = ref.procedures.get(item.procedure)
    if procedure is None:
        out.reject(
            "procedure",
            ErrorCode.UNKNOWN_PROCEDURE,
            gettext("Unknown %(noun)s code %(code)s.")
            % {"noun": gettext("procedure"), "code": repr(item.procedure)},
        )
    units = {}
    for name in ("receiving_unit", "handling_unit"):
        code = getattr(item, name)
        if code is None:
            continue
        unit = ref.units.get(code)
        if unit is None:
            out.reject(
                name, ErrorCode.UNKNOWN_UNIT, gettext("Unknown unit code %(code)s.") % {"code": repr(code)}
            )
        elif name == "receiving_unit" and not _in_scope(unit, scope_path):
            out.reject(
                name,
                ErrorCode.UNIT_OUT_OF_SCOPE,
                gettext("Unit %(code)s is outside the client's subtree.") % {"code": code},
            )
        elif name == "handling_unit" and not route_allowed(units.get("receiving_unit") or unit, unit):
            # the receiving unit is in the client's subtree; the routing rule bounds where it may go on
            out.reject(
                name,
                ErrorCode.UNIT_OUT_OF_SCOPE,
                gettext("Unit %(code)s is outside the receiving province.") % {"code": code},
            )
        units[name] = unit
    return procedure, units.get("receiving_unit"), units.get("handling_unit") or units.get("receiving_unit")


def _apply(dossiers, evts, *, ref, source, actor, scope_path, now) -> None:
    # One entry per external id: a repeated identical dossier is unchanged, a differing one is rejected.
    by_ext: dict[str, _DossierIn] = {}
    unique: list[_DossierIn] = []
    repeats: list[_DossierIn] = []
    for item in dossiers:
        first = by_ext.get(item.external_id)
        if first is None:
            by_ext[item.external_id] = item
            unique.append(item)
        else:
            repeats.append(item)
    wanted = set(by_ext) | {e.external_id for e in evts}
    existing = _existing(source, wanted)
    _stored_documents(
        [existing[i.external_id] for i in unique if i.external_id in existing
         and (i.documents is not None or not _DERIVED_SET.isdisjoint(i.flags))]
    )  # fmt: skip
    new_rows: dict[str, list] = {}
    touched: dict[int, Dossier] = {}
    event_rows: list[list] = []
    supplement_rewrites: dict[int, list[list]] = {}
    for item in unique:
        procedure, receiving, handling = _validate_refs(item, ref, scope_path)
        if item.outcome.errors:
            continue
        dossier = existing.get(item.external_id)
        if dossier is not None:
            _compare(item, dossier, procedure, receiving, handling, ref, touched, event_rows, actor, now)
            continue
        row = _new_row(item, procedure, receiving, handling, ref, source, actor, now)
        if row is not None:
            new_rows[item.external_id] = row
    new_rows = _number_new_rows(new_rows, by_ext, ref)
    inserted = _insert_new(source, new_rows, by_ext, ref, existing, touched, event_rows, actor, now)
    for item in repeats:
        first = by_ext[item.external_id]
        same = (item.procedure, item.receiving_unit, item.handling_unit, item.channel, item.status, item.at,
                item.applicant_name, item.fee_amount, item.flags, item.applicant, item.documents,
                item.missing_reason) == (
                first.procedure, first.receiving_unit, first.handling_unit, first.channel, first.status,
                first.at, first.applicant_name, first.fee_amount, first.flags, first.applicant,
                first.documents, first.missing_reason)  # fmt: skip
        if same and first.outcome.outcome != REJECTED:
            item.outcome.outcome, item.outcome.code = UNCHANGED, first.outcome.code
            item.outcome.status = first.outcome.status
        else:
            item.outcome.reject("external_id", ErrorCode.DUPLICATE_IN_REQUEST,
                                gettext("The same external id appears earlier in this request with other values."))  # fmt: skip
    if evts:
        _apply_events(evts, source, existing, inserted, ref, scope_path, touched, event_rows,
                      supplement_rewrites, actor, now)  # fmt: skip
    # Writes: changed dossiers, their supplement pauses, the new history rows.
    if touched:
        fields = sorted({f for d in touched.values() for f in d._changed_fields} | {"updated_at"})
        for dossier in touched.values():
            dossier.updated_at = now
        Dossier.objects.bulk_update(list(touched.values()), fields, batch_size=500)
    if supplement_rewrites:
        SupplementRequest.objects.filter(dossier_id__in=list(supplement_rewrites)).delete()
        SupplementRequest.objects.bulk_create(
            SupplementRequest(dossier_id=pk, number=n, requested_at=p[0], completed_at=p[1], reason=p[2])
            for pk, pauses in supplement_rewrites.items()
            for n, p in enumerate(pauses, start=1)
        )
    documents = [
        document
        for ext, (pk, _row) in inserted.items()
        if by_ext[ext].rows
        for document in document_models(pk, by_ext[ext].rows)
    ]
    if documents:
        DossierDocument.objects.bulk_create(documents, batch_size=1000)
    _insert_events(event_rows)
    first_days: dict[int, dt.date] = {}
    for dossier in touched.values():
        if dossier.received_on:  # a registered (not yet received) dossier is in no statistics
            for unit_id in (dossier.handling_unit_id, *getattr(dossier, "_previous_units", ())):
                first_days[unit_id] = min(first_days.get(unit_id, dossier.received_on), dossier.received_on)
    for _pk, row in inserted.values():
        received_on, unit_id = row[_RECEIVED_ON], row[_HANDLING_UNIT]
        if received_on and (unit_id not in first_days or received_on < first_days[unit_id]):
            first_days[unit_id] = received_on
    if first_days:
        unit_periods_changed(tuple(first_days), min(first_days.values()))


def _resolve_documents(item: _DossierIn, components: list[ProcedureComponent]) -> bool:
    """Check the item's documents by the single create's rules; False (item rejected) on a problem."""
    try:
        rows = resolve(components, item.documents or ())
        check_complete(components, rows, item.missing_reason)
        check_flags(item.flags, rows)
    except DocumentProblem as problem:
        item.outcome.reject(problem.field, problem.code, problem.message)
        return False
    item.rows = rows
    return True


def _stored_documents(dossiers: list[Dossier]) -> None:
    """Attach each dossier's document records (as rows' dicts) in one query: ``dossier._documents``."""
    by_pk: dict[int, list[DossierDocument]] = {d.pk: [] for d in dossiers}
    if not by_pk:
        return
    query = DossierDocument.objects.filter(dossier_id__in=list(by_pk)).select_related("component")
    for document in query.order_by("dossier_id", "position"):
        by_pk[document.dossier_id].append(document)
    for dossier in dossiers:
        dossier._documents = stored_rows(by_pk[dossier.pk])


def _derived_flag_events(pk: int, row: list, item: _DossierIn, system: str, now: dt.datetime) -> list[list]:
    """The flag events the receipt service writes when the documents set a flag (at the receipt)."""
    if not item.rows:
        return []
    note = from_documents_note()
    return [
        _event_row(
            pk,
            EventKind.FLAG_SET,
            row[_STATUS_CHANGED_AT],
            None,
            None,
            system,
            note,
            {"flag": flag, "value": value},
            now,
        )
        for flag, value in derived_flags(item.rows).items()
        if value != _FLAG_DEFAULTS[flag]
    ]


def _existing(source: str, external_ids: set[str]) -> dict[str, Dossier]:
    """The source's dossiers with these external ids, locked (PostgreSQL) in id order."""
    if not external_ids:
        return {}
    ids = sorted(external_ids)
    query = Dossier.objects.select_related("procedure")
    if connection.vendor == "postgresql":
        # One array parameter instead of thousands; a new batch (the common case) ends here, empty.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {Dossier._meta.db_table} WHERE source_system = %s AND external_id = ANY(%s) "
                "ORDER BY id FOR UPDATE",
                [source, ids],
            )
            pks = [pk for (pk,) in cursor.fetchall()]
        return {d.external_id: d for d in query.filter(pk__in=pks)} if pks else {}
    found: dict[str, Dossier] = {}
    for start in range(0, len(ids), 2000):
        for dossier in query.filter(source_system=source, external_id__in=ids[start : start + 2000]):
            found[dossier.external_id] = dossier
    return found


def _mark(dossier: Dossier, touched: dict[int, Dossier], **values) -> None:
    changed = getattr(dossier, "_changed_fields", None)
    if changed is None:
        changed = dossier._changed_fields = set()
    for name, value in values.items():
        if getattr(dossier, name) != value:
            setattr(dossier, name, value)
            changed.add(name)
    if changed:
        touched[dossier.pk] = dossier


def _compare(item, dossier, procedure, receiving, handling, ref, touched, event_rows, actor, now) -> None:
    out = item.outcome
    out.code, out.status = dossier.code, dossier.status
    receipt = {
        "procedure": dossier.procedure_id == procedure.pk,
        "receiving_unit": dossier.receiving_unit_id == receiving.pk,
        "channel": dossier.channel == item.channel,
        "status": (item.status == Status.REGISTERED) == (dossier.registered_at is not None),
        "received_at": (dossier.registered_at or dossier.received_at) == item.at,
    }
    for name, same in receipt.items():
        if not same:
            out.reject(name, ErrorCode.RECEIPT_MISMATCH,
                       gettext("%(field)s differs from the recorded dossier; the receipt facts fix the legal due "
                               "date and cannot change (send status events for later changes).") % {"field": name})  # fmt: skip
    if item.applicant:
        kind = item.applicant.get("applicant_kind", dossier.applicant_kind)
        if problem := kind_problem(
            kind, item.applicant.get("applicant_tax_code", dossier.applicant_tax_code)
        ):
            out.reject(f"applicant.{problem[0]}", problem[1], problem[2])
    if item.documents is not None or not _DERIVED_SET.isdisjoint(item.flags):
        _compare_documents(item, dossier, ref)
    if out.errors:
        return
    changes: dict[str, Any] = {}
    if item.handling_unit is not None and dossier.handling_unit_id != handling.pk:
        previous = ref.unit_by_id(dossier.handling_unit_id)
        changes["handling_unit_id"] = handling.pk
        dossier._previous_units = (previous.pk,)
        event_rows.append(_event_row(dossier.pk, EventKind.HANDLING_UNIT_ASSIGNED, now, None, None, actor.system,
                                     "", {"from": previous.code, "to": handling.code}, now))  # fmt: skip
    if item.applicant_name is not None and item.applicant_name != dossier.applicant_name:
        changes["applicant_name"] = item.applicant_name
        changes["applicant_name_folded"] = fold(item.applicant_name)
    for column, value in (item.applicant or {}).items():
        if column != "applicant_name" and getattr(dossier, column) != value:
            changes[column] = value
    if item.fee_amount is not None and item.fee_amount != dossier.fee_amount:
        changes["fee_amount"] = item.fee_amount
    for flag, value in item.flags.items():
        if getattr(dossier, flag) != value:
            changes[flag] = value
            event_rows.append(_event_row(dossier.pk, EventKind.FLAG_SET, now, None, None, actor.system, "",
                                         {"flag": flag, "value": value}, now))  # fmt: skip
    if changes:
        _mark(dossier, touched, **changes)
        out.outcome = UPDATED
        out.changed = sorted(k.removesuffix("_id") for k in changes if k != "applicant_name_folded")
    else:
        out.outcome = UNCHANGED


def _compare_documents(item: _DossierIn, dossier: Dossier, ref: Reference) -> None:
    """Documents are receipt facts: the same ones (or none sent) pass, others are ``receipt_mismatch``;
    a digitization flag may not contradict the records (``flag_from_documents``)."""
    out = item.outcome
    if not hasattr(dossier, "_documents"):  # a dossier another request created meanwhile
        _stored_documents([dossier])
    stored = dossier._documents
    if item.documents is not None:
        if not _resolve_documents(item, ref.components(dossier.procedure_version_id)):
            return
        if [row.as_dict() for row in item.rows or ()] != stored or (
            item.missing_reason != dossier.missing_documents_reason
        ):
            out.reject("documents", ErrorCode.RECEIPT_MISMATCH,
                       gettext("The documents differ from those recorded with the dossier; record them again "
                               "with POST /api/v1/dossiers/%(code)s/documents/.") % {"code": dossier.code})  # fmt: skip
    elif stored:
        for flag in DERIVED_FLAGS:
            if flag in item.flags and item.flags[flag] != getattr(dossier, flag):
                problem = recorded_flag_problem(flag)
                out.reject(flag, problem.code, problem.message)


_CODE, _EXTERNAL_ID, _STATUS = _DCOL["code"], _DCOL["external_id"], _DCOL["status"]
_RECEIVED_ON, _HANDLING_UNIT = _DCOL["received_on"], _DCOL["handling_unit_id"]
_STATUS_CHANGED_AT, _LEGAL_DUE = _DCOL["status_changed_at"], _DCOL["legal_due_at"]
_VERSION = _DCOL["procedure_version_id"]
_FLAG_DEFAULTS = {flag: _DOSSIER_DEFAULTS[_DCOL[flag]] for flag in DERIVED_FLAGS}


def _new_row(item, procedure, receiving, handling, ref, source, actor, now) -> list | None:
    out = item.outcome
    local = item.at.astimezone(BUSINESS_TZ)  # converted once: the calendar reads business time too
    day = local.date()
    version = ref.version_on(procedure, day)
    if version is None:
        out.reject("procedure", ErrorCode.NO_PROCEDURE_VERSION,
                   gettext("Procedure %(code)s has no version in force on %(day)s.")
                   % {"code": procedure.code, "day": day.isoformat()})  # fmt: skip
        return None
    if item.documents is not None and not _resolve_documents(item, ref.components(version.id)):
        return None
    row = list(_DOSSIER_DEFAULTS)
    c = _DCOL
    if item.status == _RECEIVED:
        try:
            due = ref.legal_due(version, handling, local, item.channel)
        except DomainError as error:
            out.reject("received_at", error.code, error.message)
            return None
        row[c["received_at"]] = item.at
        row[_RECEIVED_ON] = day
        row[_LEGAL_DUE] = row[c["effective_due_at"]] = due
        row[c["due_on"]] = due.astimezone(BUSINESS_TZ).date() if due is not None else None
    else:
        row[c["registered_at"]] = item.at
    row[_CODE] = None  # numbered once the batch's new rows are known (_number_new_rows)
    row[c["source_system"]] = source
    row[_EXTERNAL_ID] = item.external_id
    row[c["procedure_id"]] = procedure.id
    row[_VERSION] = version.id
    row[c["receiving_unit_id"]] = receiving.id
    row[_HANDLING_UNIT] = handling.id
    row[c["channel"]] = _ONLINE if item.status == _REGISTERED else item.channel
    row[c["applicant_name"]] = item.applicant_name or ""
    row[c["applicant_name_folded"]] = fold(item.applicant_name or "")
    for column, value in (item.applicant or {}).items():
        row[c[column]] = value
    row[c["applicant_name"]] = item.applicant_name or ""
    row[_STATUS] = item.status
    row[_STATUS_CHANGED_AT] = item.at
    row[c["fee_amount"]] = item.fee_amount if item.fee_amount is not None else version.fee
    for flag, value in item.flags.items():
        row[c[flag]] = value
    if item.rows is not None:
        row[c["missing_documents_reason"]] = item.missing_reason
        for flag, value in derived_flags(item.rows).items():
            row[c[flag]] = value
    row[c["created_by_system"]] = actor.system
    row[c["created_at"]] = row[c["updated_at"]] = now
    return row


def _number_new_rows(new_rows: dict[str, list], by_ext: dict[str, _DossierIn], ref: Reference) -> dict:
    """Give each new row its receipt code, in external-id order, and return the rows in that order.

    One order for every sender: concurrent batches holding the same new external ids then insert them
    (and take their unit-day sequence rows) in the same order, so they wait for each other instead of
    deadlocking on the unique index.
    """
    ordered = sorted(new_rows)
    keys = []
    for ext in ordered:
        item = by_ext[ext]
        keys.append((ref.units[item.receiving_unit], item.at.astimezone(BUSINESS_TZ).date()))
    ref.codes.reserve((unit.pk, day) for unit, day in keys)
    for ext, (unit, day) in zip(ordered, keys, strict=True):
        new_rows[ext][_CODE] = ref.new_code(unit, day)
    return {ext: new_rows[ext] for ext in ordered}


def _receipt_event(pk: int, row: list, system: str, now: dt.datetime) -> list:
    """The history row of a new dossier (received, or registered online), its data as JSON text."""
    if row[_STATUS] == _REGISTERED:
        return _event_row(pk, _KIND_REGISTERED, row[_STATUS_CHANGED_AT], None, _REGISTERED, system, "", "{}",
                          now)  # fmt: skip
    due = row[_LEGAL_DUE]
    data = '{"legal_due_at": %s, "procedure_version": %d}' % (  # noqa: UP031 - per row, kept cheap
        f'"{due.isoformat()}"' if due is not None else "null",
        row[_VERSION],
    )
    return _event_row(pk, _KIND_RECEIVED, row[_STATUS_CHANGED_AT], None, _RECEIVED, system, "", data, now)


def _insert_new(source, new_rows, by_ext, ref, existing, touched, event_rows, actor, now) -> dict:
    """Insert ignoring conflicts; rows another writer created meanwhile become existing ones.

    Returns external_id → (id, row) of the dossiers this call inserted.
    """
    inserted: dict[str, tuple[int, list]] = {}
    pending = dict(new_rows)
    for _attempt in range(3):
        if not pending:
            break
        got = _insert_rows(list(pending.values()))
        lost = [ext for ext in pending if ext not in got]
        for ext, pk in got.items():
            row = pending[ext]
            inserted[ext] = (pk, row)
            out = by_ext[ext].outcome
            out.outcome, out.code, out.status = CREATED, row[_CODE], row[_STATUS]
            event_rows.append(_receipt_event(pk, row, actor.system, now))
            event_rows.extend(_derived_flag_events(pk, row, by_ext[ext], actor.system, now))
        pending = {}
        if lost:
            raced = _existing(source, set(lost))
            for ext in lost:
                item = by_ext[ext]
                if ext in raced:  # created concurrently by another request: compare with it
                    existing[ext] = raced[ext]
                    procedure = ref.procedures[item.procedure]
                    receiving = ref.units[item.receiving_unit]
                    handling = ref.units.get(item.handling_unit or "") or receiving
                    _compare(item, raced[ext], procedure, receiving, handling, ref, touched, event_rows,
                             actor, now)  # fmt: skip
                else:  # a receipt-code collision: draw another code
                    row = new_rows[ext]
                    day = item.at.astimezone(BUSINESS_TZ).date()  # the receipt's day, as first drawn
                    row[_CODE] = ref.new_code(ref.units[item.receiving_unit], day)
                    pending[ext] = row
    for ext in pending:
        by_ext[ext].outcome.reject(
            "code", ErrorCode.DUPLICATE_DOSSIER, gettext("Could not draw a free receipt code.")
        )
    return inserted


def _insert_rows(rows: list[list]) -> dict[str, int]:
    """Insert dossier rows, skipping conflicts; returns external_id → id of the inserted ones.

    PostgreSQL: ids are drawn from the sequence and the rows COPYed straight into the table inside a
    savepoint — the fast path, all rows or none. Should any row hit a unique key (the same external id
    sent concurrently by another request, or a receipt-code collision), the savepoint is rolled back and
    the batch goes through a temporary table and ``INSERT … ON CONFLICT DO NOTHING RETURNING``, which
    inserts the others and reports the conflicting ones as not inserted.
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        got = _copy_rows(rows)
        return got if got is not None else _insert_skipping_conflicts(rows)
    objs = [Dossier(**{f.attname: row[i] for i, f in enumerate(_DOSSIER_FIELDS)}) for row in rows]
    Dossier.objects.bulk_create(objs, ignore_conflicts=True, batch_size=500)
    ours = {row[_EXTERNAL_ID]: row[_CODE] for row in rows}
    got = {}
    for pk, ext, code in Dossier.objects.filter(code__in=list(ours.values())).values_list(
        "pk", "external_id", "code"
    ):
        if ours.get(ext) == code:
            got[ext] = pk
    return got


_SEQUENCE: list[str] = []


def _copy_rows(rows: list[list]) -> dict[str, int] | None:
    """COPY with pre-drawn ids; None (nothing written) when a unique key refused a row."""
    table = Dossier._meta.db_table
    columns = ", ".join(f'"{c}"' for c in DOSSIER_COLUMNS)
    with connection.cursor() as cursor:
        if not _SEQUENCE:  # resolved once: per row it would cost a catalog lookup each
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            _SEQUENCE.append(cursor.fetchone()[0])
        # The name comes from the catalog; a literal (not a parameter) lets the cast be resolved once.
        cursor.execute(f"SELECT nextval('{_SEQUENCE[0]}'::regclass) FROM generate_series(1, %s)", [len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        try:
            with (
                transaction.atomic(),
                cursor.cursor.copy(f'COPY {table} ("id", {columns}) FROM STDIN') as copy,
            ):
                write = copy.write_row
                for pk, row in zip(ids, rows, strict=True):
                    write((pk, *row))
        except UniqueViolation:
            return None
    return {row[_EXTERNAL_ID]: pk for pk, row in zip(ids, rows, strict=True)}


def _insert_skipping_conflicts(rows: list[list]) -> dict[str, int]:
    columns = ", ".join(f'"{c}"' for c in DOSSIER_COLUMNS)
    table = Dossier._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE ingest_dossier ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY ingest_dossier ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM ingest_dossier "
            "ORDER BY source_system, external_id ON CONFLICT DO NOTHING RETURNING id, external_id"
        )
        got = {ext: pk for pk, ext in cursor.fetchall()}
        cursor.execute("DROP TABLE ingest_dossier")
    return got


def _insert_events(rows: list[list]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        columns = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {DossierEvent._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            write, dumps = copy.write_row, json.dumps
            for row in rows:
                data = row[_EVENT_DATA]
                if not isinstance(data, str):
                    row[_EVENT_DATA] = dumps(data)
                write(row)
        return
    events = []
    for row in rows:
        values = dict(zip(_EVENT_ORDER, row, strict=True))
        if isinstance(values["data"], str):
            values["data"] = json.loads(values["data"])
        events.append(DossierEvent(**values))
    DossierEvent.objects.bulk_create(events, batch_size=500)


def _apply_events(
    evts, source, existing, inserted, ref, scope_path, touched, event_rows, rewrites, actor, now
):
    # Dossiers created in this batch are read back as rows (the replay needs model instances).
    fresh_ids = [inserted[e.external_id][0] for e in evts if e.external_id in inserted]
    query = Dossier.objects.filter(pk__in=fresh_ids).select_related("procedure")
    for dossier in query:
        existing[dossier.external_id] = dossier
    by_dossier: dict[int, list[_EventIn]] = defaultdict(list)
    for event in evts:
        dossier = existing.get(event.external_id)
        out = event.outcome
        if dossier is None:
            out.reject("external_id", ErrorCode.UNKNOWN_DOSSIER,
                       gettext("No dossier with external id %(external_id)s from %(source)s.")
                       % {"external_id": repr(event.external_id), "source": source})  # fmt: skip
            continue
        out.code = dossier.code
        receiving, handling = (
            ref.unit_by_id(dossier.receiving_unit_id),
            ref.unit_by_id(dossier.handling_unit_id),
        )
        if not (_in_scope(receiving, scope_path) or _in_scope(handling, scope_path)):
            out.reject(
                "external_id",
                ErrorCode.UNIT_OUT_OF_SCOPE,
                gettext("The dossier is outside the client's subtree."),
            )
            continue
        by_dossier[dossier.pk].append(event)
    if not by_dossier:
        return
    history: dict[int, list[_Step]] = defaultdict(list)
    status_kinds = [EventKind.STATUS_CHANGED, EventKind.SUPPLEMENT_REQUESTED, EventKind.SUPPLEMENT_COMPLETED,
                    EventKind.RECEIVED]  # fmt: skip
    rows = (
        DossierEvent.objects.filter(
            dossier_id__in=list(by_dossier), kind__in=status_kinds, from_status__isnull=False
        )
        .order_by("occurred_at", "id")
        .values_list("dossier_id", "occurred_at", "to_status")
    )
    for dossier_id, occurred_at, to_status in rows:
        history[dossier_id].append(_Step(occurred_at, to_status))
    reasons: dict[int, dict] = defaultdict(dict)
    for dossier_id, requested_at, reason in SupplementRequest.objects.filter(
        dossier_id__in=list(by_dossier)
    ).values_list("dossier_id", "requested_at", "reason"):
        reasons[dossier_id][requested_at] = reason
    by_pk = {d.pk: d for d in existing.values()}
    for dossier_id, new_events in by_dossier.items():
        dossier = by_pk[dossier_id]
        steps = list(history[dossier_id])
        seen = {(s.at, s.status) for s in steps}
        accepted: list[_Step] = []
        for event in sorted(new_events, key=lambda e: e.at):
            out = event.outcome
            if (event.at, event.status) in seen:
                out.outcome = UNCHANGED
                continue
            first = dossier.registered_at or dossier.received_at
            if event.at < first:
                out.reject(
                    "at",
                    ErrorCode.EVENT_BEFORE_PREVIOUS,
                    gettext("The event is before the dossier was received."),
                )
                continue
            candidate = _Step(event.at, event.status, new=event)
            trial = sorted([*steps, *accepted, candidate], key=lambda s: s.at)
            _state, _pauses, failed = _replay(dossier, trial, ref)
            if failed is not None:
                message = (gettext("A dossier that is %(current)s at %(at)s cannot become %(target)s.")
                           % {"current": Status(_state["status"]).label, "at": failed.at.isoformat(),
                              "target": Status(failed.status).label})  # fmt: skip
                code = ErrorCode.ILLEGAL_TRANSITION
                if (
                    failed is candidate
                    and _state["status_changed_at"]
                    and event.at < _state["status_changed_at"]
                ):
                    code = ErrorCode.EVENT_BEFORE_PREVIOUS
                if failed is not candidate:
                    message = gettext(
                        "Applying this event here would make a later event of the history illegal."
                    )
                out.reject("status", code, message)
                continue
            accepted.append(candidate)
            seen.add((event.at, event.status))
        if not accepted:
            continue
        all_steps = sorted([*steps, *accepted], key=lambda s: s.at)
        state, pauses, _ = _replay(dossier, all_steps, ref)
        for pause in pauses:
            if not pause[2]:
                pause[2] = reasons[dossier_id].get(pause[0], "")
        _mark(dossier, touched, **{k: state[k] for k in _STATE_FIELDS})
        rewrites[dossier_id] = pauses
        latest = max(s.at for s in steps) if steps else None
        for step in accepted:
            event = step.new
            data = dict(step.data)
            if latest is not None and step.at < latest:
                data["late"] = True
            event_rows.append(_event_row(dossier_id, step.kind, step.at, step.from_status, step.status,
                                         actor.system, event.note, data, now))  # fmt: skip
            event.outcome.outcome, event.outcome.status = CREATED, step.status
        for event in new_events:
            if event.outcome.outcome != REJECTED:
                event.outcome.status = state["status"]
