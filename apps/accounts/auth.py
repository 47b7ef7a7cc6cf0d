"""``Authorization: Token <token>`` for staff, checked against knox's hashed token rows.

Knox decodes and looks the header up as given; a header that is not a well-formed token (wrong length,
not hex, not UTF-8, a NUL byte) is refused here first, as 401, so no such value reaches the database.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.settings import knox_settings
from rest_framework import exceptions


def _well_formed(token: bytes) -> bool:
    length = len(knox_settings.TOKEN_PREFIX) + knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
    prefix = re.escape(knox_settings.TOKEN_PREFIX.encode())
    return len(token) == length and re.fullmatch(prefix + rb"[0-9a-f]+", token) is not None


class StaffTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        if not _well_formed(token):
            raise exceptions.AuthenticationFailed(gettext("Invalid token."))
        return super().authenticate_credentials(token)


class StaffTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.auth.StaffTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        definition = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
        definition["description"] = "`Token <token>` from `POST /api/v1/auth/token/` (staff; expires)."
        return definition
