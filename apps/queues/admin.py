"""Admin for counters, targets and (read-only) tickets: tickets change only through their events."""

from __future__ import annotations

from django.contrib import admin

from apps.queues.models import Counter, QueueTargets, Ticket, TicketEvent


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ("unit", "number", "name", "field", "is_active")
    list_filter = ("is_active",)
    search_fields = ("unit__code", "name")
    autocomplete_fields = ("unit",)


@admin.register(QueueTargets)
class QueueTargetsAdmin(admin.ModelAdmin):
    list_display = ("unit", "max_wait_minutes", "max_handling_minutes", "workload_period",
                    "dossiers_per_staff_urban", "dossiers_per_staff_rural", "dossiers_per_staff_disadvantaged")  # fmt: skip
    autocomplete_fields = ("unit",)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("occurred_at", "kind", "from_status", "to_status", "counter", "staff", "actor_system")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("external_id", "unit", "number", "status", "issued_at", "counter", "staff",
                    "wait_minutes", "handling_minutes")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("external_id", "number", "unit__code")
    date_hierarchy = "issued_at"
    inlines = [TicketEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["dossiers"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
