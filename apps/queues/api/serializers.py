"""Input and output shapes of the queue endpoints."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api.dates import InstantField
from apps.core.api.schema import FieldErrorOut
from apps.organisation.models import AreaType
from apps.queues.figures import BREAKDOWNS
from apps.queues.models import Ticket, WorkloadPeriod
from apps.queues.services import EventData
from apps.queues.status import TicketEventKind, TicketStatus
from apps.statistics.api.serializers import PeriodOut, PeriodQuery

# ---- ticket events ------------------------------------------------------------------------------


class TicketEventIn(serializers.Serializer):
    ticket = serializers.CharField(max_length=128, help_text=_("The kiosk system's id of the ticket."))
    event = serializers.ChoiceField(choices=TicketEventKind.choices)
    at = InstantField(help_text=_("When it happened, with its UTC offset."))
    unit = serializers.CharField(
        max_length=32, required=False, default="", help_text=_("issued: the unit (centre) of the queue.")
    )
    number = serializers.CharField(
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text=_("issued: as printed, e.g. A042."),
    )
    field = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True,
        help_text=_("issued: the service chosen at the kiosk (field of administration code)."),
    )  # fmt: skip
    procedure = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
    counter = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, allow_null=True, default=None,
        help_text=_("called (required), started: the counter's number in the ticket's unit."),
    )  # fmt: skip
    staff = serializers.CharField(
        max_length=150, required=False, default="", allow_blank=True,
        help_text=_("called, started, finished: the staff user's username."),
    )  # fmt: skip
    dossiers = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, max_length=100,
        help_text=_("Codes of the dossiers received at this visit (received at the ticket's unit)."),
    )  # fmt: skip

    def event_data(self) -> EventData:
        values = dict(self.validated_data)
        values["dossiers"] = tuple(values["dossiers"])
        return EventData(**values)


class TicketEventsIn(serializers.Serializer):
    items = TicketEventIn(many=True, help_text=_("At most 5,000 events; applied in event-time order."))


class TicketOut(serializers.ModelSerializer):
    ticket = serializers.CharField(source="external_id")
    unit = serializers.CharField(source="unit.code")
    field = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    counter = serializers.IntegerField(source="counter.number", allow_null=True, default=None)
    staff = serializers.CharField(source="staff.username", allow_null=True, default=None)
    wait_minutes = serializers.IntegerField(allow_null=True)
    handling_minutes = serializers.IntegerField(allow_null=True)
    dossiers = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "ticket", "unit", "number", "field", "procedure", "status", "issued_at", "first_called_at",
            "started_at", "finished_at", "no_show_at", "call_count", "counter", "staff", "wait_minutes",
            "handling_minutes", "dossiers",
        ]  # fmt: skip
        read_only_fields = fields


# One event answers created, updated or unchanged (named in the schema: ENUM_NAME_OVERRIDES).
EVENT_OUTCOMES = ["created", "updated", "unchanged"]
# An item of a bulk request (the same set as the dossier ingest's items: one enum in the schema).
ITEM_OUTCOMES = ["created", "updated", "unchanged", "rejected"]


class TicketEventOut(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=EVENT_OUTCOMES)
    ticket = TicketOut()


class TicketItemOut(serializers.Serializer):
    index = serializers.IntegerField()
    ticket = serializers.CharField(allow_null=True)
    event = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=ITEM_OUTCOMES)
    status = serializers.ChoiceField(choices=TicketStatus.choices, allow_null=True)
    errors = FieldErrorOut(many=True)


class TicketCountsOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class TicketEventsOut(serializers.Serializer):
    counts = TicketCountsOut()
    items = TicketItemOut(many=True, help_text=_("One result per item, in the order sent."))


# ---- figures ------------------------------------------------------------------------------------


class QueueFiguresQuery(PeriodQuery):
    by = serializers.ChoiceField(
        choices=list(BREAKDOWNS), default="counter", help_text=_("Rows per unit, counter or staff user.")
    )


class MinutesOut(serializers.Serializer):
    count = serializers.IntegerField()
    median_minutes = serializers.IntegerField(allow_null=True, help_text=_("Nearest-rank, whole minutes."))
    p90_minutes = serializers.IntegerField(allow_null=True)
    target_minutes = serializers.IntegerField()
    within_target = serializers.IntegerField()
    within_target_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)


class QueueFiguresOut(serializers.Serializer):
    tickets = serializers.IntegerField()
    served = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    open = serializers.IntegerField(help_text=_("Still waiting, called or being served."))
    no_show_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    waiting = MinutesOut(help_text=_("From the ticket's issue to its first call."))
    handling = MinutesOut(help_text=_("From the start of service (else the last call) to its end."))


class QueueRowOut(QueueFiguresOut):
    unit = serializers.CharField(allow_null=True)
    counter = serializers.IntegerField(allow_null=True)
    staff = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class QueueTargetsOut(serializers.Serializer):
    max_wait_minutes = serializers.IntegerField()
    max_handling_minutes = serializers.IntegerField()


class UnitQueueFiguresOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    period = PeriodOut()
    targets = QueueTargetsOut()
    by = serializers.CharField()
    total = QueueFiguresOut()
    rows = QueueRowOut(many=True)


class WorkloadRowOut(serializers.Serializer):
    unit = serializers.CharField()
    name = serializers.CharField()
    area_type = serializers.ChoiceField(choices=AreaType.choices, allow_null=True)
    staff = serializers.IntegerField()
    received = serializers.IntegerField()
    finished = serializers.IntegerField()
    received_per_staff_per_year = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True)
    finished_per_staff_per_year = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True)
    target_per_staff_per_year = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True)
    received_vs_target = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    finished_vs_target = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)


class StaffWorkloadOut(serializers.Serializer):
    staff = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    area_type = serializers.ChoiceField(choices=AreaType.choices, allow_null=True)
    received = serializers.IntegerField()
    finished = serializers.IntegerField()
    tickets_served = serializers.IntegerField()
    received_per_year = serializers.DecimalField(max_digits=16, decimal_places=1)
    finished_per_year = serializers.DecimalField(max_digits=16, decimal_places=1)
    target_per_year = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True)
    received_vs_target = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)


class WorkloadTargetsOut(serializers.Serializer):
    workload_period = serializers.ChoiceField(choices=WorkloadPeriod.choices)
    dossiers_per_staff = serializers.DictField(child=serializers.IntegerField())


class UnitWorkloadOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    period = PeriodOut()
    observed_days = serializers.IntegerField(
        help_text=_("Days of the period elapsed: the annualisation base.")
    )
    targets = WorkloadTargetsOut()
    total = WorkloadRowOut()
    units = WorkloadRowOut(many=True)
    staff = StaffWorkloadOut(many=True)
