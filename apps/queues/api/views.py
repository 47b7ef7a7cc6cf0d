"""Queue endpoints: ticket events from kiosks and displays (machine clients), figures and workload (read).

Posting events needs the ``write_tickets`` scope; a replay with the same ``Idempotency-Key`` gets the
first response back (apps/integrations/idempotency.py), and an event already recorded answers
``unchanged`` anyway. Figures and workload read like the statistics: a unit outside the caller's subtree
is 404, machine clients need ``read_scores``.
"""

from __future__ import annotations

from collections import Counter as Tally

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.actors import Actor
from apps.core.api.errors import error_body, flatten_validation_detail
from apps.core.api.schema import COMMON_ERRORS, error
from apps.core.errors import DomainError, ErrorCode
from apps.integrations.api.views import IDEMPOTENCY_HEADER, INGEST_ERRORS
from apps.integrations.auth import client_of
from apps.integrations.models import MachineClient, Scope
from apps.queues import figures, services
from apps.queues.api import serializers as s
from apps.statistics.api.views import UnitStatsView, period_data
from apps.statistics.services import today

EVENT_ERRORS = {
    **INGEST_ERRORS,
    409: error(
        "`illegal_transition` (the ticket's state does not allow the event), `unknown_ticket` (not issued "
        "yet), `duplicate_ticket` (issued before, differently) or `idempotency_in_progress`"
    ),
    422: error(
        "`event_before_previous`, `unknown_counter`, `unknown_staff`, `unknown_dossier`, `unknown_unit` "
        "or `idempotency_key_reused`"
    ),
}


class TicketClientView(APIView):
    client_scopes = {"POST": Scope.WRITE_TICKETS}

    def client(self, request: Request) -> MachineClient:
        client = client_of(request)
        if client is None:
            raise PermissionDenied(gettext("Queue events are posted by kiosks and displays (an API key)."))
        return client


class TicketEventView(TicketClientView):
    @extend_schema(
        summary="Post one queue ticket event (kiosks and counter displays; machine clients)",
        description=(
            "`issued` (with `unit`, optionally `number`, `field`/`procedure`), `called` (with `counter`, "
            "`staff`), `started`, `finished`, `no_show`. The ticket is identified by `ticket` within your "
            "client's namespace; an event already recorded (same ticket, event and `at`) is `unchanged`."
        ),
        request=s.TicketEventIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.TicketEventOut, 200: s.TicketEventOut, **EVENT_ERRORS},
    )
    def post(self, request: Request) -> Response:
        client = self.client(request)
        data = s.TicketEventIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.record_event(
            data.event_data(), source_system=client.name, scope_path=client.unit.path,
            actor=Actor.of_system(client.name),
        )  # fmt: skip
        body = {"outcome": result.outcome, "ticket": s.TicketOut(result.ticket).data}
        return Response(body, status=201 if result.outcome == services.CREATED else 200)


class TicketEventsBulkView(TicketClientView):
    @extend_schema(
        summary="Post many queue ticket events (≤ 5,000), each with its own result",
        description=(
            "Items are applied in event-time order, each on its own: a refused item is `rejected` with its "
            "errors (the codes of the single endpoint) and the others stand."
        ),
        request=s.TicketEventsIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: s.TicketEventsOut, **INGEST_ERRORS},
    )
    def post(self, request: Request) -> Response:
        client = self.client(request)
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise DomainError(ErrorCode.VALIDATION_ERROR, gettext("Send an object with an `items` list."),
                              field="items")  # fmt: skip
        items = body["items"]
        if len(items) > services.MAX_ITEMS:
            message = gettext("%(n)s items; at most %(max)s per request.") % {
                "n": len(items),
                "max": services.MAX_ITEMS,
            }
            body = error_body(ErrorCode.TOO_MANY_ITEMS, message,
                              [{"field": "items", "code": "too_many_items", "message": message}])  # fmt: skip
            return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        valid, outcomes = [], []
        for index, item in enumerate(items):
            one = s.TicketEventIn(data=item)
            if one.is_valid():
                valid.append((index, one.event_data()))
            else:
                raw = item if isinstance(item, dict) else {}
                errors = flatten_validation_detail(one.errors)
                outcomes.append(services.rejected(index, raw.get("ticket"), raw.get("event"), errors))
        outcomes += services.ingest_events(
            valid, source_system=client.name, scope_path=client.unit.path, actor=Actor.of_system(client.name)
        )
        outcomes.sort(key=lambda o: o.index)
        counts = Tally(o.outcome for o in outcomes)
        out = {
            "counts": {k: counts[k] for k in ("created", "updated", "unchanged", "rejected")},
            "items": [o.as_dict() for o in outcomes],
        }
        return Response(out)


class QueueFiguresView(UnitStatsView):
    client_scopes = {"GET": Scope.READ_SCORES}
    query_class = s.QueueFiguresQuery

    @extend_schema(
        summary="Counter queue figures: tickets, waiting and handling minutes (median, p90, within target)",
        parameters=[s.QueueFiguresQuery],
        responses={200: s.UnitQueueFiguresOut, **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        result = figures.queue_figures(unit, query["period"], by=query["by"])
        result["period"] = period_data(result["period"])
        return Response(s.UnitQueueFiguresOut(result).data)


class WorkloadView(UnitStatsView):
    client_scopes = {"GET": Scope.READ_SCORES}
    query_class = s.PeriodQuery

    @extend_schema(
        summary="Dossiers received and finished per staff member, annualised, against the area's target",
        parameters=[s.PeriodQuery],
        responses={200: OpenApiResponse(s.UnitWorkloadOut), **COMMON_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        unit, query = self.unit(code), self.query()
        result = figures.workload(unit, query["period"], today())
        result["period"] = period_data(result["period"])
        return Response(s.UnitWorkloadOut(result).data)
