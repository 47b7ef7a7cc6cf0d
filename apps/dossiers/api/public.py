"""The citizens' status lookup: no login, a dossier code plus the applicant's phone or identity number.

It shows only the code, the procedure, the status and the receipt and due dates. A wrong pair answers
the same 404 as an unknown code, and each address gets a few lookups a minute
(:class:`PublicLookupThrottle`, counted in the default cache, which is Redis when ``CACHE_URL`` is set, so
all workers share the count).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from apps.accounts.throttling import client_address
from apps.core.api.params import check_known_params
from apps.core.api.schema import AutoSchema, error
from apps.core.errors import DomainError, ErrorCode
from apps.dossiers.selectors import public_lookup
from apps.dossiers.timeliness import local_date

PARAMS = ("code", "phone", "id_number")


class PublicLookupThrottle(SimpleRateThrottle):
    """Lookups per client address (IPv6 by its /64), at ``PUBLIC_LOOKUP_RATE`` (e.g. ``10/min``)."""

    scope = "public_lookup"

    def get_rate(self) -> str:
        return settings.PUBLIC_LOOKUP_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class NamedCodeOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class StatusOut(serializers.Serializer):
    code = serializers.IntegerField(help_text="The status number (the same in every language).")
    name = serializers.CharField(help_text="In the request's language.")


class PublicStatusOut(serializers.Serializer):
    code = serializers.CharField()
    procedure = NamedCodeOut()
    status = StatusOut()
    received_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True, help_text="Null without a statutory time limit.")


def public_status(dossier) -> dict:
    """What the lookup shows, and nothing else (no applicant, no unit, no history)."""
    return {
        "code": dossier.code,
        "procedure": {"code": dossier.procedure.code, "name": dossier.procedure_version.name},
        "status": {"code": dossier.status, "name": dossier.get_status_display()},
        "received_on": dossier.received_on,
        "due_on": dossier.due_on or local_date(dossier.legal_due_at),
    }


class OpenToAllSchema(AutoSchema):
    """The operation reads no credentials: ``security: [{}]`` (no 401 or 403 to document)."""

    def get_auth(self) -> list[dict]:
        return [{}]


class PublicLookupView(APIView):
    schema = OpenToAllSchema()
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicLookupThrottle]
    client_scopes: dict = {}

    @extend_schema(
        summary="Look a dossier up by its code and the applicant's phone or identity number (no login)",
        parameters=[
            OpenApiParameter("code", str, required=True, description="The dossier code on the slip."),
            OpenApiParameter("phone", str, required=False, description="The applicant's phone."),
            OpenApiParameter("id_number", str, required=False, description="Or their identity number."),
        ],
        responses={
            200: PublicStatusOut,
            400: error(
                "`validation_error` (code, and phone or id_number, are needed) or `unknown_parameter`"
            ),
            404: error("`not_found`: no dossier with this code and this phone or identity number"),
            429: error("`throttled`: too many lookups from this address"),
        },
    )
    def get(self, request: Request) -> Response:
        check_known_params(request, PARAMS)
        code = request.query_params.get("code", "").strip()
        phone = request.query_params.get("phone", "").strip()
        id_number = request.query_params.get("id_number", "").strip()
        if not code:
            raise DomainError(ErrorCode.VALIDATION_ERROR, _("Give the dossier code."), field="code")
        if not phone and not id_number:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                _("Give the applicant's phone or identity number with the code."),
                field="phone",
            )
        dossier = public_lookup(code, phone=phone, id_number=id_number)
        if dossier is None:
            raise NotFound(_("No dossier matches this code and phone or identity number."))
        return Response(PublicStatusOut(public_status(dossier)).data)
