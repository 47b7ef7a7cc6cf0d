"""Dossier endpoints: thin views that validate input, check scope, call one service, shape the output."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import gettext
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from apps.accounts.routing import check_route
from apps.core.actors import Actor
from apps.core.api.pagination import (
    BoundedPageNumberPagination,
    DossierCursorPagination,
    DossierOrderingPagination,
)
from apps.core.api.params import check_known_params, paginator_params
from apps.core.api.schema import COMMON_ERRORS, error
from apps.core.errors import DomainError, ErrorCode, ScopeError
from apps.dossiers import actions, services
from apps.dossiers.api import serializers as s
from apps.dossiers.api.filters import DossierFilter
from apps.dossiers.documents import registration_problem
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent
from apps.dossiers.permissions import (
    can_act_on,
    can_correct_receipt,
    can_create_at,
    identifier_refusal,
    visible_dossiers,
)
from apps.dossiers.selectors import explain_legal_due, with_related
from apps.dossiers.services.corrections import RECEIPT_FIELDS
from apps.dossiers.slip import render_slip, slip_data
from apps.dossiers.status import Status
from apps.integrations.auth import source_system_for
from apps.integrations.idempotency import check_retry_identity
from apps.organisation.api.serializers import UnitSerializer
from apps.organisation.api.views import UnitFilter
from apps.organisation.models import Unit, UnitKind
from apps.workcalendar.services import calendar_for_unit

ERRORS = {**COMMON_ERRORS, 409: error("`illegal_transition`: not allowed from the current status")}
CREATE_ERRORS = {
    **ERRORS,
    400: error(
        "Invalid input (`validation_error`, `malformed_json`, `duplicate_dossier`, "
        "`retry_identity_required` (a machine client without `external_id` or `Idempotency-Key`) "
        "or another domain code)"
    ),
    403: error(
        "`permission_denied`, `unit_out_of_scope` (receiving or handling unit), or `source_system_forbidden` "
        "(another client's source, or a source whose external ids belong to another scope)"
    ),
}


def _action_schema(summary: str, request: type[Serializer] = s.ActionIn):
    return extend_schema(summary=summary, request=request, responses={200: s.DossierDetailOut, **ERRORS})


ORDERING_PARAMETER = OpenApiParameter(
    "ordering",
    str,
    enum=[f"{sign}{key}" for key in DossierOrderingPagination.orderings for sign in ("", "-")],
    description="Order by due date, receipt time or status (`-` descending; empty values last). "
    "Default: newest receipt first; with `overdue=true`, due date (the most overdue first).",
)


#: ``GET /dossiers/{code}/transfer-targets/`` narrows the targets with the unit list's filters.
TRANSFER_TARGET_PARAMETERS = [
    OpenApiParameter("kind", str, enum=[k.value for k in UnitKind], description="Only units of this kind."),
    OpenApiParameter("parent", str, description="Only direct children of this unit code."),
    OpenApiParameter("q", str, description="Code prefix or part of the name."),
]


#: ``?overdue=true`` without ``ordering``: soonest due first (the most overdue on top), the order of the
#: partial index of open dossiers by due date, so the first page reads a few index entries instead of
#: scanning the newest dossiers and discarding the ones on time.
OVERDUE_ORDERING = "due_at"


@extend_schema_view(list=extend_schema(parameters=[ORDERING_PARAMETER]))
class DossierViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Dossiers in the user's unit subtree, looked up by receipt code."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = DossierFilter
    pagination_class = DossierCursorPagination
    #: Read by the list besides its filters (apps/core/api/params.py refuses any other parameter).
    extra_query_params = ("ordering",)

    @property
    def paginator(self):
        """Newest receipt first by default; ``?ordering=`` (due_at, received_at, status, ``-`` for
        descending) switches to a keyset cursor over that field and the id."""
        if not hasattr(self, "_paginator"):
            key = self.request.query_params.get("ordering") if self.action == "list" else None
            if key is None and self.action == "list" and self.request.query_params.get("overdue") == "true":
                key = OVERDUE_ORDERING
            if key is None:
                self._paginator = self.pagination_class()
            elif key.lstrip("-") not in DossierOrderingPagination.orderings:
                known = ", ".join(f"{k}, -{k}" for k in DossierOrderingPagination.orderings)
                raise DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    gettext("Unknown ordering %(key)s; use one of %(known)s.") % {"key": key, "known": known},
                    field="ordering",
                )
            else:
                self._paginator = DossierOrderingPagination(key)
        return self._paginator

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Dossier.objects.none()
        queryset = visible_dossiers(self.request.user)
        if self.action == "list":
            return queryset.order_by("-received_at", "-id")  # read as list rows: see paginate_queryset
        queryset = with_related(queryset)
        events = DossierEvent.objects.select_related("actor_user").order_by("occurred_at", "id")
        documents = DossierDocument.objects.select_related("component").order_by("position")
        return queryset.prefetch_related(
            Prefetch("events", queryset=events),
            "supplement_requests",
            Prefetch("documents", queryset=documents),
        )

    def paginate_queryset(self, queryset):
        """A list page is read as list rows (the columns the list writes, no model instances)."""
        if self.action == "list":
            queryset = s.list_rows(queryset)
        return super().paginate_queryset(queryset)

    def get_serializer_class(self):
        return s.DossierListOut if self.action == "list" else s.DossierDetailOut

    def _actor(self) -> Actor:
        return Actor.of_user(self.request.user)

    def _writable(self) -> Dossier:
        dossier = self.get_object()
        if not can_act_on(self.request.user, dossier):
            raise PermissionDenied(gettext("Your role and unit do not allow changing this dossier."))
        return dossier

    def _respond(self, dossier: Dossier, code: int = status.HTTP_200_OK) -> Response:
        """The dossier as the change left it.

        A change can take the dossier out of the caller's scope (an officer hands it to another unit):
        the answer then still shows it as written, which tells the caller nothing it did not just see or
        do; from the next request on it is out of scope (404).
        """
        fresh = self.get_queryset().filter(pk=dossier.pk).first()
        if fresh is None:
            events = DossierEvent.objects.select_related("actor_user").order_by("occurred_at", "id")
            fresh = (
                with_related(Dossier.objects.filter(pk=dossier.pk))
                .prefetch_related(Prefetch("events", queryset=events), "supplement_requests", "documents")
                .get()
            )
        return Response(s.DossierDetailOut(fresh).data, status=code)

    def _act(self, input_class: type[Serializer], service: Callable[..., Dossier], **fixed) -> Response:
        dossier = self._writable()
        data = input_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        changed = service(dossier, actor=self._actor(), **data.validated_data, **fixed)
        return self._respond(changed)

    @extend_schema(
        summary="Receive a dossier (or register an online submission)",
        request=s.DossierCreateIn,
        responses={201: s.DossierDetailOut, **CREATE_ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = s.DossierCreateIn(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if not can_create_at(request.user, values["receiving_unit"]):
            raise ScopeError(
                ErrorCode.UNIT_OUT_OF_SCOPE,
                gettext("You may only receive dossiers at your own unit (clerks and administrators)."),
                field="receiving_unit",
            )
        if "handling_unit" in values:
            check_route(request.user, receiving_unit=values["receiving_unit"], target=values["handling_unit"])
        values["source_system"] = source_system_for(request, values.get("source_system", ""))
        refusal = identifier_refusal(
            request.user,
            receiving_unit=values["receiving_unit"],
            code=values.get("code"),
            source_system=values["source_system"],
            external_id=values.get("external_id"),
        )
        if refusal is not None:
            raise refusal
        check_retry_identity(request, external_id=values.get("external_id"))
        if values.pop("status") == Status.REGISTERED:
            if "documents" in values:
                problem = registration_problem()
                raise DomainError(ErrorCode.VALIDATION_ERROR, problem.message, field=problem.field)
            values.pop("missing_documents_reason", None)
            values.pop("channel")
            values.pop("fee_amount", None)
            values["registered_at"] = values.pop("received_at", None)
            dossier = services.register_dossier(actor=self._actor(), **values)
        else:
            dossier = services.receive_dossier(actor=self._actor(), **values)
        # Written from what the create wrote (its events and documents are attached): no read back.
        return Response(s.DossierDetailOut(dossier).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Why the dossier is due when it is", responses={200: s.DossierDeadlineOut, **ERRORS}
    )
    @action(detail=True, methods=["get"])
    def deadline(self, request: Request, code: str | None = None) -> Response:
        dossier = self.get_object()
        explanation = explain_legal_due(dossier)
        paused = 0
        if dossier.legal_due_at and dossier.effective_due_at:
            calendar = calendar_for_unit(dossier.handling_unit)
            paused = calendar.working_minutes_between(dossier.legal_due_at, dossier.effective_due_at)
        body = {
            "legal_due_at": dossier.legal_due_at,
            "effective_due_at": dossier.effective_due_at,
            "paused_working_minutes": paused,
            "explanation": explanation,
            "matches_stored": explanation is None or explanation.due_at == dossier.legal_due_at,
        }
        return Response(s.DossierDeadlineOut(body).data)

    @_action_schema("Accept an online submission (1 → 2); the clock starts")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.accept_registered_dossier)

    @_action_schema("Refuse an online submission at intake (1 → 3)")
    @action(detail=True, methods=["post"], url_path="refuse-intake")
    def refuse_intake(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.refuse_at_intake)

    @_action_schema("Start processing (2 → 4), or resume after payment (6 → 4)")
    @action(detail=True, methods=["post"], url_path="start-processing")
    def start_processing(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.start_processing)

    @_action_schema("Request a supplement (→ 5); the clock pauses", s.SupplementRequestIn)
    @action(detail=True, methods=["post"], url_path="request-supplement")
    def request_supplement(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.SupplementRequestIn, services.request_supplement)

    @_action_schema("Record the completed supplement (5 → 4); the clock runs again")
    @action(detail=True, methods=["post"], url_path="complete-supplement")
    def complete_supplement(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.complete_supplement)

    @_action_schema("Wait for a fee or tax (→ 6)")
    @action(detail=True, methods=["post"], url_path="request-payment")
    def request_payment(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.request_payment)

    @_action_schema("Finish: the result is ready (→ 9)")
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.finish)

    @_action_schema("Hand the result over (9 → 10)")
    @action(detail=True, methods=["post"], url_path="return-result")
    def return_result(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.return_result)

    @_action_schema("The applicant withdrew the dossier (→ 7)")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.withdraw)

    @_action_schema("Stop processing after review (→ 8)")
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.ActionIn, services.stop)

    @_action_schema("Hand the dossier to another handling unit", s.AssignIn)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, code: str | None = None) -> Response:
        dossier = self._writable()
        data = s.AssignIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit = values.pop("handling_unit")
        check_route(request.user, receiving_unit=dossier.receiving_unit, target=unit)
        return self._respond(services.assign_handling_unit(dossier, unit, actor=self._actor(), **values))

    @extend_schema(
        summary="Units the dossier may be handed to (what POST assign accepts from you), by path",
        description="The routing rule of `assign`: active units of the receiving unit's province that you "
        "may route to, the current handling unit excepted. 403 when you may not change the dossier.",
        parameters=TRANSFER_TARGET_PARAMETERS,
        responses={200: UnitSerializer(many=True), **ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="transfer-targets",
        filter_backends=[],  # the dossier is looked up unfiltered; the unit filters apply to the targets
        pagination_class=BoundedPageNumberPagination,
    )
    def transfer_targets(self, request: Request, code: str | None = None) -> Response:
        dossier = self._writable()
        check_known_params(request, set(UnitFilter.base_filters) | paginator_params(self))
        within = UnitFilter(request.query_params, queryset=Unit.objects.all())
        if not within.is_valid():
            raise translate_validation(within.errors)
        units = actions.transfer_targets(request.user, dossier, within=within.qs)
        page = self.paginate_queryset(units)
        return self.get_paginated_response(UnitSerializer(page, many=True).data)

    @_action_schema(
        "Set or clear one of the index facts (digitized, e-result, signed, paid online …)", s.FlagIn
    )
    @action(detail=True, methods=["post"])
    def flags(self, request: Request, code: str | None = None) -> Response:
        dossier = self._writable()
        data = s.FlagIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        flag = values.pop("flag")
        return self._respond(services.set_flag(dossier, flag, actor=self._actor(), **values))

    @_action_schema(
        "Record the documents received again, with a reason (digitization follows)", s.DocumentsIn
    )
    @action(detail=True, methods=["post"])
    def documents(self, request: Request, code: str | None = None) -> Response:
        dossier = self._writable()
        data = s.DocumentsIn(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.record_documents(dossier, actor=self._actor(), **data.validated_data))

    @_action_schema("Record the applicant's rating", s.RatingIn)
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, code: str | None = None) -> Response:
        dossier = self._writable()
        data = s.RatingIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        rating = values.pop("rating")
        return self._respond(services.rate_dossier(dossier, rating, actor=self._actor(), **values))

    @extend_schema(
        summary="Correct descriptive fields (applicant, contact, fee, notes) with a reason",
        request=s.DossierCorrectIn,
        responses={
            200: s.DossierDetailOut,
            **ERRORS,
            400: error("`validation_error`, or `use_correct_receipt` for a receipt fact"),
        },
    )
    def partial_update(self, request: Request, code: str | None = None) -> Response:
        dossier = self._writable()
        body = request.data if isinstance(request.data, dict) else {}
        receipt = [name for name in RECEIPT_FIELDS if name in body]
        if receipt:
            raise DomainError(
                ErrorCode.USE_CORRECT_RECEIPT,
                gettext("%(fields)s fix the legal due date: an administrator corrects them with POST "
                  "/dossiers/{code}/correct-receipt/.") % {"fields": ", ".join(receipt)},
                field=receipt[0],
            )  # fmt: skip
        data = s.DossierCorrectIn(data=request.data)
        data.is_valid(raise_exception=True)
        unknown = sorted(set(body) - set(s.DossierCorrectIn().fields))
        if unknown:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                gettext("These fields cannot be corrected here: %(fields)s.")
                % {"fields": ", ".join(unknown)},
                field=unknown[0],
            )
        return self._respond(services.correct_dossier(dossier, actor=self._actor(), **data.validated_data))

    @extend_schema(
        summary="Correct the receipt facts (administrators); the due date and statistics follow",
        request=s.ReceiptCorrectIn,
        responses={200: s.DossierDetailOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="correct-receipt")
    def correct_receipt(self, request: Request, code: str | None = None) -> Response:
        dossier = self.get_object()
        if not can_correct_receipt(request.user, dossier):
            raise PermissionDenied(
                gettext("Only an administrator of the dossier's units corrects its receipt.")
            )
        data = s.ReceiptCorrectIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit = values.get("receiving_unit")
        if unit is not None:
            if not can_create_at(request.user, unit):
                raise ScopeError(
                    ErrorCode.UNIT_OUT_OF_SCOPE,
                    gettext("The corrected receiving unit must be one you administer."),
                    field="receiving_unit",
                )
            check_route(request.user, receiving_unit=unit, target=dossier.handling_unit)
        return self._respond(services.correct_receipt(dossier, actor=self._actor(), **values))

    @extend_schema(
        summary="The receipt and appointment slip, printable (HTML)",
        responses={(200, "text/html"): str, **COMMON_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def slip(self, request: Request, code: str | None = None) -> HttpResponse:
        return HttpResponse(
            render_slip(slip_data(self.get_object())), content_type="text/html; charset=utf-8"
        )
