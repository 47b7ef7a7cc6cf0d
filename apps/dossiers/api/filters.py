from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from apps.core.api.dates import DayFilter, InstantFilter
from apps.core.errors import ErrorCode
from apps.dossiers.applicant import phone_or_none
from apps.dossiers.models import Channel, Dossier
from apps.dossiers.selectors import (
    applicant_name_matches,
    counter_search_q,
    due_soon_q,
    in_unit_subtree,
    overdue_now_q,
    prefix_q,
)
from apps.dossiers.status import Status
from apps.organisation.models import Unit


class DossierFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(
        method="by_unit", help_text="Unit code: dossiers received or handled anywhere in its subtree."
    )
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text="Repeat for several.")
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    procedure = django_filters.CharFilter(field_name="procedure__code")
    field = django_filters.CharFilter(field_name="procedure_version__field__code", label="Field code")
    received_from = DayFilter(field_name="received_on", lookup_expr="gte")
    received_to = DayFilter(field_name="received_on", lookup_expr="lte")
    due_from = InstantFilter(field_name="effective_due_at", lookup_expr="gte")
    due_to = InstantFilter(field_name="effective_due_at", lookup_expr="lte")
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="by_overdue",
        help_text="true: open and past due now, ordered by due date (the most overdue first) unless "
        "`ordering` says otherwise; false: everything else.",
    )
    due_soon = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="by_due_soon",
        help_text="true: open, clock running, due within the next 24 hours (not yet overdue); false: the rest.",
    )
    timeliness = django_filters.CharFilter()
    code = django_filters.CharFilter()
    code_prefix = django_filters.CharFilter(
        method="by_code_prefix", help_text="Receipt codes beginning with this."
    )
    external_id = django_filters.CharFilter()
    applicant = django_filters.CharFilter(
        method="by_applicant",
        help_text="Applicant name, without diacritics or case (`nguyen van an`), matched from its start.",
    )
    id_number = django_filters.CharFilter(
        method="by_id_number", help_text="Applicant identity number (exact)."
    )
    phone = django_filters.CharFilter(method="by_phone", help_text="Applicant phone, any usual spelling.")
    q = django_filters.CharFilter(
        method="by_any",
        help_text="One box for the counter: code prefix, applicant name (folded prefix), identity number or phone.",
    )

    class Meta:
        model = Dossier
        fields = []

    def by_unit(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        unit = Unit.objects.filter(code=value).first()
        if unit is None:
            raise ValidationError(
                {"unit": [gettext("Unknown unit code %(code)s.") % {"code": repr(value)}]},
                code=ErrorCode.UNKNOWN_UNIT,
            )
        return in_unit_subtree(queryset, unit)

    def by_overdue(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        q = overdue_now_q()
        return queryset.filter(q) if value == "true" else queryset.exclude(q)

    def by_due_soon(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        q = due_soon_q()
        return queryset.filter(q) if value == "true" else queryset.exclude(q)

    def by_applicant(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        return queryset.filter(applicant_name_matches(value))

    def by_id_number(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        return queryset.filter(applicant_id_number="".join(value.split()))

    def by_phone(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        phone = phone_or_none(value)
        return queryset.filter(applicant_phone=phone) if phone else queryset.none()

    def by_any(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        return queryset.filter(counter_search_q(value))

    def by_code_prefix(self, queryset: QuerySet[Dossier], name: str, value: str) -> QuerySet[Dossier]:
        return queryset.filter(prefix_q("code", value))
