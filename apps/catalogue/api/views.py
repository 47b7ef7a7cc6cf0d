from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import Role, User
from apps.catalogue.api.serializers import (
    ProcedureDetailSerializer,
    ProcedureSerializer,
    ProcedureVersionOnlineIn,
    ProcedureVersionSerializer,
)
from apps.catalogue.models import Level, OnlineLevel, Procedure, ProcedureVersion, TimeUnit
from apps.catalogue.selectors import attach_current, procedures_with_version_on, search_procedures
from apps.core.api.dates import DayField
from apps.core.api.schema import COMMON_ERRORS


def can_record_catalogue_facts(user: User) -> bool:
    """The catalogue is shared by every unit, so only administrators (and superusers) change it."""
    return bool(user.is_superuser) or user.role == Role.ADMINISTRATOR


ON_PARAMETER = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="Show the version in force on this date (default: today)."
)


class ProcedureFilter(django_filters.FilterSet):
    field = django_filters.CharFilter(method="by_version", label="Field code")
    level = django_filters.ChoiceFilter(choices=Level.choices, method="by_version")
    time_unit = django_filters.ChoiceFilter(choices=TimeUnit.choices, method="by_version")
    online_level = django_filters.ChoiceFilter(choices=OnlineLevel.choices, method="by_version")
    q = django_filters.CharFilter(
        method="search",
        help_text="Code prefix, or words of the name without diacritics or case (`khai sinh`).",
    )

    class Meta:
        model = Procedure
        fields = ["field", "level", "time_unit", "online_level", "q"]

    def _version_filter(self, **lookups) -> Q:
        versions = ProcedureVersion.objects.valid_on(self.request_day()).filter(**lookups)
        return Q(pk__in=versions.values("procedure_id"))

    def request_day(self):
        return self.request.parsed_on if self.request is not None else timezone.localdate()

    def by_version(self, queryset, name, value):
        lookup = {"field": "field__code"}.get(name, name)
        return queryset.filter(self._version_filter(**{lookup: value}))

    def search(self, queryset, name, value):
        # The counter's rule (code prefix, or every word of the name without diacritics), as the console's.
        found = search_procedures(value, self.request_day(), limit=None)
        return queryset.filter(pk__in=[procedure.pk for procedure in found])


@extend_schema_view(
    list=extend_schema(parameters=[ON_PARAMETER]), retrieve=extend_schema(parameters=[ON_PARAMETER])
)
class ProcedureViewSet(viewsets.ReadOnlyModelViewSet):
    """The procedure catalogue. Each procedure shows the version in force on a date, and its history."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = ProcedureFilter
    extra_query_params = ("on",)  # read in initial(); any other unknown parameter answers 400

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raw = request.query_params.get("on")
        field = DayField()
        try:
            request.parsed_on = field.run_validation(raw) if raw else timezone.localdate()
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"on": exc.detail}) from None

    def get_serializer_class(self):
        return ProcedureDetailSerializer if self.action == "retrieve" else ProcedureSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Procedure.objects.none()
        if self.action == "retrieve":
            versions = (
                ProcedureVersion.objects.select_related("field")
                .prefetch_related("components")
                .order_by("-valid_from")
            )
            day = getattr(self.request, "parsed_on", timezone.localdate())
            return Procedure.objects.prefetch_related(
                Prefetch("versions", queryset=versions),
                Prefetch(
                    "versions",
                    queryset=ProcedureVersion.objects.valid_on(day)
                    .select_related("field")
                    .prefetch_related("components"),
                    to_attr="versions_on_day",
                ),
            )
        return procedures_with_version_on(self.request.parsed_on).order_by("code")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return attach_current(list(page)) if page is not None else None

    def get_object(self):
        return attach_current([super().get_object()])[0]

    @extend_schema(
        summary="Change the highest online level a version allows (administrators)",
        parameters=[
            OpenApiParameter(
                "valid_from",
                OpenApiTypes.DATE,
                OpenApiParameter.PATH,
                description="First day of the version.",
            )
        ],
        request=ProcedureVersionOnlineIn,
        responses={200: ProcedureVersionSerializer, **COMMON_ERRORS},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"versions/(?P<valid_from>[^/]+)",
        url_name="version",
        filter_backends=[],
        pagination_class=None,
    )
    def version(self, request: Request, code: str | None = None, valid_from: str | None = None) -> Response:
        if not can_record_catalogue_facts(request.user):
            raise PermissionDenied(gettext("Only administrators may change the procedure catalogue."))
        try:
            day = DayField().run_validation(valid_from)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"valid_from": exc.detail}) from None
        version = (
            ProcedureVersion.objects.select_related("field")
            .filter(procedure__code=code, valid_from=day)
            .first()
        )
        if version is None:
            raise NotFound(
                gettext("Procedure %(code)s has no version starting %(day)s.") % {"code": code, "day": day}
            )
        data = ProcedureVersionOnlineIn(instance=version, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(ProcedureVersionSerializer(data.save()).data)
