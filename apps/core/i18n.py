"""Vietnamese first, English second: how a request picks its language.

The product speaks Vietnamese (``LANGUAGE_CODE = "vi"``); a client asks for English with
``Accept-Language: en`` or, for a link that must carry its language, ``?lang=en`` (``?lang=vi`` forces
Vietnamese whatever the browser says). Only texts a person reads change: ``code`` fields and enum values
are the same in every language, so clients branch on those.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

#: The query parameter that chooses the language of one response (links, printed pages).
LANGUAGE_QUERY_PARAMETER = "lang"


def language_from_query(request: HttpRequest) -> str | None:
    """The supported language named by ``?lang=`` (``en``, ``en-US``, ``vi``…), or None to negotiate."""
    wanted = request.GET.get(LANGUAGE_QUERY_PARAMETER, "").strip()
    if not wanted:
        return None
    try:
        return translation.get_supported_language_variant(wanted.lower())
    except LookupError:
        return None  # an unknown language is not an error: fall back to Accept-Language, then Vietnamese


class LanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (Accept-Language, Content-Language, Vary) plus ``?lang=``."""

    def process_request(self, request: HttpRequest) -> None:
        language = language_from_query(request)
        if language is None:
            super().process_request(request)
            return
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
