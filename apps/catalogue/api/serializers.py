from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalogue.models import CONTENT_PARTS, Field, OnlineLevel, Procedure, ProcedureVersion
from apps.core.api.dates import DayField


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


# ---- recording publication facts (PATCH of a version) --------------------------------------------

PUBLICATION_FACTS = ("decision_date", "effective_date", "disclosure_date", "published_parts", "online_level")


def publication_fact_problems(
    *,
    decision_date: dt.date | None,
    effective_date: dt.date | None,
    disclosure_date: dt.date | None,
    today: dt.date,
) -> dict[str, tuple[str, str]]:
    """Which dates of a version cannot be true together, as ``{field: (code, message)}``.

    The transparency group scores the gaps between these dates, so an impossible combination would
    silently score as "on time" or "late". A decision taken after its legal basis took effect is late,
    not impossible, and a legal basis may take effect in the future, so ``effective_date`` has no bound.
    """
    problems: dict[str, tuple[str, str]] = {}
    if decision_date is not None and decision_date > today:
        problems["decision_date"] = ("in_future", "The publication decision cannot be dated in the future.")
    if disclosure_date is not None:
        if disclosure_date > today:
            problems["disclosure_date"] = ("in_future", "The disclosure cannot be dated in the future.")
        elif decision_date is None:
            problems["disclosure_date"] = (
                "decision_required",
                "Record the publication decision's date before its disclosure.",
            )
        elif disclosure_date < decision_date:
            problems["disclosure_date"] = (
                "before_decision",
                f"The disclosure ({disclosure_date}) cannot be before the decision ({decision_date}).",
            )
    return problems


class ProcedureVersionFactsIn(serializers.Serializer):
    """Publication facts and the online service level of one version; the rest is edited in the admin."""

    decision_date = DayField(required=False, allow_null=True)
    effective_date = DayField(required=False, allow_null=True)
    disclosure_date = DayField(required=False, allow_null=True)
    published_parts = serializers.ListField(
        child=serializers.ChoiceField(choices=CONTENT_PARTS),
        required=False,
        allow_empty=True,
        max_length=len(CONTENT_PARTS),
        help_text=f"Parts published, each once, among: {', '.join(CONTENT_PARTS)}.",
    )
    online_level = serializers.ChoiceField(choices=OnlineLevel.choices, required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            others = sorted(set(data) - set(self.fields))
            if others:
                message = f"Only {', '.join(PUBLICATION_FACTS)} can be changed through the API."
                raise serializers.ValidationError({name: [message] for name in others}, code="read_only")
        return super().to_internal_value(data)

    def validate_published_parts(self, value: list[str]) -> list[str]:
        duplicates = sorted({part for part in value if value.count(part) > 1})
        if duplicates:
            raise serializers.ValidationError(
                f"Each part may be listed once; repeated: {', '.join(duplicates)}.", code="duplicate"
            )
        return [part for part in CONTENT_PARTS if part in value]  # canonical order, as the admin stores it

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        version: ProcedureVersion = self.instance
        merged = {name: attrs.get(name, getattr(version, name)) for name in PUBLICATION_FACTS[:3]}
        problems = publication_fact_problems(**merged, today=timezone.localdate())
        if problems:
            raise serializers.ValidationError(
                {
                    name: [serializers.ErrorDetail(message, code=code)]
                    for name, (code, message) in problems.items()
                }
            )
        return attrs

    def update(self, instance: ProcedureVersion, validated_data: dict[str, Any]) -> ProcedureVersion:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        if validated_data:
            instance.save(update_fields=list(validated_data))
        return instance
