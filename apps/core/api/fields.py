"""Serializer fields shared across apps."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.RelatedField):
    """Refers to a row by its public ``code``; an unknown code fails with a domain-specific error code."""

    def __init__(self, *, unknown_code: str, noun: str, **kwargs: Any) -> None:
        self.unknown_code = unknown_code
        self.noun = noun
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str) or not data.strip():
            raise serializers.ValidationError(
                gettext("Give the %(noun)s code as a non-empty string.") % {"noun": gettext(self.noun)},
                code="invalid",
            )
        queryset: QuerySet = self.get_queryset()
        try:
            return queryset.get(code=data.strip())
        except queryset.model.DoesNotExist:
            raise serializers.ValidationError(
                gettext("Unknown %(noun)s code %(code)s.") % {"noun": gettext(self.noun), "code": repr(data)},
                code=self.unknown_code,
            ) from None

    def to_representation(self, value: Model) -> str:
        return value.code


@extend_schema_field(OpenApiTypes.STR)
class ActorField(serializers.Field):
    """Who wrote a history entry: ``user:<username>`` or ``system:<name>`` (read from the whole entry)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, entry: Any) -> str:
        if entry.actor_user_id:
            return f"user:{entry.actor_user.username}"
        return f"system:{entry.actor_system or 'casetracker'}"


# The columns every history entry (dossier or petition event) shows, in order.
HISTORY_FIELDS = [
    "id",
    "kind",
    "occurred_at",
    "recorded_at",
    "from_status",
    "to_status",
    "actor",
    "note",
    "data",
]
