"""Input serializers validate requests; output serializers shape responses. No business rules here."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import ISO_8601, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

from apps.catalogue.models import ComponentForm, Procedure, ProcedureVersion
from apps.core.api.dates import InstantField
from apps.core.api.fields import HISTORY_FIELDS, ActorField, CodeField
from apps.core.errors import ErrorCode
from apps.dossiers.applicant import ApplicantKind, came_by, clean_applicant, mask_id_number, mask_phone
from apps.dossiers.documents import DocumentIn as DocumentValue
from apps.dossiers.flags import Flag
from apps.dossiers.models import Channel, Dossier, DossierDocument, DossierEvent, Rating, SupplementRequest
from apps.dossiers.services._common import attach_related
from apps.dossiers.status import Status
from apps.dossiers.timeliness import Timeliness
from apps.organisation.models import Unit
from apps.workcalendar.api.serializers import ExplanationOut


def unit_field(**kwargs) -> CodeField:
    return CodeField(queryset=Unit.objects.all(), unknown_code=ErrorCode.UNKNOWN_UNIT, noun="unit", **kwargs)


class OwnUnitFirstField(CodeField):
    """A unit by code, answered from the caller's own unit when the code is its code (a clerk receiving
    at their own counter, the usual create): the scope check reads that unit anyway, so one read serves
    both. Needs the request in the serializer's context; without it, a plain lookup."""

    def to_internal_value(self, data):
        user = getattr(self.context.get("request"), "user", None)
        if isinstance(data, str) and getattr(user, "unit_id", None) is not None:
            own = user.unit  # read once; the scope check (accounts.scope.in_scope) reads it again, cached
            if own.code == data.strip():
                return own
        return super().to_internal_value(data)


def own_unit_first_field(**kwargs) -> OwnUnitFirstField:
    return OwnUnitFirstField(
        queryset=Unit.objects.all(), unknown_code=ErrorCode.UNKNOWN_UNIT, noun="unit", **kwargs
    )


# ---- input -------------------------------------------------------------------------------------


class ApplicantIn(serializers.Serializer):
    """The applicant object's documented shape (``ApplicantField`` does the checking)."""

    kind = serializers.ChoiceField(choices=ApplicantKind.choices, required=False, help_text="Default person.")
    name = serializers.CharField(required=False, max_length=255)
    id_number = serializers.CharField(
        required=False,
        help_text="12-digit citizen identity number (province code, century/sex, year, serial).",
    )
    tax_code = serializers.CharField(
        required=False, help_text="Organisations: 10 digits, or 13 as NNNNNNNNNN-NNN."
    )
    phone = serializers.CharField(
        required=False, help_text="Vietnamese mobile (10 digits) or landline (11, 02…); +84 accepted."
    )
    email = serializers.EmailField(required=False)
    province = serializers.CharField(required=False, max_length=128)
    commune = serializers.CharField(required=False, max_length=128)
    street = serializers.CharField(required=False, max_length=255)


@extend_schema_field(ApplicantIn)
class ApplicantField(serializers.Field):
    """The applicant object, checked by the rules of apps/dossiers/applicant.py (shared with ingest).

    Its value is the dossier columns to write; errors name ``applicant.<key>``.
    """

    default_error_messages = {"not_an_object": _("Send the applicant as an object.")}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_an_object")
        values, errors = clean_applicant(data)
        if errors:
            raise serializers.ValidationError(
                {key: [ErrorDetail(message, code=code)] for key, code, message in errors}
            )
        return values

    def to_representation(self, value):  # input only
        return value


class DocumentIn(serializers.Serializer):
    """One document received: a component of the procedure version (its position) or another document."""

    component = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=999,
        help_text="Position in the version's list.",
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    form = serializers.ChoiceField(choices=ComponentForm.choices, required=False, default="")
    quantity = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=999)
    digitized = serializers.BooleanField(default=False)
    reused = serializers.BooleanField(default=False, help_text="Taken from digitized data instead of paper.")

    def to_internal_value(self, data):
        return DocumentValue(**super().to_internal_value(data))


DOCUMENTS_HELP = (
    "The documents received. A mandatory component missing is refused (400 `missing_mandatory_documents`) "
    "unless missing_documents_reason says why. Absent: no documents are recorded."
)


class DocumentsIn(serializers.Serializer):
    """The documents received, recorded again (after scanning, or a document brought later)."""

    documents = DocumentIn(many=True, max_length=200, help_text=DOCUMENTS_HELP)
    missing_documents_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reason = serializers.CharField(help_text="Why the documents are recorded again (kept in the history).")
    at = InstantField(required=False, help_text="When; default now.")


class ProcedureWithVersionsField(CodeField):
    """A procedure by code, read together with its versions in one query: the create then picks the
    version in force on the receipt day without another (:func:`~apps.dossiers.services.receipt.
    version_in_force`). A procedure without versions is read alone; the service names that error."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip():
            versions = list(
                ProcedureVersion.objects.select_related("procedure").filter(procedure__code=data.strip())
            )
            if versions:
                procedure = versions[0].procedure
                for version in versions:
                    version.procedure = procedure
                return attach_related(procedure, versions=versions)
        return super().to_internal_value(data)


class DossierCreateIn(serializers.Serializer):
    procedure = ProcedureWithVersionsField(
        queryset=Procedure.objects.all(), unknown_code=ErrorCode.UNKNOWN_PROCEDURE, noun="procedure"
    )
    receiving_unit = own_unit_first_field()
    handling_unit = own_unit_first_field(
        required=False,
        help_text="Defaults to the receiving unit. Any unit of the receiving unit's province (403 "
        "`unit_out_of_scope` for another province or a ministry).",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.COUNTER)
    status = serializers.ChoiceField(
        choices=[(Status.RECEIVED.value, "received"), (Status.REGISTERED.value, "registered")],
        default=Status.RECEIVED,
        help_text="2 = received now (the clock starts); 1 = registered online, awaiting acceptance.",
    )
    received_at = InstantField(
        required=False, help_text="Receipt (or registration) time; default now; never in the future."
    )
    applicant_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="Older clients: `applicant.name`.",
    )
    applicant = ApplicantField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    fee_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=0,
        min_value=0,
        required=False,
        help_text="Default: the procedure's fee.",
    )
    code = serializers.RegexField(
        # A code is a URL path segment (/dossiers/{code}/) and is printed on the slip: no slash, no spaces.
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        required=False,
        max_length=64,
        error_messages={"invalid": "A receipt code is letters, digits, '.', '_' and '-' (at most 64)."},
        help_text="Receipt code; generated when absent. One you choose begins with the receiving unit's code and "
        "a dash (`H44.100-…`), so codes of different units never clash.",
    )
    source_system = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        default="",
        help_text=(
            "Sending system; with external_id it identifies the dossier. Machine clients always write as "
            "themselves (another value is 403 `source_system_forbidden`); staff may not use a registered "
            "client's name, nor a source whose external ids belong to dossiers outside their scope."
        ),
    )
    external_id = serializers.CharField(required=False, max_length=128)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    documents = DocumentIn(many=True, required=False, max_length=200, help_text=DOCUMENTS_HELP)
    missing_documents_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DossierCorrectIn(serializers.Serializer):
    """A correction of descriptive fields; receipt facts go through ``correct-receipt``."""

    reason = serializers.CharField(help_text="Why the dossier is corrected (kept in its history).")
    applicant = ApplicantField(required=False, help_text="Only the keys to correct; an empty string clears.")
    fee_amount = serializers.DecimalField(max_digits=14, decimal_places=0, min_value=0, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    at = InstantField(required=False, help_text="When it was corrected; default now.")


class ReceiptCorrectIn(serializers.Serializer):
    """Receipt facts to correct (administrators); the due date is computed again."""

    reason = serializers.CharField(help_text="Why the receipt is corrected (kept in its history).")
    procedure = CodeField(
        queryset=Procedure.objects.all(),
        unknown_code=ErrorCode.UNKNOWN_PROCEDURE,
        noun="procedure",
        required=False,
    )
    receiving_unit = unit_field(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    received_at = InstantField(required=False, help_text="Never in the future, nor after the next step.")

    def validate(self, attrs):
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError(
                _("Name at least one of procedure, receiving_unit, channel, received_at."),
                code="nothing_to_correct",
            )
        return attrs


class ActionIn(serializers.Serializer):
    at = InstantField(required=False, help_text="When it happened; default now.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SupplementRequestIn(ActionIn):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AssignIn(ActionIn):
    handling_unit = unit_field()


class FlagIn(ActionIn):
    flag = serializers.ChoiceField(choices=Flag.choices)
    value = serializers.BooleanField(default=True)


class RatingIn(ActionIn):
    rating = serializers.ChoiceField(choices=[c for c in Rating.choices if c[0]])


# ---- output ------------------------------------------------------------------------------------


class EventOut(serializers.ModelSerializer):
    actor = ActorField()
    # Declared, not derived: a model small-integer's range depends on the database backend, and the
    # committed schema must be the same on SQLite and PostgreSQL.
    from_status = serializers.ChoiceField(choices=Status.choices, allow_null=True, read_only=True)
    to_status = serializers.ChoiceField(choices=Status.choices, allow_null=True, read_only=True)

    class Meta:
        model = DossierEvent
        fields = HISTORY_FIELDS


class SupplementRequestOut(serializers.ModelSerializer):
    number = serializers.IntegerField(
        read_only=True, help_text="1 for the first request; a 2nd makes it late."
    )

    class Meta:
        model = SupplementRequest
        fields = ["number", "requested_at", "completed_at", "reason"]


class AddressOut(serializers.Serializer):
    province = serializers.CharField(source="applicant_province", read_only=True)
    commune = serializers.CharField(source="applicant_commune", read_only=True)
    street = serializers.CharField(source="applicant_street", read_only=True)


class ApplicantOut(serializers.Serializer):
    """The applicant in full: the dossier detail, read by users in scope."""

    kind = serializers.ChoiceField(choices=ApplicantKind.choices, source="applicant_kind", read_only=True)
    name = serializers.CharField(source="applicant_name", read_only=True)
    id_number = serializers.CharField(source="applicant_id_number", read_only=True)
    tax_code = serializers.CharField(source="applicant_tax_code", read_only=True)
    phone = serializers.CharField(source="applicant_phone", read_only=True)
    email = serializers.CharField(source="applicant_email", read_only=True)
    address = AddressOut(source="*", read_only=True)
    came_by = serializers.SerializerMethodField(help_text="From the channel: in person, by post, online.")

    def get_came_by(self, dossier: Dossier) -> str:
        return came_by(dossier.channel).value


class MaskedApplicantOut(ApplicantOut):
    """The applicant in lists: identity number and phone masked (``0010******89``, ``0912***678``)."""

    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    def get_id_number(self, dossier: Dossier) -> str:
        return mask_id_number(dossier.applicant_id_number) if dossier.applicant_id_number else ""

    def get_phone(self, dossier: Dossier) -> str:
        return mask_phone(dossier.applicant_phone) if dossier.applicant_phone else ""


class DossierOut(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_version = serializers.DateField(source="procedure_version.valid_from", read_only=True)
    receiving_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    handling_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    channel_name = serializers.CharField(source="get_channel_display", read_only=True)
    timeliness_name = serializers.CharField(
        source="get_timeliness_display", read_only=True, help_text="Empty until processing ends."
    )
    applicant = MaskedApplicantOut(source="*", read_only=True)

    class Meta:
        model = Dossier
        fields = [
            "code",
            "source_system",
            "external_id",
            "procedure",
            "procedure_version",
            "receiving_unit",
            "handling_unit",
            "channel",
            "channel_name",
            "applicant_name",
            "applicant",
            "status",
            "status_name",
            "registered_at",
            "received_at",
            "legal_due_at",
            "effective_due_at",
            "paused_since",
            "supplement_count",
            "finished_at",
            "returned_at",
            "ended_at",
            "timeliness",
            "timeliness_name",
            "fee_amount",
            *[flag.value for flag in Flag],
            "rating",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


_DISPLAYED = {"status_name": "status", "channel_name": "channel", "timeliness_name": "timeliness"}
_CHOICES = {"status": Status, "channel": Channel, "timeliness": Timeliness}
_RELATED = {
    "procedure": "procedure__code",
    "procedure_version": "procedure_version__valid_from",
    "receiving_unit": "receiving_unit__code",
    "handling_unit": "handling_unit__code",
}
_APPLICANT_COLUMNS = (
    "applicant_kind",
    "applicant_id_number",
    "applicant_tax_code",
    "applicant_phone",
    "applicant_email",
    "applicant_province",
    "applicant_commune",
    "applicant_street",
)

#: What a list row reads, and nothing else: the dossier columns :class:`DossierOut` writes, the one
#: column of each related row it shows, and ``pk`` for the cursor. No notes, no statistics columns, no
#: whole unit or procedure rows, and no model instances (see :func:`list_rows`).
LIST_ROW_FIELDS: tuple[str, ...] = (
    "pk",
    *[
        _RELATED.get(name, name)
        for name in DossierOut.Meta.fields
        if name != "applicant" and name not in _DISPLAYED
    ],
    *_APPLICANT_COLUMNS,
)


def list_rows(queryset: QuerySet[Dossier]) -> QuerySet:
    """The dossiers of ``queryset`` as list rows: named tuples of :data:`LIST_ROW_FIELDS`, one SELECT with
    the joins the related codes need. A row reads like a dossier for the cursor (``row.received_at``,
    ``row.pk``) at a fraction of a model instance's cost; :class:`DossierListOut` writes it."""
    return queryset.values_list(*LIST_ROW_FIELDS, named=True)


_DAY = serializers.DateField()
_FEE = serializers.DecimalField(max_digits=14, decimal_places=0)
_INSTANT = serializers.DateTimeField()
_display_names: dict[str | None, dict[str, dict[Any, str]]] = {}

Names = dict[str, dict[Any, str]]
Reader = Callable[[Any, Names, Any], Any]


def display_names() -> Names:
    """``{"status": {4: "processing", …}, …}`` in the active language, built once per language.

    What ``get_status_display`` answers, without its per-call work; a value outside the choices shows
    as itself, as there.
    """
    language = get_language()
    names = _display_names.get(language)
    if names is None:
        names = {key: {value: str(label) for value, label in kind.choices} for key, kind in _CHOICES.items()}
        _display_names[language] = names
    return names


def _column(name: str) -> Reader:
    get = attrgetter(name)
    return lambda row, names, zone: get(row)


def _instant(name: str) -> Reader:
    """DRF's ``DateTimeField`` output (ISO 8601 in the current time zone, ``Z`` for UTC), with the zone
    looked up once per row instead of once per value; DRF's own field when another format is set."""
    get = attrgetter(name)
    if api_settings.DATETIME_FORMAT != ISO_8601 or not settings.USE_TZ:
        return lambda row, names, zone: None if get(row) is None else _INSTANT.to_representation(get(row))

    def read(row: Any, names: Names, zone: Any) -> str | None:
        value = get(row)
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return read


def _display(key: str) -> Reader:
    get = attrgetter(key)

    def read(row: Any, names: Names, zone: Any) -> str:
        value = get(row)
        return str(names[key].get(value, value))

    return read


def _applicant(row: Any, names: Names, zone: Any) -> dict[str, Any]:
    id_number, phone = row.applicant_id_number, row.applicant_phone
    return {
        "kind": row.applicant_kind,
        "name": row.applicant_name,
        "id_number": mask_id_number(id_number) if id_number else "",
        "tax_code": row.applicant_tax_code,
        "phone": mask_phone(phone) if phone else "",
        "email": row.applicant_email,
        "address": {
            "province": row.applicant_province,
            "commune": row.applicant_commune,
            "street": row.applicant_street,
        },
        "came_by": came_by(row.channel).value,
    }


def _list_readers() -> list[tuple[str, Reader]]:
    """One plain function per field of :class:`DossierOut`, in its order. A field without one fails here,
    at import, so the list cannot silently drop a field the detail has."""
    special: dict[str, Reader] = {
        "procedure": _column("procedure__code"),
        "procedure_version": lambda row, names, zone: _DAY.to_representation(
            row.procedure_version__valid_from
        ),
        "receiving_unit": _column("receiving_unit__code"),
        "handling_unit": _column("handling_unit__code"),
        "applicant": _applicant,
        "fee_amount": lambda row, names, zone: _FEE.to_representation(row.fee_amount),
        **{name: _display(key) for name, key in _DISPLAYED.items()},
    }
    instants = {f.name for f in Dossier._meta.concrete_fields if f.get_internal_type() == "DateTimeField"}
    readers = []
    for name in DossierOut.Meta.fields:
        if name in special:
            readers.append((name, special[name]))
        elif name in instants:
            readers.append((name, _instant(name)))
        else:
            Dossier._meta.get_field(name)  # a plain column, written as stored (fails for anything else)
            readers.append((name, _column(name)))
    return readers


# A dossier in a list: exactly DossierOut's fields and values, written from a list row (list_rows) by
# plain functions. DRF's generic path costs the better part of a millisecond a row here: per field it
# walks the source, and for each get_*_display it inspects the method's signature; loading whole model
# instances with four related rows costs as much again. A list row holds the needed columns only, each
# field has a function chosen once at import, and display names come from per-language maps of the
# choices. The schema stays DossierOut's (same fields, same component; no docstring, as the schema
# would show it).
@extend_schema_serializer(component_name="DossierOut")
class DossierListOut(DossierOut):
    _readers = _list_readers()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        names, zone = display_names(), timezone.get_current_timezone()
        return {name: read(instance, names, zone) for name, read in self._readers}


class DocumentOut(serializers.ModelSerializer):
    component = serializers.IntegerField(source="component.position", allow_null=True, read_only=True)
    mandatory = serializers.BooleanField(source="component.mandatory", allow_null=True, read_only=True)

    class Meta:
        model = DossierDocument
        fields = ["position", "component", "name", "form", "quantity", "mandatory", "digitized", "reused"]
        read_only_fields = fields


class DossierDetailOut(DossierOut):
    applicant = ApplicantOut(source="*", read_only=True)
    events = EventOut(many=True, read_only=True)
    supplement_requests = SupplementRequestOut(many=True, read_only=True)
    documents = DocumentOut(many=True, read_only=True)

    class Meta(DossierOut.Meta):
        fields = [
            *DossierOut.Meta.fields,
            "notes",
            "documents",
            "missing_documents_reason",
            "supplement_requests",
            "events",
        ]
        read_only_fields = fields


class DossierDeadlineOut(serializers.Serializer):
    legal_due_at = serializers.DateTimeField(allow_null=True, help_text="Fixed at receipt; never moves.")
    effective_due_at = serializers.DateTimeField(allow_null=True, help_text="Legal due + closed pauses.")
    paused_working_minutes = serializers.IntegerField(help_text="Working time of closed supplement pauses.")
    explanation = ExplanationOut(allow_null=True, help_text="Null before receipt or without a time limit.")
    matches_stored = serializers.BooleanField(
        help_text="False when the calendar was edited after receipt: the stored legal due date still applies."
    )
