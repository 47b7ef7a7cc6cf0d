"""``{% export_url table "csv" %}``: the export of a console table with the page's own filters.

The link carries the page's ``request.GET`` (period, kind, measure, dimension, state...) so the file
holds exactly what the page shows; the unit comes from ``?unit=`` or else from the page's ``unit``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.urls import reverse

register = template.Library()

#: Query keys that belong to the page, not to the table's filters.
PAGE_ONLY = ("page", "lang", "table", "format", "q")


@register.simple_tag(takes_context=True)
def export_url(context: dict[str, Any], table: str, fmt: str, extra: str = "") -> str:
    """The export URL for ``table`` as ``fmt``, with the current page's filters and unit; ``extra`` (a
    query string, e.g. ``dimension=procedure``) sets filters a panel holds that the URL does not."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key in PAGE_ONLY:
        query.pop(key, None)
    if not query.get("unit"):
        unit = context.get("unit")
        code = unit.get("code") if isinstance(unit, dict) else getattr(unit, "code", unit)
        if code:
            query["unit"] = str(code)
    for key, values in QueryDict(extra or "").lists():
        query.setlist(key, values)
    query["table"] = table
    query["format"] = fmt
    return f"{reverse('exports-download')}?{query.urlencode()}"
