"""Admin screens for petitions: read-only views of the record and its history.

Changes go through the API (the services), never through admin forms, so every change has its event
and the linked dossier's ``has_petition`` flag stays right.
"""

from __future__ import annotations

from django.contrib import admin

from apps.petitions.models import Petition, PetitionEvent


class PetitionEventInline(admin.TabularInline):
    model = PetitionEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "from_status", "to_status", "actor_user", "actor_system", "note", "data"]
    readonly_fields = fields
    ordering = ["occurred_at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Petition._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PetitionEvent)
class PetitionEventAdmin(admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PetitionEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
