from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalogue.models import Field, Procedure, ProcedureVersion


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name"]


class ProcedureVersionSerializer(serializers.ModelSerializer):
    field = FieldSerializer(read_only=True)
    content_complete = serializers.BooleanField(read_only=True)

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
            "decision_date",
            "effective_date",
            "disclosure_date",
            "published_parts",
            "content_complete",
        ]
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
    versions = ProcedureVersionSerializer(many=True, read_only=True)

    class Meta(ProcedureSerializer.Meta):
        fields = [*ProcedureSerializer.Meta.fields, "versions"]
