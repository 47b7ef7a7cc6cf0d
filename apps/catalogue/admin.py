"""Admin for the procedure catalogue: fields, procedures and their dated versions."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.catalogue.models import (
    CONTENT_PARTS,
    Field,
    OnlineOffering,
    Procedure,
    ProcedureComponent,
    ProcedureVersion,
    PublicationDecision,
    PublishedProcedure,
)
from apps.catalogue.registers import decision_problems, offering_problems, register_edited
from apps.organisation.models import Unit
from apps.organisation.selectors import top_unit

_OPEN_END = dt.date.max


def _overlap(a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None) -> bool:
    return a_from <= (b_to or _OPEN_END) and b_from <= (a_to or _OPEN_END)


class ProcedureVersionForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = (
            "procedure",
            "valid_from",
            "valid_to",
            "name",
            "field",
            "level",
            "time_limit",
            "time_unit",
            "online_time_limit",
            "fee",
            "online_level",
            "paper_result_required",
            "audience",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        valid_from, valid_to = cleaned.get("valid_from"), cleaned.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", _("The last day cannot be before the first day."))
        return cleaned


class StandaloneProcedureVersionForm(ProcedureVersionForm):
    """On its own page a version is checked against the procedure's other stored versions."""

    def clean(self) -> dict:
        cleaned = super().clean()
        procedure, valid_from = cleaned.get("procedure"), cleaned.get("valid_from")
        if procedure is None or valid_from is None or self.errors:
            return cleaned
        others = ProcedureVersion.objects.filter(procedure=procedure)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        for other in others:
            if _overlap(valid_from, cleaned.get("valid_to"), other.valid_from, other.valid_to):
                raise ValidationError(
                    _("Overlaps the version valid from %(day)s (close that one first).")
                    % {"day": other.valid_from}
                )
        return cleaned


class VersionFormSet(forms.BaseInlineFormSet):
    """Versions edited together must not overlap each other."""

    def clean(self) -> None:
        super().clean()
        ranges = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            valid_from = form.cleaned_data.get("valid_from")
            if valid_from is None:
                continue
            ranges.append((valid_from, form.cleaned_data.get("valid_to")))
        ranges.sort()
        for (a_from, a_to), (b_from, b_to) in pairwise(ranges):
            if _overlap(a_from, a_to, b_from, b_to):
                raise ValidationError(
                    _("The versions starting %(first)s and %(second)s overlap.")
                    % {"first": a_from, "second": b_from}
                )


class ProcedureVersionInline(admin.StackedInline):
    model = ProcedureVersion
    form = ProcedureVersionForm
    formset = VersionFormSet
    extra = 0
    autocomplete_fields = ("field",)
    show_change_link = True
    fieldsets = (
        (None, {"fields": (("valid_from", "valid_to"), "name", ("field", "level", "audience"))}),
        (
            _("Time limit, fee and online service"),
            {
                "fields": (
                    ("time_limit", "time_unit", "online_time_limit"),
                    ("fee", "online_level", "paper_result_required"),
                )
            },
        ),
    )


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("code",)


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "current_name", "version_count")
    search_fields = ("code", "versions__name")
    ordering = ("code",)
    inlines = (ProcedureVersionInline,)
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("versions")

    @admin.display(description=_("name (version in force today)"))
    def current_name(self, obj: Procedure) -> str:
        today = timezone.localdate()
        versions = sorted(obj.versions.all(), key=lambda v: v.valid_from, reverse=True)
        for version in versions:
            if version.valid_from <= today and (version.valid_to is None or version.valid_to >= today):
                return version.name
        return "— no version in force —"

    @admin.display(description=_("versions"))
    def version_count(self, obj: Procedure) -> int:
        return len(obj.versions.all())


class ProcedureComponentInline(admin.TabularInline):
    """The documents a dossier of this version contains, in the official order."""

    model = ProcedureComponent
    extra = 0
    ordering = ("position",)


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = StandaloneProcedureVersionForm
    inlines = (ProcedureComponentInline,)
    list_display = (
        "procedure",
        "short_name",
        "field",
        "level",
        "time_limit",
        "time_unit",
        "online_time_limit",
        "fee",
        "online_level",
        "valid_from",
        "valid_to",
    )
    list_filter = ("level", "time_unit", "online_level", "field", "audience", "paper_result_required")
    list_select_related = ("procedure", "field")
    search_fields = ("procedure__code", "name")
    ordering = ("procedure__code", "-valid_from")
    date_hierarchy = "valid_from"
    autocomplete_fields = ("procedure", "field")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("procedure", ("valid_from", "valid_to"), "name", ("field", "level", "audience"))}),
        *ProcedureVersionInline.fieldsets[1:],
    )

    @admin.display(description=pgettext_lazy("procedure version", "name"), ordering="name")
    def short_name(self, obj: ProcedureVersion) -> str:
        return obj.name if len(obj.name) <= 80 else obj.name[:79] + "…"


class PublishedProcedureForm(forms.ModelForm):
    published_parts = forms.MultipleChoiceField(
        choices=[(part, part.replace("_", " ")) for part in CONTENT_PARTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The content parts published for this procedure (all 7 = complete)."),
    )

    class Meta:
        model = PublishedProcedure
        fields = ("procedure", "disclosed_on", "published_parts")

    def clean_published_parts(self) -> list[str]:
        chosen = set(self.cleaned_data.get("published_parts") or [])
        return [part for part in CONTENT_PARTS if part in chosen]  # canonical order


class PublishedProcedureInline(admin.TabularInline):
    model = PublishedProcedure
    form = PublishedProcedureForm
    extra = 0
    autocomplete_fields = ("procedure",)


class PublicationDecisionForm(forms.ModelForm):
    class Meta:
        model = PublicationDecision
        fields = ("authority", "number", "decided_on", "effective_on")

    def clean(self) -> dict:
        cleaned = super().clean()
        for field, (code, message) in decision_problems(
            authority=cleaned.get("authority"),
            decided_on=cleaned.get("decided_on"),
            today=timezone.localdate(),
        ).items():
            self.add_error(field, ValidationError(message, code=code))
        return cleaned


@admin.register(PublicationDecision)
class PublicationDecisionAdmin(admin.ModelAdmin):
    """The register the transparency group is computed from, per issuing province or ministry."""

    form = PublicationDecisionForm
    list_display = ("number", "authority", "decided_on", "effective_on", "procedure_count")
    list_filter = ("authority",)
    list_select_related = ("authority",)
    search_fields = ("number", "items__procedure__code")
    date_hierarchy = "decided_on"
    autocomplete_fields = ("authority",)
    inlines = (PublishedProcedureInline,)
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(procedure_total=Count("items"))

    # The services (apps/catalogue/registers.py) drop the filed scores a change makes stale; an edit here
    # (the decision or its listed procedures, saved after it) must too, from the earlier date involved.
    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        decision = form.instance
        before = form.initial.get("authority") if change else None
        authorities = [decision.authority, *Unit.objects.filter(pk=before)]
        register_edited(
            authorities, [decision.decided_on, form.initial.get("decided_on") if change else None]
        )

    def delete_model(self, request, obj: PublicationDecision) -> None:
        super().delete_model(request, obj)
        register_edited([obj.authority], [obj.decided_on])

    def delete_queryset(self, request, queryset) -> None:
        gone = [
            (decision.authority, decision.decided_on) for decision in queryset.select_related("authority")
        ]
        super().delete_queryset(request, queryset)
        for authority, decided_on in gone:
            register_edited([authority], [decided_on])

    @admin.display(description=_("procedures"), ordering="procedure_total")
    def procedure_count(self, obj: PublicationDecision) -> int:
        return obj.procedure_total


class OnlineOfferingForm(forms.ModelForm):
    class Meta:
        model = OnlineOffering
        fields = ("unit", "procedure", "level", "valid_from", "valid_to")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for field, (code, message) in offering_problems(
            unit=cleaned["unit"],
            procedure=cleaned["procedure"],
            level=cleaned["level"],
            valid_from=cleaned["valid_from"],
            valid_to=cleaned.get("valid_to"),
            exclude_pk=self.instance.pk,
        ).items():
            self.add_error(field, ValidationError(message, code=code))
        return cleaned


@admin.register(OnlineOffering)
class OnlineOfferingAdmin(admin.ModelAdmin):
    """Which unit offers which procedure online, from when (the online-services group's register)."""

    form = OnlineOfferingForm
    list_display = ("unit", "procedure", "level", "valid_from", "valid_to")
    list_filter = ("level",)
    list_select_related = ("unit", "procedure")
    search_fields = ("unit__code", "unit__name", "procedure__code")
    date_hierarchy = "valid_from"
    autocomplete_fields = ("unit", "procedure")
    show_full_result_count = False

    # As for decisions: any field may change here, so the filed scores are stale from the earlier start
    # involved, in the offering's province and, when it moved, in its former one.
    def save_model(self, request, obj: OnlineOffering, form, change) -> None:
        super().save_model(request, obj, form, change)
        before = Unit.objects.filter(pk=form.initial.get("unit")) if change else []
        register_edited(
            [top_unit(unit) for unit in (obj.unit, *before)],
            [obj.valid_from, form.initial.get("valid_from") if change else None],
        )

    def delete_model(self, request, obj: OnlineOffering) -> None:
        super().delete_model(request, obj)
        register_edited([top_unit(obj.unit)], [obj.valid_from])

    def delete_queryset(self, request, queryset) -> None:
        gone = [
            (top_unit(offering.unit), offering.valid_from) for offering in queryset.select_related("unit")
        ]
        super().delete_queryset(request, queryset)
        for authority, valid_from in gone:
            register_edited([authority], [valid_from])
