"""Export jobs in the admin: to see what was asked, by whom, how far it got and why it failed."""

from django.contrib import admin

from apps.exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = (
        "token",
        "user",
        "table",
        "format",
        "status",
        "rows_done",
        "rows_total",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "table", "format")
    search_fields = ("user__username", "table", "token")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # a job comes from a download too large to stream, never from a form
