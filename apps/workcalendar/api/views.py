"""Read-only views of the working calendar: which days count, and why a deadline is what it is."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalogue.models import TimeUnit
from apps.core.api.params import check_known_params
from apps.core.api.schema import COMMON_ERRORS
from apps.workcalendar.api.serializers import DayOut, DaysQuery, DeadlineQuery, ExplanationOut
from apps.workcalendar.reasons import translate_reason
from apps.workcalendar.services import calendar_for_unit, explain_procedure_deadline


class CalendarDaysView(APIView):
    @extend_schema(
        summary="Working and non-working days of a unit's calendar, with reasons",
        parameters=[DaysQuery],
        responses={200: DayOut(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        check_known_params(request, DaysQuery().fields)
        query = DaysQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        calendar = calendar_for_unit(query.validated_data["unit"])
        working = query.validated_data["working"]
        day, end, days = query.validated_data["start"], query.validated_data["end"], []
        while day <= end:
            entry = calendar.day(day)
            if working is None or entry.is_working == working:
                days.append(
                    {"date": day, "is_working": entry.is_working, "reason": translate_reason(entry.reason)}
                )
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
        if "procedure" in values:
            explanation = explain_procedure_deadline(
                values["procedure"], values["unit"], received_at, online=values["channel"] == 2
            )
        else:
            explanation = calendar_for_unit(values["unit"]).explain(
                received_at, values["limit"], TimeUnit(values["time_unit"])
            )
        return Response(ExplanationOut(explanation).data)
