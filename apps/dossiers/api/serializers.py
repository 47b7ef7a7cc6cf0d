"""Input serializers validate requests; output serializers shape responses. No business rules here."""

from __future__ import annotations

from rest_framework import serializers

from apps.catalogue.models import Procedure
from apps.core.api.dates import InstantField
from apps.core.api.fields import HISTORY_FIELDS, ActorField, CodeField
from apps.core.errors import ErrorCode
from apps.dossiers.flags import Flag
from apps.dossiers.models import Channel, Dossier, DossierEvent, Rating, SupplementRequest
from apps.dossiers.status import Status
from apps.organisation.models import Unit
from apps.workcalendar.api.serializers import ExplanationOut


def unit_field(**kwargs) -> CodeField:
    return CodeField(queryset=Unit.objects.all(), unknown_code=ErrorCode.UNKNOWN_UNIT, noun="unit", **kwargs)


# ---- input -------------------------------------------------------------------------------------


class DossierCreateIn(serializers.Serializer):
    procedure = CodeField(
        queryset=Procedure.objects.all(), unknown_code=ErrorCode.UNKNOWN_PROCEDURE, noun="procedure"
    )
    receiving_unit = unit_field()
    handling_unit = unit_field(
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
    applicant_name = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
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


class DossierOut(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_version = serializers.DateField(source="procedure_version.valid_from", read_only=True)
    receiving_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    handling_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    channel_name = serializers.CharField(source="get_channel_display", read_only=True)

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
            "fee_amount",
            *[flag.value for flag in Flag],
            "rating",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DossierDetailOut(DossierOut):
    events = EventOut(many=True, read_only=True)
    supplement_requests = SupplementRequestOut(many=True, read_only=True)

    class Meta(DossierOut.Meta):
        fields = [*DossierOut.Meta.fields, "supplement_requests", "events"]
        read_only_fields = fields


class DossierDeadlineOut(serializers.Serializer):
    legal_due_at = serializers.DateTimeField(allow_null=True, help_text="Fixed at receipt; never moves.")
    effective_due_at = serializers.DateTimeField(allow_null=True, help_text="Legal due + closed pauses.")
    paused_working_minutes = serializers.IntegerField(help_text="Working time of closed supplement pauses.")
    explanation = ExplanationOut(allow_null=True, help_text="Null before receipt or without a time limit.")
    matches_stored = serializers.BooleanField(
        help_text="False when the calendar was edited after receipt: the stored legal due date still applies."
    )
