"""Input and output shapes of the integrations endpoints."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.api.dates import InstantField
from apps.core.api.schema import FieldErrorOut
from apps.dossiers.api.serializers import ApplicantIn, DocumentIn, unit_field
from apps.integrations.models import (
    ApiKey,
    DeliveryStatus,
    MachineClient,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

# ---- clients and keys -----------------------------------------------------------------------------


class ClientIn(serializers.Serializer):
    name = serializers.SlugField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    unit = unit_field(help_text="The client reads and writes this unit's subtree.")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False)
    rate_limit_per_minute = serializers.IntegerField(min_value=0, max_value=1_000_000, default=600)


class ClientUpdateIn(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    unit = unit_field(required=False)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False, required=False
    )
    rate_limit_per_minute = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    is_active = serializers.BooleanField(required=False)


class ApiKeyOut(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["prefix", "label", "created_at", "expires_at", "revoked_at", "last_used_at"]
        read_only_fields = fields


class ClientOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), read_only=True)
    rate_limit_per_minute = serializers.IntegerField(read_only=True, help_text="0 = unlimited.")
    keys = ApiKeyOut(many=True, read_only=True)

    class Meta:
        model = MachineClient
        fields = [
            "name",
            "description",
            "unit",
            "scopes",
            "rate_limit_per_minute",
            "is_active",
            "created_at",
            "keys",
        ]
        read_only_fields = fields


class KeyIn(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    expires_at = InstantField(required=False, allow_null=True, default=None)


class NewKeyOut(ApiKeyOut):
    key = serializers.CharField(read_only=True, help_text="Shown once; only its hash is stored.")

    class Meta(ApiKeyOut.Meta):
        fields = ["key", *ApiKeyOut.Meta.fields]
        read_only_fields = fields


# ---- bulk ingest ----------------------------------------------------------------------------------


class IngestItemIn(serializers.Serializer):
    """Documentation of an item; items are validated set-based by the service, not by this serializer."""

    type = serializers.ChoiceField(choices=["dossier", "event"], default="dossier")
    external_id = serializers.CharField(max_length=128, help_text="The sender's id of the dossier.")
    procedure = serializers.CharField(required=False, help_text="dossier: procedure code.")
    receiving_unit = serializers.CharField(required=False, help_text="dossier: unit code (in your subtree).")
    handling_unit = serializers.CharField(required=False, help_text="dossier: default the receiving unit.")
    channel = serializers.ChoiceField(
        choices=[1, 2, 3], required=False, help_text="dossier: 1 counter, 2 online, 3 postal."
    )
    received_at = InstantField(required=False, help_text="dossier: receipt (or registration) time.")
    applicant_name = serializers.CharField(
        required=False, help_text="dossier: older senders; or applicant.name."
    )
    applicant = ApplicantIn(
        required=False,
        help_text="dossier: the applicant (kind, name, id_number, tax_code, phone, email, province, commune, "
        "street), checked as at the counter; errors name `applicant.<key>`.",
    )
    fee_amount = serializers.IntegerField(required=False, min_value=0, max_value=10**14 - 1)
    documents = DocumentIn(
        many=True,
        required=False,
        max_length=200,
        help_text="dossier with status 2: the documents received, checked as by `POST /api/v1/dossiers/` "
        "(`unknown_component`, `missing_mandatory_documents` unless missing_documents_reason says why; "
        "inputs_digitized and data_reused then follow from them, an explicit different value is "
        "`flag_from_documents`). On a dossier already recorded they must equal the recorded ones "
        "(`receipt_mismatch` otherwise). Absent: no documents are recorded.",
    )
    missing_documents_reason = serializers.CharField(
        required=False, max_length=2000, help_text="dossier: why a mandatory document is missing."
    )
    status = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=10,
        help_text="dossier: 2 received (default) or 1 registered; event: the status reached (2–10).",
    )
    at = InstantField(required=False, help_text="event: when it happened.")
    note = serializers.CharField(required=False, help_text="event")
    reason = serializers.CharField(required=False, help_text="event with status 5: the supplement asked for.")


class IngestIn(serializers.Serializer):
    items = IngestItemIn(many=True, help_text="At most 5,000 dossiers and/or status events.")
    mode = serializers.ChoiceField(
        choices=["partial", "all_or_nothing"],
        default="partial",
        help_text="partial: good items are kept; all_or_nothing: any rejection rolls the request back (422).",
    )


class OutcomeOut(serializers.Serializer):
    index = serializers.IntegerField()
    type = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    code = serializers.CharField(allow_null=True, help_text="The dossier's receipt code.")
    status = serializers.IntegerField(allow_null=True, help_text="The dossier's status afterwards.")
    changed = serializers.ListField(child=serializers.CharField(), help_text="Fields an update changed.")
    errors = FieldErrorOut(many=True)


class CountsOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class IngestOut(serializers.Serializer):
    applied = serializers.BooleanField(help_text="False when all_or_nothing rolled the request back.")
    counts = CountsOut()
    items = OutcomeOut(many=True)


class IngestRejectedOut(IngestOut):
    code = serializers.CharField(help_text="`batch_rejected`")
    message = serializers.CharField()
    errors = FieldErrorOut(many=True)


# ---- webhooks -------------------------------------------------------------------------------------


class SubscriptionIn(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )


class SubscriptionOut(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = fields


class NewSubscriptionOut(SubscriptionOut):
    secret = serializers.CharField(read_only=True, help_text="HMAC key; shown once.")

    class Meta(SubscriptionOut.Meta):
        fields = [*SubscriptionOut.Meta.fields, "secret"]
        read_only_fields = fields


class AttemptOut(serializers.ModelSerializer):
    number = serializers.IntegerField(read_only=True)
    response_status = serializers.IntegerField(read_only=True, allow_null=True)
    duration_ms = serializers.IntegerField(read_only=True)

    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "response_status", "error", "duration_ms"]
        read_only_fields = fields


class DeliveryOut(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    attempt_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event", "status", "attempt_count", "next_attempt_at", "created_at",
                  "delivered_at", "payload"]  # fmt: skip
        read_only_fields = fields


class DeliveryDetailOut(DeliveryOut):
    attempts = AttemptOut(many=True, read_only=True)

    class Meta(DeliveryOut.Meta):
        fields = [*DeliveryOut.Meta.fields, "attempts"]
        read_only_fields = fields


class DeliveryPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeliveryOut(many=True)
