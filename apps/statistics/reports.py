"""What the statistics endpoints answer, assembled from scores; the views only parse and serialise.

Each function takes a unit and a period and returns plain data. Deltas and rank changes compare with the
previous period of the same kind (or the range of equal length just before).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext

from apps.core.errors import DomainError, ErrorCode
from apps.dossiers.timeliness import BUSINESS_TZ
from apps.organisation.models import Unit
from apps.scoring import engine
from apps.scoring.engine import Score, room_for_improvement, what_if_for_score
from apps.scoring.inputs import COUNT_NAMES, IndicatorInputs
from apps.scoring.methodology import Methodology, first_scored_day
from apps.statistics import breakdowns
from apps.statistics.counting import CONDITIONS, IN_SET
from apps.statistics.inputs import level_of
from apps.statistics.measures import DRILL_DOWN_MEASURES, described_score, measure_parts
from apps.statistics.models import ScoreSnapshot
from apps.statistics.periods import NAMED_KINDS, Period, PeriodKind, containing, parse
from apps.statistics.rankings import BandRule, Standing, band_gap, band_of, competition_ranks, top_spread
from apps.statistics.scores import SubtreeScorer, UnitScore
from apps.statistics.selectors import current_scores, stored_scores, subtree_inputs, totals_by_unit
from apps.statistics.services import today as business_today
from apps.statistics.versions import cache_key_for

MEASURES = DRILL_DOWN_MEASURES  # the counting measures and the score inputs that count dossiers
COUNT_NAMES_SET = frozenset(COUNT_NAMES)


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
    """A subtree's scores, cached in this process until the aggregates change (their version moves).

    The one way down: the selector reads the subtree (roll-up rows, petitions, catalogue facts), the
    scorer sums and scores it with the engine; nothing here writes.
    """
    versions = cache_key_for(period)
    key = (root.pk, period.kind, period.start, period.end, period.judged_on(today), *versions)
    with _SCORERS_LOCK:
        cached = _SCORERS.get(key)
        if cached is not None:
            _SCORERS.move_to_end(key)
            return cached
    built = SubtreeScorer(subtree_inputs(root, period, today, epoch=versions[0]))
    with _SCORERS_LOCK:
        _SCORERS[key] = built
        while len(_SCORERS) > CACHED_SCORERS:
            _SCORERS.popitem(last=False)
    return built


def _snapshotted(period: Period, today: dt.date) -> bool:
    return period.is_closed(today) and period.kind in (PeriodKind.WEEK, PeriodKind.MONTH)


def _running(period: Period, today: dt.date) -> bool:
    return period.kind in NAMED_KINDS and not period.is_closed(today)


def _filed(period: Period, today: dt.date) -> tuple[QuerySet, str] | None:
    """Where the period's scores are stored, if anywhere, and the field holding each one's dossier
    count: a closed week's or month's snapshots (filed nightly), a running period's current scores
    (kept by the drain); ``None`` for anything else, which is scored live."""
    if _snapshotted(period, today):
        return stored_scores(period), "inputs__dossiers_in_period"
    if _running(period, today):
        return current_scores(period, today), "dossiers"
    return None


def _stored_score(unit: Unit, period: Period, today: dt.date) -> tuple[Score, dict[str, int]] | None:
    """The unit's running score, scored by the engine from the inputs the drain stored while they still
    hold (one unit: a tenth of a millisecond, where reading and scoring its subtree takes tens)."""
    if not _running(period, today):
        return None
    inputs = current_scores(period, today).filter(unit=unit).values_list("inputs", flat=True).first()
    if inputs is None or inputs.keys() != COUNT_NAMES_SET:  # stored before the inputs' fields changed
        return None
    bundle = IndicatorInputs(level=level_of(unit), **inputs)
    return engine.score(bundle, Methodology.for_date(period.end)), inputs


def children_totals(
    parent: Unit, period: Period, today: dt.date, *, children: set[int] | None = None
) -> dict[int, Decimal]:
    """Each child's total; a closed week or month comes from the snapshots the nightly task stored, so
    history is stable, and a running period from the scores the drain stored; a child without one is
    scored now, and nothing is stored. ``children``: the parent's children's ids, when the caller has
    them already."""
    filed = _filed(period, today)
    if filed is not None:
        if children is None:
            children = _children_ids(parent)
        stored = dict(filed[0].filter(unit_id__in=children).values_list("unit_id", "total"))
        if len(stored) == len(children):
            return stored
        for result in scorer(parent, period, today).children_scores(parent):
            stored.setdefault(result.unit.pk, result.score.total)
        return stored
    return {s.unit.pk: s.score.total for s in scorer(parent, period, today).children_scores(parent)}


def unit_total(unit: Unit, period: Period, today: dt.date) -> Decimal:
    """One unit's total; a closed week or month comes from its snapshot when the nightly task stored
    one, a running period from the score the drain stored."""
    filed = _filed(period, today)
    if filed is not None:
        stored = filed[0].filter(unit=unit).values_list("total", flat=True).first()
        if stored is not None:
            return stored
    return scorer(unit, period, today).unit_score(unit).score.total


def _children_ids(parent: Unit) -> set[int]:
    return set(Unit.objects.filter(parent=parent).values_list("pk", flat=True))


def _peer_ids(parent: Unit, kind: str | None) -> set[int]:
    """The parent's children of one kind (all of them for ``None``): the units ranked together."""
    children = Unit.objects.filter(parent=parent)
    if kind is not None:
        children = children.filter(kind=kind)
    return set(children.values_list("pk", flat=True))


def _ranks_of(totals: dict[int, Decimal]) -> dict[int, int]:
    ids = list(totals)
    return dict(zip(ids, competition_ranks(ids, key=lambda pk: totals[pk]), strict=True))


def _ranked(standings: Sequence[Standing], by: str) -> list[int]:
    return competition_ranks(standings, key=lambda s: s.value(by))


def _standing(result: UnitScore) -> Standing:
    groups = {g.code: g.points for g in result.score.groups}
    return Standing(result.unit, result.score.total, groups, result.inputs.dossiers_in_period)


def children_standings(parent: Unit, period: Period, today: dt.date) -> list[Standing]:
    """Each child's standing, in path order. A closed week or month comes from the snapshots the
    nightly task filed when every child has one (as :func:`children_totals`: a ranking of history
    shows what was published), a running period from the scores the drain stored: a row per child
    instead of scoring the subtree. Otherwise, or when one is missing, the children are scored now."""
    filed = _filed(period, today)
    if filed is not None:
        stored, dossiers_field = filed
        children = list(Unit.objects.filter(parent=parent).order_by("path"))
        rows = {
            unit_id: (total, groups, dossiers)
            for unit_id, total, groups, dossiers in stored.filter(unit__in=children).values_list(
                "unit_id", "total", "groups", dossiers_field
            )
        }
        if children and len(rows) == len(children):
            standings = []
            for unit in children:
                total, groups, dossiers = rows[unit.pk]
                points = {code: Decimal(str(value)) for code, value in groups.items()}
                standings.append(Standing(unit, total, points, dossiers))
            return standings
    return [_standing(s) for s in scorer(parent, period, today).children_scores(parent)]


def unit_score(unit: Unit, period: Period, *, today: dt.date | None = None) -> dict[str, Any]:
    """The unit's score with its rank among siblings and the change against the previous period."""
    today = today or business_today()
    parent = unit.parent
    stored = _stored_score(unit, period, today)
    if stored is not None:
        (score, inputs), methodology = stored, Methodology.for_date(period.end)
    else:
        subtree = scorer(parent or unit, period, today)
        mine = subtree.unit_score(unit)
        score, inputs, methodology = mine.score, mine.inputs.counts(), subtree.methodology
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
        "score": described_score(score, methodology),
        "inputs": inputs,
        "rank": rank,
        "siblings": siblings,
        "peer_rank": peer_rank,
        "peers": peers,
        "previous": {
            "period": previous_period,
            "total": before_total,
            "delta": score.total - before_total,
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
    standings = children_standings(parent, period, today)
    children = {s.unit.pk for s in standings}
    peers = {s.unit.pk for s in standings if kind is None or s.unit.kind == kind}
    now = [s for s in standings if s.unit.pk in peers]
    if by == "total":
        previous = children_totals(parent, period.previous(), today, children=children)
        then_rank = _ranks_of({pk: t for pk, t in previous.items() if pk in peers})
    else:
        then = [s for s in children_standings(parent, period.previous(), today) if s.unit.pk in peers]
        previous = {s.unit.pk: s.total for s in then}
        then_rank = dict(zip([s.unit.pk for s in then], _ranked(then, by), strict=True))
    before = {pk: t for pk, t in previous.items() if pk in peers}
    rows = []
    for item, rank in zip(now, _ranked(now, by), strict=True):
        delta = item.total - before[item.unit.pk] if item.unit.pk in before else None
        rows.append(
            {
                "unit": item.unit,
                "kind": item.unit.kind,
                "rank": rank,
                "total": item.total,
                "value": item.value(by),
                "band": band_of(item.total, bands),
                "groups": item.groups,
                "delta": delta,
                "previous_rank": then_rank.get(item.unit.pk),
                "rank_change": then_rank[item.unit.pk] - rank if item.unit.pk in then_rank else None,
                "dossiers": item.dossiers,
            }
        )
    rows.sort(key=lambda r: (r["rank"], r["unit"].code))
    methodology = Methodology.for_date(period.end)
    totals = [r["total"] for r in rows]
    movers = sorted((r for r in rows if r["delta"] is not None), key=lambda r: -r["delta"])[:3]
    return {
        "parent": parent,
        "period": period,
        "by": by,
        "kind": kind,
        "methodology_version": methodology.version if now else None,
        "methodology": methodology.reference if now else None,
        "rows": rows,
        "summary": {
            "units": len(rows),
            "bands": {band.code: sum(1 for r in rows if r["band"] == band.code) for band in bands},
            "top10_spread": top_spread(totals, 10),
            "band_gap": band_gap(totals, bands),
            "biggest_movers": movers,
            "first_streak": first_place_streak(
                parent, period, rows, today=today, peers=peers, children=children
            ),
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
    children: set[int] | None = None,
):
    """How many consecutive periods (up to ``limit``) the current leader has been first (among ``peers``).

    ``children``: the parent's children's ids, when the caller has them already."""
    leaders = [r["unit"] for r in rows if r["rank"] == 1]
    if len(leaders) != 1 or period.kind == PeriodKind.RANGE:
        return None
    leader, streak = leaders[0], 1
    first = first_scored_day()
    earlier_periods, earlier = [], period.previous()
    while len(earlier_periods) < limit - 1 and earlier.end >= first:
        earlier_periods.append(earlier)
        earlier = earlier.previous()
    if children is None:
        children = _children_ids(parent)
    rivals = (children if peers is None else peers) - {leader.pk}
    stored = _stored_leads(leader.pk, rivals, children, earlier_periods, today)
    for earlier in earlier_periods:
        led = stored.get(earlier)
        if led is None:
            totals = children_totals(parent, earlier, today, children=children)
            ranks = _ranks_of({pk: t for pk, t in totals.items() if peers is None or pk in peers})
            led = ranks.get(leader.pk) == 1 and list(ranks.values()).count(1) == 1
        if not led:
            break
        streak += 1
    return {"unit": leader, "periods": streak}


def _stored_leads(
    leader: int, rivals: set[int], children: set[int], periods: list[Period], today: dt.date
) -> dict[Period, bool]:
    """Whether ``leader`` was alone in first place among itself and ``rivals`` in each closed period
    whose snapshots cover every child, from one grouped query (a row per period, not per child); the
    other periods are left to :func:`children_totals`."""
    wanted = [p for p in periods if _snapshotted(p, today)]
    if not wanted or not children:
        return {}
    by_key = {(p.kind.value, p.start, Methodology.for_date(p.end).key): p for p in wanted}
    rows = (
        ScoreSnapshot.objects.filter(
            unit_id__in=children,
            period_kind__in={p.kind.value for p in wanted},
            period_start__in=[p.start for p in wanted],
        )
        .values_list("period_kind", "period_start", "methodology_version")
        .annotate(
            units=Count("pk"),
            mine=Max("total", filter=Q(unit_id=leader)),
            best_rival=Max("total", filter=Q(unit_id__in=rivals or [-1])),
        )
        .order_by()
    )
    found: dict[Period, bool] = {}
    for kind, start, version, units, mine, best_rival in rows:
        period = by_key.get((kind, start, version))
        if period is not None and units == len(children):
            found[period] = mine is not None and (best_rival is None or mine > best_rival)
    return found


def trend(unit: Unit, kind: PeriodKind, count: int, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The last ``count`` periods of ``kind``; closed ones come from snapshots where the nightly task
    stored them (an earlier revision's are ignored), the running one from the drain's stored score,
    the others are scored now."""
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
    running = periods[-1]
    current = None
    if _running(running, today):  # the drain's stored score of the running period, while it holds
        current = current_scores(running, today).filter(unit=unit).values_list("total", "groups").first()
    points = []
    for period in periods:
        snapshot = stored.get(period.start)
        if snapshot is not None:
            total, groups = snapshot.total, snapshot.groups
        elif period == running and current is not None:
            total, groups = current
        else:
            result = scorer(unit, period, today).unit_score(unit)
            total, groups = result.score.total, {g.code: str(g.points) for g in result.score.groups}
        points.append({"period": period, "total": total, "groups": groups, "closed": period.is_closed(today)})
    return points


def what_if(unit: Unit, period: Period, targets: dict[str, Decimal], *, today: dt.date | None = None):
    today = today or business_today()
    stored = _stored_score(unit, period, today)
    if stored is not None:
        score, methodology = stored[0], Methodology.for_date(period.end)
    else:
        subtree = scorer(unit, period, today)
        score, methodology = subtree.unit_score(unit).score, subtree.methodology
    projection = what_if_for_score(score, methodology, targets) if targets else None
    return {
        "unit": unit,
        "period": period,
        "score": score,
        "projection": projection,
        "room": room_for_improvement(score),
        "room_by_group": room_for_improvement(score, by="group"),
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


def _received_before(period: Period) -> dt.datetime:
    """The instant the period's last local day ends: ``received_on <= end`` as a bound on ``received_at``.

    ``received_on`` is always the local date of ``received_at`` (both are set together at receipt and
    corrected together), so the two conditions keep the same rows; only the second can bound a scan of
    the ``received_at`` indexes, which are in the list's own order.
    """
    return dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(0), tzinfo=BUSINESS_TZ)


# A dossier of a period's set (IN_SET: received by its end, not ended before its start) ended in it, ended
# after it, or is still open. Listed as three arms, the end date is a range in each rather than an OR the
# planner can only filter with, and an arm a measure cannot have is left out: an arm without rows
# walked the whole table in the list's order looking for its first one (docs/benchmarks.md).
_ENDED_IN, _ENDED_AFTER, _OPEN = (
    "d.ended_on >= p.start_day AND d.ended_on <= p.end_day",
    "d.ended_on > p.end_day",
    "d.ended_on IS NULL",
)
_ARMS: dict[str, tuple[str, ...]] = {
    **{name: (_ENDED_IN,) for name in ("ended", "ended_early", "ended_on_time", "ended_late")},
    **{name: (_ENDED_AFTER, _OPEN) for name in ("open_in_time", "open_overdue")},
}
_ALL_ARMS = (_ENDED_IN, _ENDED_AFTER, _OPEN)


def _period_written_in(sql: str, period: Period, today: dt.date) -> str:
    """The counting SQL with the period's days (``p.start_day``, ``p.end_day``, ``p.judged_day``) written
    in as date literals. The planner then sees which end and due dates are wanted and picks an index
    range and a row estimate for each arm; joined from a ``periods`` CTE it could only guess, and walked
    the whole table for an arm without rows. The literals are ISO dates made from date objects."""
    days = {"start_day": period.start, "end_day": period.end, "judged_day": period.judged_on(today)}
    return re.sub(
        r"\bp\.(start_day|end_day|judged_day)\b", lambda m: f"'{days[m.group(1)].isoformat()}'", sql
    )


def dossier_ids_sql(
    unit: Unit,
    period: Period,
    measure: str,
    *,
    today: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
    position: tuple[dt.datetime, int] | None = None,
    backwards: bool = False,
):
    """The ids of the dossiers behind a count: the counting SQL's own conditions, so they always agree.

    With ``limit``, only one page of them, newest first (the list's order), sorted and cut inside this
    query and inside each arm: PostgreSQL then walks the ``received_at`` index down from the period's end
    and stops after ``offset + limit`` matches, so a page costs about a page of rows rather than every
    match (the late dossiers of a month at 1M: 118,557 rows and 3 s before, docs/benchmarks.md "Web
    console pages").

    ``position`` (a ``(received_at, id)`` pair) keeps only the rows after it in the list's order, as a
    keyset cursor reads the next page; ``backwards`` reads the list the other way (oldest first, the
    rows before the position), as a cursor's previous page does. Each arm then starts its walk at the
    position rather than at the period's end, so a deep page costs a page too.
    """
    today = today or business_today()
    parts = measure_parts(measure)
    condition = " OR ".join(CONDITIONS[part] for part in parts)
    # The subtree's unit ids written in (integers read from the database): no limit on parameters however
    # large the subtree, and a list the planner estimates from the dossiers' own statistics, where a LIKE
    # on the units' paths or an array parameter led it to a per-unit or a parallel plan reading 10–30×
    # more blocks (measured at 1M dossiers).
    ids = sorted(int(pk) for pk in Unit.objects.subtree_of(unit).values_list("pk", flat=True)) or [-1]
    in_subtree = f"d.handling_unit_id IN ({', '.join(map(str, ids))})"
    direction = "ASC" if backwards else "DESC"
    page = f" ORDER BY d.received_at {direction}, d.id {direction} LIMIT %s" if limit is not None else ""
    after, after_params = "", []
    if position is not None:
        # (received_at, id) beyond the position, as a bound the index range starts from plus the tie
        # on the id; the instant in the database's own form (SQLite compares UTC text).
        at, pk = connection.ops.adapt_datetimefield_value(position[0]), int(position[1])
        beyond = ">" if backwards else "<"
        after = f" AND d.received_at {beyond}= %s AND (d.received_at {beyond} %s OR d.id {beyond} %s)"
        after_params = [at, at, pk]
    wanted = [arm for arm in _ALL_ARMS if any(arm in _ARMS.get(part, _ALL_ARMS) for part in parts)]
    arms, params = [], []
    for arm in wanted:
        where = _period_written_in(f"{IN_SET} AND {arm} AND ({condition})", period, today)
        arms.append(
            "SELECT * FROM (SELECT d.id AS id, d.received_at AS received_at FROM dossiers_dossier d"
            " JOIN catalogue_procedureversion v ON v.id = d.procedure_version_id"
            f" WHERE {in_subtree} AND d.received_at < %s{after} AND {where}{page}) arm"
        )
        params += [_received_before(period), *after_params]
        if limit is not None:
            params.append(offset + limit)
    sql = f"SELECT ids.id FROM ({' UNION ALL '.join(arms)}) ids"
    if limit is not None:
        sql += f" ORDER BY received_at {direction}, id {direction} LIMIT %s OFFSET %s"
        params += [limit, offset]
    return sql, params


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


def dossiers_behind(
    unit: Unit,
    period: Period,
    measure: str,
    *,
    today: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
    position: tuple[dt.datetime, int] | None = None,
    backwards: bool = False,
) -> QuerySet:
    """The dossiers behind a count, newest first: :func:`dossier_ids_sql`'s rows as a queryset.

    The API's drill-down and the web console's dossier list both read this, so they list the same rows.
    A caller showing one page passes ``limit`` (and ``offset``, or a cursor's ``position`` and
    direction) rather than slicing the queryset: the page is then cut inside the ids' query, before the
    joins (see :func:`dossier_ids_sql`). The queryset's own order stays newest first; a caller reading
    backwards orders it the other way itself, as a cursor paginator does.
    """
    from django.db.models.expressions import RawSQL

    from apps.dossiers.models import Dossier
    from apps.dossiers.selectors import with_related

    sql, params = dossier_ids_sql(
        unit, period, measure, today=today, limit=limit, offset=offset, position=position, backwards=backwards
    )
    return with_related(Dossier.objects.filter(id__in=RawSQL(sql, params))).order_by("-received_at", "-id")
