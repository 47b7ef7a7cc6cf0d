from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.catalogue.models import Procedure, TimeUnit
from apps.core.api.dates import DayField, InstantField
from apps.core.api.fields import CodeField
from apps.core.errors import ErrorCode
from apps.organisation.models import Unit

MAX_DAYS = 366


class DaysQuery(serializers.Serializer):
    unit = CodeField(queryset=Unit.objects.all(), unknown_code=ErrorCode.UNKNOWN_UNIT, noun="unit")
    start = DayField(help_text="First day (inclusive).")
    end = DayField(help_text=f"Last day (inclusive); at most {MAX_DAYS} days after `start`.")
    working = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("`end` is before `start`.")]}, code="invalid")
        if attrs["end"] - attrs["start"] > dt.timedelta(days=MAX_DAYS):
            raise serializers.ValidationError(
                {"end": [_("At most %(days)s days at once.") % {"days": MAX_DAYS}]}, code="max_value"
            )
        return attrs


class DayOut(serializers.Serializer):
    date = serializers.DateField()
    is_working = serializers.BooleanField()
    reason = serializers.CharField()


class DeadlineQuery(serializers.Serializer):
    unit = CodeField(
        queryset=Unit.objects.all(),
        unknown_code=ErrorCode.UNKNOWN_UNIT,
        noun="unit",
        help_text="Handling unit: its province's calendar applies.",
    )
    received_at = InstantField()
    procedure = CodeField(
        queryset=Procedure.objects.all(),
        unknown_code=ErrorCode.UNKNOWN_PROCEDURE,
        noun="procedure",
        required=False,
        help_text="Take the time limit from the version in force on the receipt day…",
    )
    channel = serializers.IntegerField(required=False, default=1, min_value=1, max_value=3)
    limit = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, required=False, help_text="…or give it directly."
    )
    time_unit = serializers.ChoiceField(choices=TimeUnit.choices, required=False)

    def validate(self, attrs: dict) -> dict:
        if "procedure" not in attrs and ("limit" not in attrs or "time_unit" not in attrs):
            raise serializers.ValidationError(
                {"procedure": [_("Give a procedure, or both `limit` and `time_unit`.")]}, code="required"
            )
        return attrs


class NotableDayOut(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()


class ExplanationOut(serializers.Serializer):
    received_at = serializers.DateTimeField()
    clock_start = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    limit = serializers.DecimalField(max_digits=7, decimal_places=2)
    unit = serializers.CharField(help_text="The time unit of the limit.")
    rule = serializers.CharField()
    working_minutes = serializers.IntegerField(allow_null=True)
    skipped_days = NotableDayOut(many=True)
    make_up_days = NotableDayOut(many=True)
    text = serializers.CharField(source="as_text")
