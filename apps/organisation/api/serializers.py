from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.organisation.models import Unit


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "kind",
            "kind_name",
            "parent",
            "depth",
            "path",
            "is_active",
            "offers_electronic_certified_copy",
            "area_type",
        ]
        read_only_fields = fields


class UnitFlagsIn(serializers.Serializer):
    """The only unit fact the API changes; the tree itself is edited in the admin (paths must stay right)."""

    offers_electronic_certified_copy = serializers.BooleanField(
        help_text="The commune issues electronic certified copies (digitization group of the index)."
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            others = sorted(set(data) - set(self.fields))
            if others:
                message = gettext("Only offers_electronic_certified_copy can be changed through the API.")
                raise serializers.ValidationError({name: [message] for name in others}, code="read_only")
        return super().to_internal_value(data)


class UnitTreeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    children = serializers.SerializerMethodField()

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/UnitTree"}})
    def get_children(self, node: dict) -> list[dict]:
        return [UnitTreeSerializer(child).data for child in node["children"]]
