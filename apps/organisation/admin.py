"""Admin for the unit tree. Every save goes through :func:`save_unit`, which keeps paths right."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.organisation.models import Unit
from apps.organisation.services import save_unit


class UnitAdminForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = (
            "code",
            "name",
            "kind",
            "parent",
            "is_active",
            "offers_electronic_certified_copy",
            "area_type",
        )

    def clean_parent(self) -> Unit | None:
        parent = self.cleaned_data.get("parent")
        # Compare with the stored path: the instance may already carry the edited code.
        if parent is not None and self.instance.pk:
            stored_path = Unit.objects.filter(pk=self.instance.pk).values_list("path", flat=True).first()
            if stored_path and parent.path.startswith(stored_path):
                raise forms.ValidationError(
                    _("A unit cannot be moved under itself or one of its descendants.")
                )
        return parent


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = UnitAdminForm
    list_display = (
        "code",
        "name",
        "kind",
        "parent",
        "depth",
        "is_active",
        "offers_electronic_certified_copy",
    )
    list_display_links = ("code", "name")
    list_filter = ("kind", "is_active", "offers_electronic_certified_copy", "area_type", "depth")
    list_select_related = ("parent",)
    search_fields = ("code", "name")
    ordering = ("path",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path", "depth")
    fields = (
        "code",
        "name",
        "kind",
        "parent",
        "is_active",
        "offers_electronic_certified_copy",
        "path",
        "depth",
    )
    show_full_result_count = False
    list_per_page = 100

    def save_model(self, request, obj: Unit, form, change: bool) -> None:
        # Never obj.save(): a move or a code change must rewrite the descendants' paths too.
        save_unit(obj)
