"""Admin screens for petitions: read-only views of the record and its history.

Changes go through the API (the services), never through admin forms, so every change has its event
and the linked dossier's ``has_petition`` flag stays right.
"""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import HistoryAdmin, ReadOnlyInline, ServiceOwnedAdmin
from apps.petitions.models import Petition, PetitionEvent


class PetitionEventInline(ReadOnlyInline):
    model = PetitionEvent
    fields = ["occurred_at", "kind", "from_status", "to_status", "actor_user", "actor_system", "note", "data"]
    readonly_fields = fields
    ordering = ["occurred_at", "id"]


@admin.register(Petition)
class PetitionAdmin(ServiceOwnedAdmin):
    list_display = [
        "code",
        "unit",
        "subject",
        "status",
        "received_at",
        "reply_due_at",
        "timeliness",
        "rating",
        "is_repeat",
    ]
    list_filter = ["status", "channel", "timeliness", "rating", "is_repeat"]
    search_fields = ["code", "subject", "petitioner_name", "unit__code", "dossier__code"]
    date_hierarchy = "received_at"
    list_select_related = ["unit"]
    raw_id_fields = ["dossier", "repeat_of"]
    show_full_result_count = False
    inlines = [PetitionEventInline]


@admin.register(PetitionEvent)
class PetitionEventAdmin(HistoryAdmin):
    list_display = [
        "occurred_at",
        "petition",
        "kind",
        "from_status",
        "to_status",
        "actor_user",
        "actor_system",
    ]
    list_filter = ["kind"]
    search_fields = ["petition__code"]
    list_select_related = ["petition", "actor_user"]
    show_full_result_count = False
