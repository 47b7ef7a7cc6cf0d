"""Admin screens for dossiers: read-only views of the record and its history.

Changes go through the API (the services), never through admin forms, so every change has its event.
"""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import HistoryAdmin, ReadOnlyInline, ServiceOwnedAdmin
from apps.dossiers.models import Dossier, DossierEvent, SupplementRequest


class EventInline(ReadOnlyInline):
    model = DossierEvent
    fields = ["occurred_at", "kind", "from_status", "to_status", "actor_user", "actor_system", "note", "data"]
    readonly_fields = fields
    ordering = ["occurred_at", "id"]


class SupplementInline(ReadOnlyInline):
    model = SupplementRequest
    fields = ["number", "requested_at", "completed_at", "reason"]
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(ServiceOwnedAdmin):
    list_display = [
        "code",
        "procedure",
        "receiving_unit",
        "handling_unit",
        "status",
        "channel",
        "received_at",
        "effective_due_at",
        "timeliness",
    ]
    list_filter = ["status", "channel", "timeliness", "rating"]
    search_fields = ["code", "external_id", "applicant_name", "receiving_unit__code", "procedure__code"]
    date_hierarchy = "received_at"
    list_select_related = ["procedure", "receiving_unit", "handling_unit"]
    show_full_result_count = False  # no COUNT(*) over millions of rows on every page
    inlines = [SupplementInline, EventInline]


@admin.register(DossierEvent)
class DossierEventAdmin(HistoryAdmin):
    list_display = [
        "occurred_at",
        "dossier",
        "kind",
        "from_status",
        "to_status",
        "actor_user",
        "actor_system",
    ]
    list_filter = ["kind"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier", "actor_user"]
    show_full_result_count = False
