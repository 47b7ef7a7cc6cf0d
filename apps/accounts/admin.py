"""Admin for staff users: Django's user admin plus the unit and the role that bound what they see."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User

_UNIT_AND_ROLE = (_("Unit and role"), {"fields": ("unit", "role")})


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, _UNIT_AND_ROLE)
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Unit and role"), {"classes": ("wide",), "fields": ("unit", "role")}),
    )
    list_display = (*DjangoUserAdmin.list_display, "unit", "role")
    list_filter = (*DjangoUserAdmin.list_filter, "role", "unit__kind")
    list_select_related = ("unit",)
    search_fields = (*DjangoUserAdmin.search_fields, "unit__code", "unit__name")
    autocomplete_fields = ("unit",)
