from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from apps.core.api.dates import DayFilter
from apps.core.errors import ErrorCode
from apps.dossiers.timeliness import Timeliness
from apps.organisation.models import Unit
from apps.petitions.models import Petition, PetitionChannel, PetitionRating
from apps.petitions.selectors import in_unit_subtree, overdue_now_q
from apps.petitions.status import PetitionStatus


class PetitionFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(
        method="by_unit", help_text="Unit code: petitions under any unit of its subtree."
    )
    status = django_filters.MultipleChoiceFilter(
        choices=PetitionStatus.choices, help_text="Repeat for several."
    )
    channel = django_filters.MultipleChoiceFilter(choices=PetitionChannel.choices)
    received_from = DayFilter(field_name="received_on", lookup_expr="gte")
    received_to = DayFilter(field_name="received_on", lookup_expr="lte")
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="by_overdue",
        help_text="true: still unanswered after the 15-working-day due instant; false: everything else.",
    )
    timeliness = django_filters.ChoiceFilter(choices=Timeliness.choices)
    rating = django_filters.ChoiceFilter(choices=[c for c in PetitionRating.choices if c[0]])
    is_repeat = django_filters.BooleanFilter()
    dossier = django_filters.CharFilter(field_name="dossier__code", help_text="Receipt code of the dossier.")

    class Meta:
        model = Petition
        fields = []

    def by_unit(self, queryset: QuerySet[Petition], name: str, value: str) -> QuerySet[Petition]:
        unit = Unit.objects.filter(code=value).first()
        if unit is None:
            raise ValidationError(
                {"unit": [gettext("Unknown unit code %(code)s.") % {"code": repr(value)}]},
                code=ErrorCode.UNKNOWN_UNIT,
            )
        return in_unit_subtree(queryset, unit)

    def by_overdue(self, queryset: QuerySet[Petition], name: str, value: str) -> QuerySet[Petition]:
        q = overdue_now_q()
        return queryset.filter(q) if value == "true" else queryset.exclude(q)
