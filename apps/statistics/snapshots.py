"""Freezing closed weeks' and months' scores: the nightly task's job, and the only writer of snapshots.

Reads never store a snapshot (a GET writes nothing): a closed period without one is scored live from
the roll-up, which is cheap, until the next run files it. Each run files every unit's score for the
last :data:`BACKFILL` closed weeks and months that lack one under the methodology revision in force,
so a first-place streak (up to 12 periods back) and the comparison with the previous period read
snapshots, also after a deployment, a new methodology revision or a register change dropped some.
"""

from __future__ import annotations

import datetime as dt

from apps.organisation.models import Unit
from apps.scoring.methodology import first_scored_day
from apps.statistics.models import ScoreSnapshot
from apps.statistics.periods import Period, PeriodKind, containing
from apps.statistics.scores import SubtreeScorer, UnitScore
from apps.statistics.selectors import stored_scores, subtree_inputs
from apps.statistics.services import today as business_today

# A streak looks 12 periods back from the current one; a ranking also compares with the previous one.
BACKFILL = 13
SNAPSHOT_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH)


def closed_periods(kind: PeriodKind, today: dt.date, count: int = BACKFILL) -> list[Period]:
    """The ``count`` most recent closed periods of ``kind`` that a methodology scores, newest first."""
    first = first_scored_day()
    periods, period = [], containing(kind, today).previous()
    while len(periods) < count and period.end >= first:
        periods.append(period)
        period = period.previous()
    return periods


def snapshot_of(result: UnitScore, period: Period) -> ScoreSnapshot:
    """One unit's score of a closed period, as filed (unsaved)."""
    data = result.score.to_dict()
    return ScoreSnapshot(
        unit=result.unit,
        period_kind=period.kind.value,
        period_start=period.start,
        methodology_version=result.score.methodology_key,
        total=result.score.total,
        groups={g["code"]: g["points"] for g in data["groups"]},
        indicators=data["indicators"],
        inputs=result.inputs.counts(),
    )


def snapshot_closed_periods(*, today: dt.date | None = None, backfill: int = BACKFILL) -> int:
    """File the missing snapshots of every unit for the last ``backfill`` closed weeks and months;
    returns how many were missing. A row a concurrent run filed first is left as it is."""
    today = today or business_today()
    roots = list(Unit.objects.filter(parent__isnull=True))
    filed = 0
    for kind in SNAPSHOT_KINDS:
        for period in closed_periods(kind, today, backfill):
            existing = set(stored_scores(period).values_list("unit_id", flat=True))
            for root in roots:
                missing = list(Unit.objects.subtree_of(root).exclude(pk__in=existing).order_by("path"))
                if not missing:
                    continue
                scorer = SubtreeScorer(subtree_inputs(root, period, today))
                rows = [snapshot_of(scorer.unit_score(unit), period) for unit in missing]
                ScoreSnapshot.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
                filed += len(rows)
    return filed
