"""API of the online-offering and publication-decision registers (what the index reads per province).

Reading follows the usual scope (offerings of units the user sees; decisions of the user's own province
or ministry). Writing is for administrators of a subtree holding the unit (offerings) or of the issuing
province or ministry itself (decisions): :func:`apps.accounts.scope.may_administer`.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.routing import top_path
from apps.accounts.scope import may_administer, sees_everything, visible_units
from apps.catalogue.models import (
    CONTENT_PARTS,
    OFFERED_LEVELS,
    OnlineOffering,
    Procedure,
    PublicationDecision,
    PublishedProcedure,
)
from apps.catalogue.registers import (
    ItemIn,
    Problems,
    change_decision,
    change_offering,
    decision_problems,
    disclosure_problems,
    offering_problems,
    record_decision,
    record_offering,
)
from apps.core.api.dates import DayField
from apps.core.api.schema import COMMON_ERRORS
from apps.organisation.models import Unit

MAX_ITEMS_PER_DECISION = 1000


def _raise(problems: Problems, prefix: str = "") -> None:
    if problems:
        raise serializers.ValidationError(
            {
                f"{prefix}{name}": [serializers.ErrorDetail(message, code=code)]
                for name, (code, message) in problems.items()
            }
        )


@extend_schema_field({"type": "string", "description": "A unit code, e.g. H44.100."})
class UnitCodeField(serializers.SlugRelatedField):
    """A unit code among the units the caller sees; others are 'unknown' (no existence probe)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> QuerySet[Unit]:
        return visible_units(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Unit:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            message = _("No unit with this code is visible to you.")
            raise serializers.ValidationError(message, code="unknown_unit") from None


@extend_schema_field({"type": "string", "description": "A procedure code of the catalogue, e.g. 1.004873."})
class ProcedureCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", queryset=Procedure.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Procedure:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            message = _("No procedure with this code is in the catalogue.")
            raise serializers.ValidationError(message, code="unknown_procedure") from None


def register_schema(
    *, list_summary, retrieve_summary, create_summary, change_summary, create_in, change_in, out
):
    """The OpenAPI description every register viewset shares: list, read, record (201), change (200)."""
    return extend_schema_view(
        list=extend_schema(summary=list_summary),
        retrieve=extend_schema(summary=retrieve_summary),
        create=extend_schema(
            summary=create_summary, request=create_in, responses={201: out, **COMMON_ERRORS}
        ),
        partial_update=extend_schema(
            summary=change_summary, request=change_in, responses={200: out, **COMMON_ERRORS}
        ),
    )


class RegisterViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, record and change (PATCH only) one register."""

    http_method_names = ["get", "post", "patch", "head", "options"]


# ---- online offerings ---------------------------------------------------------------------------


class OnlineOfferingSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OnlineOffering
        fields = ["id", "unit", "procedure", "level", "valid_from", "valid_to"]
        read_only_fields = fields


class OnlineOfferingIn(serializers.Serializer):
    unit = UnitCodeField()
    procedure = ProcedureCodeField()
    level = serializers.ChoiceField(choices=OFFERED_LEVELS)
    valid_from = DayField()
    valid_to = DayField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _raise(offering_problems(**attrs))
        return attrs


class OnlineOfferingChangeIn(serializers.Serializer):
    """Only the last day changes; a new level or start is a new offering, so past periods stay true."""

    valid_to = DayField(allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        offering: OnlineOffering = self.instance
        valid_to = attrs["valid_to"]
        problems = offering_problems(
            unit=offering.unit,
            procedure=offering.procedure,
            level=offering.level,
            valid_from=offering.valid_from,
            valid_to=valid_to,
            exclude_pk=offering.pk,
        )
        # The catalogue may have changed since the offering began; ending it must stay possible.
        problems.pop("procedure", None)
        problems.pop("level", None)
        _raise(problems)
        return attrs


class OnlineOfferingFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="unit__code", help_text="Offerings of this unit only.")
    within = django_filters.CharFilter(method="in_subtree", help_text="Offerings of this unit's subtree.")
    procedure = django_filters.CharFilter(field_name="procedure__code")
    level = django_filters.ChoiceFilter(choices=OFFERED_LEVELS)
    on = django_filters.DateFilter(method="in_force", help_text="Offerings in force on this day.")

    class Meta:
        model = OnlineOffering
        fields = ["unit", "within", "procedure", "level", "on"]

    def in_subtree(self, queryset, name, value):
        root = Unit.objects.filter(code=value).first()
        return queryset.filter(unit__path__startswith=root.path) if root else queryset.none()

    def in_force(self, queryset, name, value):
        return queryset.in_force_on(value)


@register_schema(
    list_summary="Online services offered: which unit offers which procedure, from when",
    retrieve_summary="One online offering",
    create_summary="Record an online offering (administrators of a subtree holding the unit)",
    change_summary="End (or reopen) an online offering",
    create_in=OnlineOfferingIn,
    change_in=OnlineOfferingChangeIn,
    out=OnlineOfferingSerializer,
)
class OnlineOfferingViewSet(RegisterViewSet):
    """The register term A, term B and the payment terms of the index are computed from."""

    serializer_class = OnlineOfferingSerializer
    filterset_class = OnlineOfferingFilter

    def get_queryset(self) -> QuerySet[OnlineOffering]:
        if getattr(self, "swagger_fake_view", False):
            return OnlineOffering.objects.none()
        return (
            OnlineOffering.objects.filter(unit__in=visible_units(self.request.user))
            .select_related("unit", "procedure")
            .order_by("unit__code", "procedure__code", "-valid_from", "pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OnlineOfferingIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        if not may_administer(request.user, data.validated_data["unit"]):
            raise PermissionDenied(
                _("Only administrators of a subtree holding the unit may record its offerings.")
            )
        offering = record_offering(**data.validated_data)
        return Response(OnlineOfferingSerializer(offering).data, status=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        offering = self.get_object()
        if not may_administer(request.user, offering.unit):
            raise PermissionDenied(
                _("Only administrators of a subtree holding the unit may change its offerings.")
            )
        data = OnlineOfferingChangeIn(instance=offering, data=request.data)
        data.is_valid(raise_exception=True)
        return Response(OnlineOfferingSerializer(change_offering(offering, **data.validated_data)).data)


# ---- publication decisions ----------------------------------------------------------------------


class PublishedProcedureSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    content_complete = serializers.BooleanField(read_only=True)

    class Meta:
        model = PublishedProcedure
        fields = ["procedure", "disclosed_on", "published_parts", "content_complete"]
        read_only_fields = fields


class PublicationDecisionSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="code", read_only=True)
    items = PublishedProcedureSerializer(many=True, read_only=True)

    class Meta:
        model = PublicationDecision
        fields = ["id", "authority", "number", "decided_on", "effective_on", "items"]
        read_only_fields = fields


class PublishedProcedureIn(serializers.Serializer):
    procedure = ProcedureCodeField()
    disclosed_on = DayField(required=False, allow_null=True, default=None)
    published_parts = serializers.ListField(
        child=serializers.ChoiceField(choices=CONTENT_PARTS),
        required=False,
        default=list,
        max_length=len(CONTENT_PARTS),
        help_text=f"Parts published, each once, among: {', '.join(CONTENT_PARTS)}.",
    )

    def validate_published_parts(self, value: list[str]) -> list[str]:
        repeated = sorted({part for part in value if value.count(part) > 1})
        if repeated:
            raise serializers.ValidationError(
                _("Each part may be listed once; repeated: %(parts)s.") % {"parts": ", ".join(repeated)},
                code="duplicate",
            )
        return value


def _items(raw: list[dict[str, Any]]) -> list[ItemIn]:
    seen: set[str] = set()
    for index, item in enumerate(raw):
        code = item["procedure"].code
        if code in seen:
            raise serializers.ValidationError(
                {f"items.{index}.procedure": [serializers.ErrorDetail(_("Listed twice."), code="duplicate")]}
            )
        seen.add(code)
    return [ItemIn(**item) for item in raw]


def _check_disclosures(decided_on, items: list[ItemIn]) -> None:
    today = timezone.localdate()
    for index, item in enumerate(items):
        _raise(
            disclosure_problems(decided_on=decided_on, disclosed_on=item.disclosed_on, today=today),
            prefix=f"items.{index}.",
        )


class PublicationDecisionIn(serializers.Serializer):
    authority = UnitCodeField(help_text="The issuing province or ministry.")
    number = serializers.CharField(max_length=64)
    decided_on = DayField()
    effective_on = DayField(help_text="The day the legal basis of the published procedures takes effect.")
    items = PublishedProcedureIn(many=True, allow_empty=False, max_length=MAX_ITEMS_PER_DECISION)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _raise(
            decision_problems(
                authority=attrs["authority"], decided_on=attrs["decided_on"], today=timezone.localdate()
            )
        )
        if PublicationDecision.objects.filter(authority=attrs["authority"], number=attrs["number"]).exists():
            raise serializers.ValidationError(
                {
                    "number": [
                        serializers.ErrorDetail(
                            _("This authority already has a decision with this number."), code="duplicate"
                        )
                    ]
                }
            )
        attrs["items"] = _items(attrs["items"])
        _check_disclosures(attrs["decided_on"], attrs["items"])
        return attrs


class PublicationDecisionChangeIn(serializers.Serializer):
    """The decision's own facts, and procedures to add or update (matched by procedure code)."""

    number = serializers.CharField(max_length=64, required=False)
    decided_on = DayField(required=False)
    effective_on = DayField(required=False)
    items = PublishedProcedureIn(many=True, required=False, max_length=MAX_ITEMS_PER_DECISION)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        decision: PublicationDecision = self.instance
        decided_on = attrs.get("decided_on", decision.decided_on)
        _raise(decision_problems(authority=None, decided_on=decided_on, today=timezone.localdate()))
        number = attrs.get("number")
        if number and (
            PublicationDecision.objects.filter(authority=decision.authority, number=number)
            .exclude(pk=decision.pk)
            .exists()
        ):
            raise serializers.ValidationError(
                {
                    "number": [
                        serializers.ErrorDetail(
                            _("This authority already has a decision with this number."), code="duplicate"
                        )
                    ]
                }
            )
        items = _items(attrs.pop("items", []))
        # A changed decision day must still precede every disclosure already recorded.
        kept = [
            ItemIn(procedure=i.procedure, disclosed_on=i.disclosed_on, published_parts=i.published_parts)
            for i in decision.items.all()
            if i.procedure_id not in {n.procedure.pk for n in items}
        ]
        _check_disclosures(decided_on, items)
        if "decided_on" in attrs:
            for item in kept:
                if item.disclosed_on is not None and item.disclosed_on < decided_on:
                    raise serializers.ValidationError(
                        {
                            "decided_on": [
                                serializers.ErrorDetail(
                                    _("Procedure %(code)s was disclosed on %(day)s, before this day.")
                                    % {"code": item.procedure.code, "day": item.disclosed_on.isoformat()},
                                    code="after_disclosure",
                                )
                            ]
                        }
                    )
        return {"changes": attrs, "items": items}


class PublicationDecisionFilter(django_filters.FilterSet):
    authority = django_filters.CharFilter(field_name="authority__code")
    procedure = django_filters.CharFilter(method="lists_procedure")
    decided_from = django_filters.DateFilter(field_name="decided_on", lookup_expr="gte")
    decided_to = django_filters.DateFilter(field_name="decided_on", lookup_expr="lte")

    class Meta:
        model = PublicationDecision
        fields = ["authority", "procedure", "decided_from", "decided_to"]

    def lists_procedure(self, queryset, name, value):
        return queryset.filter(items__procedure__code=value).distinct()


def decisions_visible_to(user) -> QuerySet[PublicationDecision]:
    """A user reads the decisions of their own province or ministry (superusers: all)."""
    decisions = PublicationDecision.objects.all()
    if sees_everything(user):
        return decisions
    if user.unit_id is None:
        return decisions.none()
    return decisions.filter(authority__path=top_path(user.unit))


@register_schema(
    list_summary="Publication decisions of the caller's province or ministry",
    retrieve_summary="One publication decision with the procedures it publishes",
    create_summary="Record a publication decision (administrators of the issuing province or ministry)",
    change_summary="Correct a decision, record disclosures, or add procedures to it",
    create_in=PublicationDecisionIn,
    change_in=PublicationDecisionChangeIn,
    out=PublicationDecisionSerializer,
)
class PublicationDecisionViewSet(RegisterViewSet):
    """The register the transparency group (publication and disclosure on time, full content) reads."""

    serializer_class = PublicationDecisionSerializer
    filterset_class = PublicationDecisionFilter

    def get_queryset(self) -> QuerySet[PublicationDecision]:
        if getattr(self, "swagger_fake_view", False):
            return PublicationDecision.objects.none()
        items = PublishedProcedure.objects.select_related("procedure").order_by("procedure__code")
        return (
            decisions_visible_to(self.request.user)
            .select_related("authority")
            .prefetch_related(Prefetch("items", queryset=items))
            .order_by("-decided_on", "number", "pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PublicationDecisionIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        if not may_administer(request.user, data.validated_data["authority"]):
            raise PermissionDenied(
                _("Only administrators of the issuing province or ministry may record its decisions.")
            )
        decision = record_decision(**data.validated_data)
        return Response(
            PublicationDecisionSerializer(self.get_queryset().get(pk=decision.pk)).data, status=201
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        decision = self.get_object()
        if not may_administer(request.user, decision.authority):
            raise PermissionDenied(
                _("Only administrators of the issuing province or ministry may change its decisions.")
            )
        data = PublicationDecisionChangeIn(instance=decision, data=request.data)
        data.is_valid(raise_exception=True)
        change_decision(decision, **data.validated_data)
        return Response(PublicationDecisionSerializer(self.get_queryset().get(pk=decision.pk)).data)
