"""Petition (PAKN) counts per unit for a period, for the satisfaction group.

The conditions are :mod:`apps.petitions.selectors`' own (one definition); this only groups them by unit
so a whole subtree is one query. Petitions are rare (about one per thousand dossiers), so they are
counted live rather than kept in leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, QuerySet

from apps.petitions.models import Petition
from apps.petitions.selectors import (
    DISSATISFIED_Q,
    REPEATED_Q,
    first_received_q,
    in_period_q,
    on_time_q,
    overdue_q,
)
from apps.statistics.periods import Period


def petition_counts_by_unit(
    unit_ids: Iterable[int] | QuerySet, period: Period, today: dt.date
) -> dict[int, dict[str, int]]:
    """Per unit among ``unit_ids`` (ids, or a queryset of them: a subquery), its petition counts."""
    judged = period.judged_on(today)
    overdue = overdue_q(period.end, judged)
    rows = (
        Petition.objects.filter(in_period_q(period.start, period.end), unit_id__in=unit_ids)
        .order_by()
        .values("unit_id")
        .annotate(
            petitions=Count("pk"),
            on_time=Count("pk", filter=on_time_q(period.end, judged)),
            first_received=Count("pk", filter=first_received_q(period.start)),
            unsatisfactory=Count("pk", filter=DISSATISFIED_Q | REPEATED_Q | overdue),
        )
    )
    result = {}
    for row in rows:
        row["satisfactory"] = max(0, row["first_received"] - row.pop("unsatisfactory"))
        result[row.pop("unit_id")] = row
    return result
