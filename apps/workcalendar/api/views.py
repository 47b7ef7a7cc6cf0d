"""Read-only views of the working calendar: which days count, and why a deadline is what it is."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalogue.models import TimeUnit
from apps.catalogue.rules import time_limit_for, version_for
from apps.core.api.schema import COMMON_ERRORS
from apps.workcalendar.api.serializers import DayOut, DaysQuery, DeadlineQuery, ExplanationOut
from apps.workcalendar.services import calendar_for_unit


class CalendarDaysView(APIView):
    @extend_schema(
        summary="Working and non-working days of a unit's calendar, with reasons",
        parameters=[DaysQuery],
        responses={200: DayOut(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = DaysQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        calendar = calendar_for_unit(query.validated_data["unit"])
        working = query.validated_data["working"]
        day, end, days = query.validated_data["start"], query.validated_data["end"], []
        while day <= end:
            entry = calendar.day(day)
            if working is None or entry.is_working == working:
                days.append({"date": day, "is_working": entry.is_working, "reason": entry.reason})
            day += dt.timedelta(days=1)
        return Response(DayOut(days, many=True).data)


class DeadlinePreviewView(APIView):
    @extend_schema(
        summary="Compute and explain a due date without recording anything",
        parameters=[DeadlineQuery],
        responses={200: ExplanationOut, **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = DeadlineQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        received_at = values["received_at"]
        calendar = calendar_for_unit(values["unit"])
        if "procedure" in values:
            version = version_for(values["procedure"], received_at.astimezone(calendar.tz).date())
            limit = time_limit_for(version, online=values["channel"] == 2)
            unit = TimeUnit(version.time_unit)
        else:
            limit, unit = values["limit"], TimeUnit(values["time_unit"])
        explanation = calendar.explain(received_at, limit, unit)
        return Response(ExplanationOut(explanation).data)
