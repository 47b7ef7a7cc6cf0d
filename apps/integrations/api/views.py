"""Endpoints for external systems (bulk ingest, webhooks) and for the staff who manage their keys."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Role
from apps.core.actors import Actor
from apps.core.api.errors import error_body
from apps.core.api.pagination import BoundedPageNumberPagination
from apps.core.api.params import check_known_params
from apps.core.api.schema import COMMON_ERRORS, error
from apps.core.errors import DomainError, ErrorCode, ScopeError
from apps.dossiers.services import bulk
from apps.integrations.api import serializers as s
from apps.integrations.auth import ANY_SCOPE, client_of
from apps.integrations.models import ApiKey, MachineClient, Scope, WebhookDelivery, WebhookSubscription
from apps.integrations.services import clients, destinations, webhooks
from apps.integrations.tasks import deliver_webhook, fan_out_events

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Machine clients: a replay of the same request with the same key returns the first response.",
)
INGEST_ERRORS = {
    **COMMON_ERRORS,
    409: error("`idempotency_in_progress`: the first request with this key is still running"),
    413: error("`payload_too_large` (body over the limit) or `too_many_items` (over 5,000 items)"),
    422: error("`idempotency_key_reused`: the key was used for a different request"),
    429: error("`throttled`: over the client's rate limit"),
}


# ---- staff: clients and keys ----------------------------------------------------------------------


def _manageable(user) -> bool:
    return user.is_superuser or (user.role == Role.ADMINISTRATOR and user.unit_id is not None)


def _clients_for(user):
    query = MachineClient.objects.select_related("unit").prefetch_related(
        Prefetch("keys", queryset=ApiKey.objects.order_by("-created_at"))
    )
    if user.is_superuser:
        return query
    return query.filter(unit__path__startswith=user.unit.path)


class StaffOnly:
    client_scopes: dict = {}  # machine clients may not manage clients

    def check_staff(self, request: Request) -> None:
        if not _manageable(request.user):
            raise PermissionDenied(gettext("Only administrators manage machine clients."))


class ClientListView(StaffOnly, APIView):
    @extend_schema(
        summary="Machine clients within your subtree",
        responses={200: s.ClientOut(many=True), **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        self.check_staff(request)
        check_known_params(request, ())
        return Response(s.ClientOut(_clients_for(request.user), many=True).data)

    @extend_schema(
        summary="Register a machine client", request=s.ClientIn, responses={201: s.ClientOut, **COMMON_ERRORS}
    )
    def post(self, request: Request) -> Response:
        self.check_staff(request)
        data = s.ClientIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if not request.user.is_superuser and not values["unit"].path.startswith(request.user.unit.path):
            raise ScopeError(
                ErrorCode.UNIT_OUT_OF_SCOPE, gettext("The unit is outside your subtree."), field="unit"
            )
        client = clients.create_client(**values)
        return Response(s.ClientOut(_clients_for(request.user).get(pk=client.pk)).data, status=201)


class ClientDetailView(StaffOnly, APIView):
    @extend_schema(summary="One machine client and its keys", responses={200: s.ClientOut, **COMMON_ERRORS})
    def get(self, request: Request, name: str) -> Response:
        self.check_staff(request)
        return Response(s.ClientOut(get_object_or_404(_clients_for(request.user), name=name)).data)

    @extend_schema(summary="Change a client's scopes, unit, rate limit or activity", request=s.ClientUpdateIn,
                   responses={200: s.ClientOut, **COMMON_ERRORS})  # fmt: skip
    def patch(self, request: Request, name: str) -> Response:
        self.check_staff(request)
        client = get_object_or_404(_clients_for(request.user), name=name)
        data = s.ClientUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit = values.get("unit")
        if unit and not request.user.is_superuser and not unit.path.startswith(request.user.unit.path):
            raise ScopeError(
                ErrorCode.UNIT_OUT_OF_SCOPE, gettext("The unit is outside your subtree."), field="unit"
            )
        clients.update_client(client, **values)
        return Response(s.ClientOut(_clients_for(request.user).get(pk=client.pk)).data)


class KeyListView(StaffOnly, APIView):
    @extend_schema(summary="Issue an API key (the key is shown once)", request=s.KeyIn,
                   responses={201: s.NewKeyOut, **COMMON_ERRORS})  # fmt: skip
    def post(self, request: Request, name: str) -> Response:
        self.check_staff(request)
        client = get_object_or_404(_clients_for(request.user), name=name)
        data = s.KeyIn(data=request.data)
        data.is_valid(raise_exception=True)
        key, plaintext = clients.issue_key(client, **data.validated_data)
        body = s.ApiKeyOut(key).data
        return Response({"key": plaintext, **body}, status=201)


class KeyRevokeView(StaffOnly, APIView):
    @extend_schema(
        summary="Revoke an API key (immediately)", request=None, responses={200: s.ApiKeyOut, **COMMON_ERRORS}
    )
    def post(self, request: Request, name: str, prefix: str) -> Response:
        self.check_staff(request)
        client = get_object_or_404(_clients_for(request.user), name=name)
        key = get_object_or_404(ApiKey, client=client, prefix=prefix)
        return Response(s.ApiKeyOut(clients.revoke_key(key)).data)


# ---- machine clients: bulk ingest -----------------------------------------------------------------


class IngestView(APIView):
    client_scopes = {"POST": Scope.WRITE_DOSSIERS}

    @extend_schema(
        summary="Bulk ingest of dossiers and status events (≤ 5,000 items; machine clients)",
        description=(
            "Each item is identified by `(client, external_id)`: created, updated (applicant, fee, handling "
            "unit, index flags), unchanged, or rejected with its errors. Events (`type: event`) are applied "
            "in event-time order and re-classify the dossier; an event already recorded is unchanged."
        ),
        request=s.IngestIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            200: s.IngestOut,
            **INGEST_ERRORS,
            422: OpenApiResponse(
                s.IngestRejectedOut,
                description="`batch_rejected` (all_or_nothing: nothing applied, each item's outcome) or "
                "`idempotency_key_reused` (the error format alone)",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        client = client_of(request)
        if client is None:
            raise PermissionDenied(
                gettext("Bulk ingest is for machine clients (authenticate with an API key).")
            )
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, gettext("Send an object with an `items` list."), field="items"
            )
        mode = body.get("mode", "partial")
        if mode not in ("partial", "all_or_nothing"):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, gettext("mode is `partial` or `all_or_nothing`."), field="mode"
            )
        items = body["items"]
        if len(items) > bulk.MAX_ITEMS:
            body = error_body(ErrorCode.TOO_MANY_ITEMS, f"{len(items)} items; at most {bulk.MAX_ITEMS} per request.",
                              [{"field": "items", "code": "too_many_items", "message": "Split the batch."}])  # fmt: skip
            return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        result = bulk.ingest(
            items,
            source_system=client.name,
            actor=Actor.of_system(client.name),
            scope_path=client.unit.path,
            all_or_nothing=mode == "all_or_nothing",
        )
        out = {
            "applied": result.applied,
            "counts": result.counts(),
            "items": [o.as_dict() for o in result.outcomes],
        }
        if result.applied and any(o.outcome in (bulk.CREATED, bulk.UPDATED) for o in result.outcomes):
            fan_out_events.delay()
        if not result.applied:
            errors = [
                {**e, "field": f"items.{o.index}.{e['field']}" if e["field"] else f"items.{o.index}"}
                for o in result.rejected
                for e in o.errors
            ]
            message = f"{len(result.rejected)} item(s) rejected; nothing was applied (all_or_nothing)."
            return Response({**error_body(ErrorCode.BATCH_REJECTED, message, errors), **out}, status=422)
        return Response(out)


# ---- machine clients: webhooks --------------------------------------------------------------------


class ClientOnly:
    """Webhooks carry dossier data: subscribing and reading deliveries need ``read_dossiers``; a client
    that lost the scope may still list and delete its subscriptions."""

    client_scopes = {"*": Scope.READ_DOSSIERS}

    def client(self, request: Request) -> MachineClient:
        client = client_of(request)
        if client is None:
            raise PermissionDenied(
                gettext("Webhooks belong to machine clients (authenticate with an API key).")
            )
        return client


class SubscriptionListView(ClientOnly, APIView):
    client_scopes = {"GET": ANY_SCOPE, "POST": Scope.READ_DOSSIERS}

    @extend_schema(
        summary="Your webhook subscriptions", responses={200: s.SubscriptionOut(many=True), **COMMON_ERRORS}
    )
    def get(self, request: Request) -> Response:
        check_known_params(request, ())
        subscriptions = WebhookSubscription.objects.filter(client=self.client(request))
        return Response(s.SubscriptionOut(subscriptions, many=True).data)

    @extend_schema(summary="Subscribe a URL to dossier events and alerts (the HMAC secret is shown once)",
                   request=s.SubscriptionIn, responses={201: s.NewSubscriptionOut, **COMMON_ERRORS})  # fmt: skip
    def post(self, request: Request) -> Response:
        client = self.client(request)
        data = s.SubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            destinations.check(data.validated_data["url"])
        except destinations.DestinationRefused:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                gettext("The URL is refused: webhooks go to publicly routable http(s) addresses only."),
                field="url",
            ) from None
        subscription = webhooks.subscribe(
            client=client, url=data.validated_data["url"], events=data.validated_data["events"]
        )
        return Response(s.NewSubscriptionOut(subscription).data, status=201)


class SubscriptionDetailView(ClientOnly, APIView):
    client_scopes = {"*": ANY_SCOPE}

    @extend_schema(summary="Delete a webhook subscription", responses={204: None, **COMMON_ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        get_object_or_404(WebhookSubscription, pk=pk, client=self.client(request)).delete()
        return Response(status=204)


class DeliveryListView(ClientOnly, APIView):
    @extend_schema(
        summary="Your webhook deliveries, newest first",
        operation_id="v1_webhooks_deliveries_list",
        parameters=[OpenApiParameter("status", str, enum=["pending", "succeeded", "failed"], required=False)],
        responses={200: s.DeliveryPageOut, **COMMON_ERRORS},
    )
    def get(self, request: Request) -> Response:
        paginator = BoundedPageNumberPagination()
        check_known_params(request, {"status", paginator.page_query_param, paginator.page_size_query_param})
        query = WebhookDelivery.objects.filter(subscription__client=self.client(request)).order_by("-id")
        if request.query_params.get("status"):
            query = query.filter(status=request.query_params["status"])
        page = paginator.paginate_queryset(query, request, view=self)
        return paginator.get_paginated_response(s.DeliveryOut(page, many=True).data)


class DeliveryDetailView(ClientOnly, APIView):
    @extend_schema(
        summary="One delivery with every attempt", responses={200: s.DeliveryDetailOut, **COMMON_ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(
            WebhookDelivery.objects.prefetch_related("attempts"),
            pk=pk,
            subscription__client=self.client(request),
        )
        return Response(s.DeliveryDetailOut(delivery).data)


class DeliveryReplayView(ClientOnly, APIView):
    @extend_schema(summary="Send a delivery again now", request=None,
                   responses={202: s.DeliveryDetailOut, **COMMON_ERRORS})  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(WebhookDelivery, pk=pk, subscription__client=self.client(request))
        webhooks.replay(delivery)
        deliver_webhook.delay(delivery.pk)
        fresh = WebhookDelivery.objects.prefetch_related("attempts").get(pk=delivery.pk)
        return Response(s.DeliveryDetailOut(fresh).data, status=202)
