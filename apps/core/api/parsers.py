"""The project's JSON parser: every request body is checked here once, before any view reads it.

DRF's parser lets three kinds of hostile body through to code that then fails with a 500:

* a document nested a thousand levels deep makes the C decoder raise ``RecursionError`` (not a
  ``ValueError``), and shallower but still absurd nesting recurses again wherever the data is walked;
* a ``\\u0000`` in any string (a code, an ``external_id``, a note) is valid JSON that PostgreSQL refuses
  to store in a text column, so the failure would surface as a database error deep in a service;
* ``NaN`` / ``Infinity`` are refused by DRF's strict mode already; this parser keeps that.

Form and multipart bodies (DRF's other two parsers, kept for the browsable API and HTML clients) are
checked for NUL the same way, field by field.

A body that fails here answers 400 in the error format: ``malformed_json`` for the shape, and
``nul_character`` naming the dotted path of the string at fault (``items.3.external_id``).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from apps.core.errors import DomainError, ErrorCode

# Deep enough for every body the API defines (ingest items are 3 levels), shallow enough that nothing
# downstream (serializers, JSON columns, json.dumps of history data) can recurse into trouble.
DEFAULT_MAX_DEPTH = 32


def max_depth() -> int:
    return getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH)


def nul_path(data: Any) -> str | None:
    """The dotted path of the first string (value or key) holding a NUL character, or None.

    The document itself being such a string is the empty path ``""``.
    Iterative, so it is safe on any depth; keys report their own path (``applicant.<key>``).
    """
    stack: list[tuple[Any, str | None]] = [(data, None)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path or ""
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return child.replace("\x00", "\\u0000")
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value)
            )
    return None


def depth_of(data: Any) -> int:
    """How many containers deep ``data`` is (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth + 1)
            stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return deepest


def check_document(data: Any, text: str) -> None:
    """Refuse a decoded document that is too deep or holds a NUL; ``text`` lets the common case skip walks."""
    limit = max_depth()
    # Nesting needs an opening bracket per level: a body with few brackets cannot be too deep.
    if text.count("[") + text.count("{") > limit and depth_of(data) > limit:
        raise ParseError(gettext("JSON nested deeper than %(limit)s levels.") % {"limit": limit})
    if "\\u0000" in text:  # the only way a NUL gets into strict JSON
        path = nul_path(data)
        if path is not None:
            raise DomainError(
                ErrorCode.NUL_CHARACTER,
                gettext("Text may not contain the NUL character (\\u0000)."),
                field=path or None,
            )


def loads(text: str) -> Any:
    """Decode strict JSON (no NaN/Infinity) and check it; ``ParseError``/``DomainError`` on hostile input."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ParseError(
            gettext("JSON nested deeper than %(limit)s levels.") % {"limit": max_depth()}
        ) from None
    except ValueError as exc:
        raise ParseError(gettext("JSON parse error - %(reason)s") % {"reason": exc}) from None
    check_document(data, text)
    return data


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


class SafeJSONParser(JSONParser):
    """``application/json`` bodies, decoded strictly and checked by :func:`check_document`."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read() if stream is not None else ""
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(
                gettext("The body is not valid %(encoding)s: %(reason)s")
                % {"encoding": encoding, "reason": exc}
            ) from None
        return loads(text)


def refuse_nul_in_form(data: Any) -> None:
    """Refuse a parsed form (a ``QueryDict``) holding a NUL in a field name or value, naming the field."""
    for key, values in data.lists():
        if "\x00" in key or any(isinstance(value, str) and "\x00" in value for value in values):
            raise DomainError(
                ErrorCode.NUL_CHARACTER,
                gettext("Text may not contain the NUL character (\\u0000)."),
                field=key.replace("\x00", "\\u0000"),
            )


class SafeFormParser(FormParser):
    """``application/x-www-form-urlencoded`` bodies, refused with ``nul_character`` when a field holds a NUL."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_nul_in_form(data)
        return data


class SafeMultiPartParser(MultiPartParser):
    """``multipart/form-data`` bodies, refused with ``nul_character`` when a field holds a NUL."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_nul_in_form(parsed.data)
        return parsed
