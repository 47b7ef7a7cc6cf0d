"""Pagination with bounded page sizes.

Dossier lists use a cursor: an exact COUNT(*) over millions of scoped rows costs more than the page
itself, and a cursor stays stable while new dossiers arrive. Small reference lists (units, procedures)
use numbered pages.
"""

from django.conf import settings
from rest_framework.pagination import CursorPagination, PageNumberPagination


class BoundedPageNumberPagination(PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE


class DossierCursorPagination(CursorPagination):
    page_size_query_param = "page_size"
    ordering = ("-received_at", "-id")

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE
