from __future__ import annotations

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.scope import may_administer, visible_units
from apps.core.api.schema import COMMON_ERRORS
from apps.organisation.api.serializers import UnitFlagsIn, UnitSerializer, UnitTreeSerializer
from apps.organisation.models import Unit, UnitKind
from apps.organisation.selectors import nested_tree


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    parent = django_filters.CharFilter(
        field_name="parent__code", help_text="Direct children of this unit code."
    )
    q = django_filters.CharFilter(method="search", help_text="Code prefix or part of the name.")

    class Meta:
        model = Unit
        fields = ["kind", "parent", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__istartswith=value) | Q(name__icontains=value))


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisation units visible to the user (their unit's subtree), looked up by code."""

    serializer_class = UnitSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = UnitFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Unit.objects.none()
        return visible_units(self.request.user).select_related("parent").order_by("path")

    @extend_schema(
        summary="The unit and all its descendants, flat, in tree order", responses=UnitSerializer(many=True)
    )
    @action(detail=True, methods=["get"])
    def subtree(self, request: Request, code: str | None = None) -> Response:
        unit = get_object_or_404(self.get_queryset(), code=code)  # the filters apply to the subtree only
        queryset = self.filter_queryset(self.get_queryset().filter(path__startswith=unit.path))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="The unit's subtree as a nested tree", responses=UnitTreeSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def tree(self, request: Request, code: str | None = None) -> Response:
        return Response(UnitTreeSerializer(nested_tree(self.get_object())).data)

    @extend_schema(
        summary="Set whether the unit offers electronic certified copies (administrators of its subtree)",
        request=UnitFlagsIn,
        responses={200: UnitSerializer, **COMMON_ERRORS},
    )
    def partial_update(self, request: Request, code: str | None = None) -> Response:
        unit = self.get_object()
        if not may_administer(request.user, unit):
            raise PermissionDenied(
                gettext("Only administrators of a subtree holding this unit may change it.")
            )
        data = UnitFlagsIn(data=request.data)
        data.is_valid(raise_exception=True)
        unit.offers_electronic_certified_copy = data.validated_data["offers_electronic_certified_copy"]
        unit.save(update_fields=["offers_electronic_certified_copy"])  # no path change: save_unit not needed
        return Response(UnitSerializer(unit).data)
