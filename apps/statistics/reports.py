"""What the statistics endpoints answer, assembled from scores; the views only parse and serialise.

Each function takes a unit and a period and returns plain data. Deltas and rank changes compare with the
previous period of the same kind (or the range of equal length just before).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from apps.core.errors import DomainError, ErrorCode
from apps.organisation.models import Unit
from apps.scoring.engine import room_for_improvement, what_if_for_score
from apps.scoring.methodology import Methodology, first_scored_day
from apps.statistics import breakdowns
from apps.statistics.counting import CONDITIONS, IN_SET, periods_cte
from apps.statistics.measures import DRILL_DOWN_MEASURES, described_score, measure_parts
from apps.statistics.models import ScoreSnapshot
from apps.statistics.periods import Period, PeriodKind, containing, parse
from apps.statistics.petition_counts import petition_counts_by_unit
from apps.statistics.rankings import BandRule, band_gap, band_of, competition_ranks, top_spread
from apps.statistics.scores import SubtreeScorer, UnitScore
from apps.statistics.selectors import totals_by_unit
from apps.statistics.services import cache_key_for
from apps.statistics.services import today as business_today

MEASURES = DRILL_DOWN_MEASURES  # the counting measures and the score inputs that count dossiers


def resolve_period(key: str | None, today: dt.date) -> Period:
    """A period key, or the current week when none is given. Periods may not start in the future."""
    period = containing(PeriodKind.WEEK, today) if not key else parse(key)
    if period.start > today:
        raise ValueError(f"{period.key} has not started yet.")
    # A score is shown with the change against the period before: both need a methodology in force.
    first = first_scored_day()
    if period.previous().end < first:
        raise DomainError(
            ErrorCode.PERIOD_NOT_SCORED,
            gettext(
                "%(period)s is not scored: the first methodology applies from %(first)s, and a "
                "score needs it in force at the end of the period and of the one before."
            )
            % {"period": period.key, "first": first.isoformat()},
            field="period",
        )
    return period


_SCORERS: OrderedDict[tuple, SubtreeScorer] = OrderedDict()
_SCORERS_LOCK = threading.Lock()
CACHED_SCORERS = 32


def scorer(root: Unit, period: Period, today: dt.date) -> SubtreeScorer:
    """A subtree's scores, cached in this process until the aggregates change (their version moves)."""
    key = (root.pk, period.kind, period.start, period.end, period.judged_on(today), *cache_key_for(period))
    with _SCORERS_LOCK:
        cached = _SCORERS.get(key)
        if cached is not None:
            _SCORERS.move_to_end(key)
            return cached
    built = SubtreeScorer(root, period, today=today, petitions=petition_counts_by_unit)
    with _SCORERS_LOCK:
        _SCORERS[key] = built
        while len(_SCORERS) > CACHED_SCORERS:
            _SCORERS.popitem(last=False)
    return built


def children_totals(parent: Unit, period: Period, today: dt.date) -> dict[int, Decimal]:
    """Each child's total; closed periods come from snapshots (stored on first use), so history is stable."""
    children = list(Unit.objects.filter(parent=parent).values_list("pk", flat=True))
    if period.is_closed(today) and period.kind in (PeriodKind.WEEK, PeriodKind.MONTH):
        stored = dict(_snapshots(period).filter(unit_id__in=children).values_list("unit_id", "total"))
        if len(stored) == len(children):
            return stored
        for result in scorer(parent, period, today).children_scores(parent):
            if result.unit.pk not in stored:
                store_snapshot(result, period)
                stored[result.unit.pk] = result.score.total
        return stored
    return {s.unit.pk: s.score.total for s in scorer(parent, period, today).children_scores(parent)}


def unit_total(unit: Unit, period: Period, today: dt.date) -> Decimal:
    """One unit's total; a closed week or month comes from its snapshot (stored on first use)."""
    snapshotted = period.is_closed(today) and period.kind in (PeriodKind.WEEK, PeriodKind.MONTH)
    if snapshotted:
        stored = _snapshots(period).filter(unit=unit).values_list("total", flat=True).first()
        if stored is not None:
            return stored
    result = scorer(unit, period, today).unit_score(unit)
    if snapshotted:
        store_snapshot(result, period)
    return result.score.total


def _peer_ids(parent: Unit, kind: str | None) -> set[int]:
    """The parent's children of one kind (all of them for ``None``): the units ranked together."""
    children = Unit.objects.filter(parent=parent)
    if kind is not None:
        children = children.filter(kind=kind)
    return set(children.values_list("pk", flat=True))


def _ranks_of(totals: dict[int, Decimal]) -> dict[int, int]:
    ids = list(totals)
    return dict(zip(ids, competition_ranks(ids, key=lambda pk: totals[pk]), strict=True))


def _ranked(scores: Sequence[UnitScore], by: str) -> list[int]:
    if by == "total":
        return competition_ranks(scores, key=lambda s: s.score.total)
    return competition_ranks(scores, key=lambda s: s.score.group(by).points)


def unit_score(unit: Unit, period: Period, *, today: dt.date | None = None) -> dict[str, Any]:
    """The unit's score with its rank among siblings and the change against the previous period."""
    today = today or business_today()
    parent = unit.parent
    subtree = scorer(parent or unit, period, today)
    mine = subtree.unit_score(unit)
    previous_period = period.previous()
    rank = previous_rank = peer_rank = None
    siblings = peers = 1
    if parent is not None:
        now = children_totals(parent, period, today)
        then = children_totals(parent, previous_period, today)
        siblings = len(now)
        rank, previous_rank = _ranks_of(now)[unit.pk], _ranks_of(then).get(unit.pk)
        before_total = then.get(unit.pk, Decimal("0.00"))
        same_kind = _peer_ids(parent, unit.kind)
        peers = len(same_kind)
        peer_rank = _ranks_of({pk: total for pk, total in now.items() if pk in same_kind})[unit.pk]
    else:
        before_total = unit_total(unit, previous_period, today)
    return {
        "unit": unit,
        "period": period,
        "judged_on": period.judged_on(today),
        "score": described_score(mine.score, subtree.methodology),
        "inputs": mine.inputs.counts(),
        "rank": rank,
        "siblings": siblings,
        "peer_rank": peer_rank,
        "peers": peers,
        "previous": {
            "period": previous_period,
            "total": before_total,
            "delta": mine.score.total - before_total,
            "rank": previous_rank,
            "rank_change": None if rank is None or previous_rank is None else previous_rank - rank,
        },
    }


def rankings(
    parent: Unit,
    period: Period,
    *,
    by: str,
    bands: Sequence[BandRule],
    kind: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The parent's children ranked by total (or a group), with bands, deltas and the report figures.

    With ``kind``, only the children of that kind, ranked among themselves as the national portal ranks
    them (communes among communes, departments among departments, centres apart); deltas, previous
    ranks and the first-place streak compare with the same peers.
    """
    today = today or business_today()
    peers = _peer_ids(parent, kind)
    now_scores = [s for s in scorer(parent, period, today).children_scores(parent) if s.unit.pk in peers]
    before = {pk: t for pk, t in children_totals(parent, period.previous(), today).items() if pk in peers}
    if by == "total":
        then_rank = _ranks_of(before)
    else:
        then_scores = [
            s for s in scorer(parent, period.previous(), today).children_scores(parent) if s.unit.pk in peers
        ]
        then_rank = dict(zip([s.unit.pk for s in then_scores], _ranked(then_scores, by), strict=True))
    rows = []
    for item, rank in zip(now_scores, _ranked(now_scores, by), strict=True):
        delta = item.score.total - before[item.unit.pk] if item.unit.pk in before else None
        rows.append(
            {
                "unit": item.unit,
                "kind": item.unit.kind,
                "rank": rank,
                "total": item.score.total,
                "value": item.score.total if by == "total" else item.score.group(by).points,
                "band": band_of(item.score.total, bands),
                "groups": {g.code: g.points for g in item.score.groups},
                "delta": delta,
                "previous_rank": then_rank.get(item.unit.pk),
                "rank_change": then_rank[item.unit.pk] - rank if item.unit.pk in then_rank else None,
                "dossiers": item.inputs.dossiers_in_period,
            }
        )
    rows.sort(key=lambda r: (r["rank"], r["unit"].code))
    totals = [r["total"] for r in rows]
    movers = sorted((r for r in rows if r["delta"] is not None), key=lambda r: -r["delta"])[:3]
    return {
        "parent": parent,
        "period": period,
        "by": by,
        "kind": kind,
        "methodology_version": now_scores[0].score.methodology_version if now_scores else None,
        "methodology": now_scores[0].score.methodology if now_scores else None,
        "rows": rows,
        "summary": {
            "units": len(rows),
            "bands": {band.code: sum(1 for r in rows if r["band"] == band.code) for band in bands},
            "top10_spread": top_spread(totals, 10),
            "band_gap": band_gap(totals, bands),
            "biggest_movers": movers,
            "first_streak": first_place_streak(parent, period, rows, today=today, peers=peers),
        },
    }


def first_place_streak(
    parent: Unit,
    period: Period,
    rows: list[dict],
    *,
    today: dt.date,
    limit: int = 12,
    peers: set[int] | None = None,
):
    """How many consecutive periods (up to ``limit``) the current leader has been first (among ``peers``)."""
    leaders = [r["unit"] for r in rows if r["rank"] == 1]
    if len(leaders) != 1 or period.kind == PeriodKind.RANGE:
        return None
    leader, streak, earlier = leaders[0], 1, period.previous()
    first = first_scored_day()
    while streak < limit and earlier.end >= first:
        totals = children_totals(parent, earlier, today)
        ranks = _ranks_of({pk: t for pk, t in totals.items() if peers is None or pk in peers})
        if ranks.get(leader.pk) != 1 or list(ranks.values()).count(1) != 1:
            break
        streak, earlier = streak + 1, earlier.previous()
    return {"unit": leader, "periods": streak}


def trend(unit: Unit, kind: PeriodKind, count: int, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The last ``count`` periods of ``kind``; closed ones come from (or are stored as) snapshots."""
    today = today or business_today()
    periods = [containing(kind, today)]
    first = first_scored_day()  # the trend stops at the first period a methodology scores
    while len(periods) < count and periods[0].previous().end >= first:
        periods.insert(0, periods[0].previous())
    current_key = {p.start: Methodology.for_date(p.end).key for p in periods}
    stored = {
        s.period_start: s
        for s in ScoreSnapshot.objects.filter(
            unit=unit, period_kind=kind.value, period_start__in=list(current_key)
        )
        if s.methodology_version == current_key[s.period_start]  # an earlier revision's score is stale
    }
    points = []
    for period in periods:
        snapshot = stored.get(period.start)
        if snapshot is None:
            result = scorer(unit, period, today).unit_score(unit)
            total, groups = result.score.total, {g.code: str(g.points) for g in result.score.groups}
            if period.is_closed(today):
                store_snapshot(result, period)
        else:
            total, groups = snapshot.total, snapshot.groups
        points.append({"period": period, "total": total, "groups": groups, "closed": period.is_closed(today)})
    return points


def _snapshots(period: Period) -> QuerySet[ScoreSnapshot]:
    """Stored scores of a period made by the methodology revision in force now, never an earlier one.

    A revision corrects a misreading and changes past periods' scores, so a snapshot filed under an
    earlier revision is stale: it is ignored (and recomputed on first use) rather than served as history.
    """
    return ScoreSnapshot.objects.filter(
        period_kind=period.kind.value,
        period_start=period.start,
        methodology_version=Methodology.for_date(period.end).key,
    )


def store_snapshot(result: UnitScore, period: Period) -> None:
    data = result.score.to_dict()
    try:
        with transaction.atomic():
            ScoreSnapshot.objects.create(
                unit=result.unit,
                period_kind=period.kind.value,
                period_start=period.start,
                methodology_version=result.score.methodology_key,
                total=result.score.total,
                groups={g["code"]: g["points"] for g in data["groups"]},
                indicators=data["indicators"],
                inputs=result.inputs.counts(),
            )
    except IntegrityError:  # another request stored it first
        pass


def snapshot_closed_periods(*, today: dt.date | None = None) -> int:
    """Freeze every unit's score for the weeks and months that closed most recently."""
    today = today or business_today()
    stored = 0
    for kind in (PeriodKind.WEEK, PeriodKind.MONTH):
        period = containing(kind, today).previous()
        for root in Unit.objects.filter(parent__isnull=True):
            subtree = scorer(root, period, today)
            existing = set(_snapshots(period).values_list("unit_id", flat=True))
            for unit in subtree.units:
                if unit.pk not in existing:
                    store_snapshot(subtree.unit_score(unit), period)
                    stored += 1
    return stored


def what_if(unit: Unit, period: Period, targets: dict[str, Decimal], *, today: dt.date | None = None):
    today = today or business_today()
    subtree = scorer(unit, period, today)
    result = subtree.unit_score(unit)
    projection = what_if_for_score(result.score, subtree.methodology, targets) if targets else None
    return {
        "unit": unit,
        "period": period,
        "score": result.score,
        "projection": projection,
        "room": room_for_improvement(result.score),
        "room_by_group": room_for_improvement(result.score, by="group"),
    }


def on_time_breakdown(
    unit: Unit,
    period: Period,
    by: str,
    *,
    kind: str | None = None,
    ordering: str = breakdowns.DEFAULT_ORDERING,
    today: dt.date | None = None,
) -> list[dict]:
    """On time, late and rate by child unit, procedure or field, with names (see :mod:`.breakdowns`)."""
    today = today or business_today()
    return breakdowns.on_time_breakdown(unit, period, by, today=today, kind=kind, ordering=ordering)


def dossier_ids_sql(unit: Unit, period: Period, measure: str, *, today: dt.date | None = None):
    """The ids of the dossiers behind a count: the counting SQL's own conditions, so they always agree."""
    today = today or business_today()
    condition = " OR ".join(CONDITIONS[part] for part in measure_parts(measure))
    cte, params = periods_cte([period], today)
    sql = (
        f"WITH {cte} SELECT d.id FROM dossiers_dossier d"
        " JOIN catalogue_procedureversion v ON v.id = d.procedure_version_id"
        f" JOIN periods p ON {IN_SET}"
        " JOIN organisation_unit u ON u.id = d.handling_unit_id"
        f" WHERE u.path LIKE %s AND ({condition})"
    )
    return sql, [*params, unit.path + "%"]


def dossiers_behind_count(unit: Unit, period: Period, measure: str, *, today: dt.date | None = None) -> int:
    """How many dossiers :func:`dossier_ids_sql` lists: the statistics' own count, no COUNT(*).

    It is the sum of the subtree's leaf aggregates (one grouped read of about one row per unit), the
    number the score shows; for a named period it trails the list by the moment the aggregates take to
    catch up with a change.
    """
    today = today or business_today()
    parts = measure_parts(measure)
    totals = totals_by_unit(list(Unit.objects.subtree_of(unit)), period, today)
    return sum(t.counts[part] for t in totals.values() for part in parts)


def dossiers_behind(unit: Unit, period: Period, measure: str, *, today: dt.date | None = None) -> QuerySet:
    """The dossiers behind a count, newest first: :func:`dossier_ids_sql`'s rows as a queryset.

    The API's drill-down and the web console's dossier list both read this, so they list the same rows.
    """
    from django.db.models.expressions import RawSQL

    from apps.dossiers.models import Dossier
    from apps.dossiers.selectors import with_related

    sql, params = dossier_ids_sql(unit, period, measure, today=today)
    return with_related(Dossier.objects.filter(id__in=RawSQL(sql, params))).order_by("-received_at", "-id")
