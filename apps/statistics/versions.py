"""The aggregate versions read caches and stored scores key on: what moved, and when.

Their own module, below the selectors and the services alike: the drain (services) bumps them, the
readers (selectors, reports) compare with them, and neither has to import the other for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F

from apps.statistics.models import AggregateVersion, PeriodVersion
from apps.statistics.periods import NAMED_KINDS, Period


def bump_version(*, periods: Iterable[tuple[str, dt.date]] = (), everything: bool = False) -> None:
    """Tell read caches that aggregates changed: all of them (``everything``) or the given periods."""
    changes = {"version": F("version") + 1}
    if everything:
        changes["epoch"] = F("epoch") + 1
    if not AggregateVersion.objects.filter(pk=1).update(**changes):
        AggregateVersion.objects.get_or_create(pk=1, defaults={"version": 1, "epoch": 1})
    keys = set(periods)
    if keys:
        PeriodVersion.objects.bulk_create(
            [PeriodVersion(period_kind=k, period_start=s) for k, s in keys], ignore_conflicts=True
        )
        for kind, start in keys:
            PeriodVersion.objects.filter(period_kind=kind, period_start=start).update(
                version=F("version") + 1
            )


def cache_key_for(period: Period) -> tuple[int, ...]:
    """What a cached result for ``period`` depends on: any change for a date range (computed live from
    the dossiers), only a rebuild or that period's own recomputation for a named period."""
    row = AggregateVersion.objects.filter(pk=1).values_list("version", "epoch").first() or (0, 0)
    if period.kind not in NAMED_KINDS:
        return (row[0],)
    own = PeriodVersion.objects.filter(period_kind=period.kind.value, period_start=period.start)
    return (row[1], own.values_list("version", flat=True).first() or 0)


def current_epoch() -> int:
    """Moved by a rebuild and by any edit to what a score reads besides the dossiers (:mod:`.signals`):
    every score may differ."""
    return AggregateVersion.objects.filter(pk=1).values_list("epoch", flat=True).first() or 0
