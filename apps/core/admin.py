"""Admin building blocks shared by the apps whose records only services may change."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows (history, pauses) and never adds, edits or deletes them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ServiceOwnedAdmin(admin.ModelAdmin):
    """A read-only screen: every field shown, no add or delete (changes go through the API's services)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryAdmin(ServiceOwnedAdmin):
    """Append-only history rows: not even changeable."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False
