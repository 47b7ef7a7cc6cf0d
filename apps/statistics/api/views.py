"""Statistics endpoints under /api/v1/units/{code}/…: score, rankings, trend, what-if, on-time, dossiers.

Read scope follows the user's unit subtree: a unit outside it answers 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.scope import visible_units
from apps.core.api.pagination import DossierCursorPagination
from apps.core.api.params import check_known_params, paginator_params
from apps.core.api.schema import COMMON_ERRORS
from apps.dossiers.api.serializers import DossierOut
from apps.dossiers.models import Dossier
from apps.integrations.models import Scope
from apps.organisation.models import Unit
from apps.scoring.methodology import Methodology
from apps.statistics import reports
from apps.statistics.api import serializers as out
from apps.statistics.periods import Period, PeriodKind
from apps.statistics.rankings import BandRule, parse_bands
from apps.statistics.services import today
from apps.statistics.targets import TargetRefused, parse_api_targets, target_problems


def period_data(period: Period) -> dict:
    return {"key": period.key, "kind": period.kind.value, "start": period.start, "end": period.end}


class UnitStatsView(APIView):
    query_class: type[serializers.Serializer] = out.PeriodQuery

    def unit(self, code: str) -> Unit:
        return get_object_or_404(visible_units(self.request.user), code=code)

    def query(self) -> dict:
        # A parameter the query does not know answers 400 unknown_parameter (apps/core/api/params.py).
        check_known_params(self.request, {*self.query_class().fields, *paginator_params(self)})
        data = {key: self.request.query_params.get(key) for key in self.request.query_params}
        if "target" in self.request.query_params:
            data["target"] = self.request.query_params.getlist("target")
        query = self.query_class(data=data)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        if "period" in self.query_class().fields:
            try:
                values["period"] = reports.resolve_period(values.get("period"), today())
            except ValueError as exc:
                detail = ErrorDetail(str(exc), code=getattr(exc, "code", "invalid"))
                raise serializers.ValidationError({"period": [detail]}) from None
        return values


def _with_periods(result: dict) -> dict:
    result = dict(result)
    result["period"] = period_data(result["period"])
    if "previous" in result:
        result["previous"] = {**result["previous"], "period": period_data(result["previous"]["period"])}
    return result


class ScoreView(UnitStatsView):
    @extend_schema(
        summary="A unit's index score for a period, with rank among siblings and change",
        parameters=[out.PeriodQuery],
        responses={200: out.UnitScoreOut, **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        result = reports.unit_score(unit, query["period"])
        return Response(out.UnitScoreOut(_with_periods(result)).data)


class RankingsView(UnitStatsView):
    query_class = out.RankingsQuery

    @extend_schema(
        summary="The unit's children ranked (competition ranking) by total or by a group",
        parameters=[out.RankingsQuery],
        responses={200: out.RankingsOut, **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        methodology = Methodology.for_date(query["period"].end)
        groups = {g.code for g in methodology.groups}
        if query["by"] != "total" and query["by"] not in groups:
            raise serializers.ValidationError(
                {"by": [gettext("Use total or one of %(groups)s.") % {"groups": ", ".join(sorted(groups))}]}
            )
        if query.get("bands"):
            try:
                bands = parse_bands(query["bands"])
            except ValueError as exc:
                raise serializers.ValidationError({"bands": [str(exc)]}) from None
        else:
            bands = [BandRule(b.code, b.min) for b in methodology.bands]
        result = reports.rankings(unit, query["period"], by=query["by"], bands=bands, kind=query.get("kind"))
        result["period"] = period_data(result["period"])
        return Response(out.RankingsOut(result).data)


class TrendView(UnitStatsView):
    query_class = out.TrendQuery

    @extend_schema(
        summary="Weekly, monthly, quarterly or yearly totals and groups over time",
        parameters=[out.TrendQuery],
        responses={200: out.TrendPointOut(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        points = reports.trend(unit, PeriodKind(query["kind"]), query["count"])
        return Response(
            out.TrendPointOut([{**p, "period": period_data(p["period"])} for p in points], many=True).data
        )


class WhatIfView(UnitStatsView):
    query_class = out.WhatIfQuery

    @extend_schema(
        summary="Points gained if indicators or groups reached target rates; room for improvement",
        parameters=[out.WhatIfQuery],
        responses={200: out.WhatIfOut, **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        # The console's what-if form reads and checks targets with these same functions.
        try:
            targets = parse_api_targets(query.get("target", []))
        except TargetRefused as exc:
            raise serializers.ValidationError({"target": [exc.message]}) from None
        problems = target_problems(targets, Methodology.for_date(query["period"].end))
        if problems:
            raise serializers.ValidationError({"target": list(problems.values())})
        try:
            result = reports.what_if(unit, query["period"], targets)
        except ValueError as exc:
            raise serializers.ValidationError({"target": [str(exc)]}) from None
        result["period"] = period_data(result["period"])
        return Response(out.WhatIfOut(result).data)


class OnTimeView(UnitStatsView):
    query_class = out.OnTimeQuery

    @extend_schema(
        summary="On time, late and rate by child unit, procedure or field, by name; sortable, by kind",
        parameters=[out.OnTimeQuery],
        responses={200: out.OnTimeRowOut(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        rows = reports.on_time_breakdown(
            unit, query["period"], query["by"], kind=query.get("kind"), ordering=query["ordering"]
        )
        return Response(out.OnTimeRowOut(rows, many=True).data)


class CountedDossierPagination(DossierCursorPagination):
    """Dossier cursor pages that also give ``count``: the statistics' own number, never a COUNT(*)."""

    count: int | None = None

    def window(self, request: Request) -> dict | None:
        """What this request's page reads of the list, as :func:`reports.dossiers_behind` takes it:
        ``limit`` (the cursor's offset, the page and one more row, which tells whether a next page
        exists), the cursor's ``position`` and its direction. None when there is no page to cut (no
        page size) or the position is an empty receipt time, which no row of these lists has: the
        list is then read whole and cut by the paginator as before.

        The paginator still orders, filters and slices the queryset itself; given the same position,
        direction and limit, the ids' query keeps the same first rows, so the page is unchanged.
        """
        self._model = Dossier
        size = self.get_page_size(request)
        if not size:
            return None
        cursor = self.decode_cursor(request)
        offset, backwards, current = cursor if cursor is not None else (0, False, None)
        position = None
        if current is not None:
            value, pk = self._split(current)
            if value is None:
                return None
            if timezone.is_naive(value):  # as the ORM reads a naive instant in the paginator's filter
                value = timezone.make_aware(value)
            position = (value, pk)
        return {"limit": offset + size + 1, "position": position, "backwards": backwards}

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


class DossiersBehindView(UnitStatsView, generics.ListAPIView):
    """The dossiers behind a count, from the same conditions the count is computed with.

    Its rows are dossiers (applicant names included), so a machine client needs ``read_dossiers`` here,
    not ``read_scores``; staff read it within their scope like any dossier list.
    """

    client_scopes = {"*": Scope.READ_DOSSIERS}

    query_class = out.DossiersBehindQuery
    serializer_class = DossierOut
    pagination_class = CountedDossierPagination
    filter_backends: list = []

    @extend_schema(
        summary="The dossiers behind a number, with how many there are",
        parameters=[out.DossiersBehindQuery],
        responses={200: out.DossiersBehindPageOut, **COMMON_ERRORS},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dossier.objects.none()
        unit, query = self.unit(self.kwargs["code"]), self.query()
        self.paginator.count = reports.dossiers_behind_count(unit, query["period"], query["measure"])
        # The page is cut inside the ids' query, as on the console's list: a deep page costs a page.
        window = self.paginator.window(self.request) or {}
        return reports.dossiers_behind(unit, query["period"], query["measure"], **window)
