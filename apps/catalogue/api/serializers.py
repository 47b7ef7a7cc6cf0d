from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalogue.models import Field, OnlineLevel, Procedure, ProcedureComponent, ProcedureVersion


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name"]


class ProcedureVersionSerializer(serializers.ModelSerializer):
    field = FieldSerializer(read_only=True)

    class Meta:
        model = ProcedureVersion
        fields = [
            "valid_from",
            "valid_to",
            "name",
            "field",
            "level",
            "time_limit",
            "time_unit",
            "online_time_limit",
            "fee",
            "online_level",
            "paper_result_required",
            "audience",
        ]
        read_only_fields = fields


class ProcedureComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcedureComponent
        fields = ["position", "name", "form", "quantity", "mandatory"]
        read_only_fields = fields


class ProcedureVersionDetailSerializer(ProcedureVersionSerializer):
    """A version with the documents a dossier of it contains (what the counter checks at intake)."""

    components = ProcedureComponentSerializer(many=True, read_only=True)

    class Meta(ProcedureVersionSerializer.Meta):
        fields = [*ProcedureVersionSerializer.Meta.fields, "components"]
        read_only_fields = fields


class ProcedureSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(
        help_text="The version in force on the `on` date (default today)."
    )

    class Meta:
        model = Procedure
        fields = ["code", "current"]

    @extend_schema_field(ProcedureVersionSerializer(allow_null=True))
    def get_current(self, procedure: Procedure) -> dict | None:
        version = getattr(procedure, "current_version", None)
        return ProcedureVersionSerializer(version).data if version else None


class ProcedureDetailSerializer(ProcedureSerializer):
    current = serializers.SerializerMethodField(
        help_text="The version in force on the `on` date (default today), with its components."
    )
    versions = ProcedureVersionDetailSerializer(many=True, read_only=True)

    @extend_schema_field(ProcedureVersionDetailSerializer(allow_null=True))
    def get_current(self, procedure: Procedure) -> dict | None:
        version = getattr(procedure, "current_version", None)
        return ProcedureVersionDetailSerializer(version).data if version else None

    class Meta(ProcedureSerializer.Meta):
        fields = [*ProcedureSerializer.Meta.fields, "versions"]


# ---- changing a version's online level (PATCH of a version) ------------------------------------

EDITABLE_VERSION_FIELDS = ("online_level",)


class ProcedureVersionOnlineIn(serializers.Serializer):
    """The highest online level the catalogue allows; the rest of a version is edited in the admin.

    Publication facts are per province and live in the publication-decision register.
    """

    online_level = serializers.ChoiceField(choices=OnlineLevel.choices, required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            others = sorted(set(data) - set(self.fields))
            if others:
                message = _(
                    "Only %(fields)s can be changed through this endpoint; publication facts are recorded "
                    "as publication decisions (/api/v1/publication-decisions/)."
                ) % {"fields": ", ".join(EDITABLE_VERSION_FIELDS)}
                raise serializers.ValidationError({name: [message] for name in others}, code="read_only")
        return super().to_internal_value(data)

    def update(self, instance: ProcedureVersion, validated_data: dict[str, Any]) -> ProcedureVersion:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        if validated_data:
            instance.save(update_fields=list(validated_data))
        return instance
