"""Petition endpoints: thin views that validate input, check scope, call one service, shape the output."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from apps.core.actors import Actor
from apps.core.api.pagination import DossierCursorPagination
from apps.core.api.schema import COMMON_ERRORS, error
from apps.core.errors import ErrorCode, ScopeError
from apps.petitions import services
from apps.petitions.api import serializers as s
from apps.petitions.api.filters import PetitionFilter
from apps.petitions.models import Petition, PetitionEvent
from apps.petitions.permissions import can_write_for, visible_petitions

ERRORS = {
    **COMMON_ERRORS,
    409: error("`illegal_transition` (not allowed from the current status) or `petition_not_answered`"),
}


def _action_schema(summary: str, request: type[Serializer] = s.PetitionActionIn):
    return extend_schema(summary=summary, request=request, responses={200: s.PetitionDetailOut, **ERRORS})


class PetitionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Petitions (PAKN) under the units of the user's subtree, looked up by code."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = PetitionFilter
    pagination_class = DossierCursorPagination  # same ordering: newest receipt first

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Petition.objects.none()
        queryset = visible_petitions(self.request.user).select_related("unit", "dossier", "repeat_of")
        if self.action == "list":
            return queryset.order_by("-received_at", "-id")
        events = PetitionEvent.objects.select_related("actor_user").order_by("occurred_at", "id")
        return queryset.prefetch_related(Prefetch("events", queryset=events))

    def get_serializer_class(self):
        return s.PetitionOut if self.action == "list" else s.PetitionDetailOut

    def _actor(self) -> Actor:
        return Actor.of_user(self.request.user)

    def _input(self, input_class: type[Serializer]) -> dict:
        data = input_class(data=self.request.data, context={"user": self.request.user})
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def _writable(self) -> Petition:
        petition = self.get_object()
        if not can_write_for(self.request.user, petition.unit):
            raise PermissionDenied(gettext("Your role and unit do not allow changing this petition."))
        return petition

    def _respond(self, petition: Petition, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=petition.pk)
        return Response(s.PetitionDetailOut(fresh).data, status=code)

    def _act(self, input_class: type[Serializer], service: Callable[..., Petition]) -> Response:
        petition = self._writable()
        return self._respond(service(petition, actor=self._actor(), **self._input(input_class)))

    @extend_schema(
        summary="Receive a petition; its three due dates are fixed now",
        request=s.PetitionCreateIn,
        responses={201: s.PetitionDetailOut, **ERRORS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        values = self._input(s.PetitionCreateIn)
        if not can_write_for(request.user, values["unit"]):
            raise ScopeError(
                ErrorCode.UNIT_OUT_OF_SCOPE,
                gettext(
                    "You may only receive petitions for units of your subtree (clerks, officers, administrators)."
                ),
                field="unit",
            )
        petition = services.receive_petition(actor=self._actor(), **values)
        return self._respond(petition, status.HTTP_201_CREATED)

    @_action_schema("Reject the petition (limit: 2 working days)", s.PetitionAnswerIn)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.PetitionAnswerIn, services.reject_petition)

    @_action_schema("Ask the petitioner for more information (limit: 5 working days)", s.PetitionAnswerIn)
    @action(detail=True, methods=["post"], url_path="request-info")
    def request_info(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.PetitionAnswerIn, services.request_info)

    @_action_schema("Start handling, or resume once the requested information arrived")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.PetitionActionIn, services.start_handling)

    @_action_schema("Resolve: send the reply (limit: 15 working days)", s.PetitionAnswerIn)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, code: str | None = None) -> Response:
        return self._act(s.PetitionAnswerIn, services.resolve_petition)

    @_action_schema("Record the petitioner's rating of the final answer", s.PetitionRatingIn)
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, code: str | None = None) -> Response:
        petition = self._writable()
        values = self._input(s.PetitionRatingIn)
        rating = values.pop("rating")
        return self._respond(services.rate_petition(petition, rating, actor=self._actor(), **values))

    @_action_schema("Link the petition to a dossier (null unlinks)", s.PetitionLinkDossierIn)
    @action(detail=True, methods=["post"], url_path="link-dossier")
    def link_dossier(self, request: Request, code: str | None = None) -> Response:
        petition = self._writable()
        values = self._input(s.PetitionLinkDossierIn)
        dossier = values.pop("dossier")
        return self._respond(services.link_dossier(petition, dossier, actor=self._actor(), **values))
