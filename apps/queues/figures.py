"""Queue figures and staff workload of a unit's subtree for a period: what the page and the API show.

**Queue figures** are computed live, per request, with one grouped SQL statement over the ticket rows of
the subtree and period (index ``ticket_unit_day_idx``): it returns per-minute histograms of waiting and
handling time and the count of tickets per state, per (unit, counter, staff user). Medians and 90th
percentiles of any union of those groups (a counter, a staff member, the centre, the province) are then
read off the merged histogram, so they are exact to the minute: no average of medians, no sampling.
Tickets are not counted in the statistics leaves (apps/statistics): the live query is cheap at queue
volumes (a centre issues a few hundred tickets a day), and the histogram merge is what a stored leaf per
(unit, counter, staff, period) would also do (:func:`merge`).

Percentiles follow the nearest-rank rule: the p-th percentile is the smallest minute m such that at
least p % of the values are ≤ m (the median of 1, 2, 3, 4 is 2). Minutes are whole minutes rounded up
(a wait of 15 min 1 s is 16), so the share within a 15-minute target is exactly the share with m ≤ 15.

**Workload** compares dossiers per staff member with the province's target for the unit's area type:
received = dossiers received at the unit (status received or beyond), finished = dossiers it handles
whose processing finished, both in the period; staff = the unit's active staff users (service accounts
aside). Counts are annualised (× 365 / days of the period elapsed by today) and compared with the target
per year (apps/queues/targets.py). Each staff user's own counts (dossiers they recorded as received or
finished, tickets they served) are listed too.

Every count is an index-only scan (apps/dossiers/models.py names each index): received per receiving
unit on ``dossier_recv_unit_idx`` (which carries the status), finished per handling unit on the partial
``dossier_finished_idx``, a user's receipts and finishes on ``event_actor_received_idx`` and
``event_actor_finished_idx``. They are not read from the statistics roll-up (``UnitCounts``): its
``received`` counts at the handling unit (dossiers belong to their handling unit in statistics), its
``ended`` counts stopped and withdrawn dossiers too, and it holds named periods only,
where the workload takes any range; the numbers would differ.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Count, Q, QuerySet, Value

from apps.accounts.models import Role
from apps.dossiers.models import Dossier, DossierEvent, EventKind
from apps.dossiers.status import Status
from apps.dossiers.timeliness import BUSINESS_TZ
from apps.organisation.models import Unit
from apps.queues.models import Counter, Ticket
from apps.queues.status import OPEN, TicketStatus
from apps.queues.targets import Targets, effective_area_types, targets_by_root, targets_for
from apps.statistics.periods import Period

BREAKDOWNS = ("unit", "counter", "staff")
DAYS_PER_YEAR = 365
WORKLOAD_ROLES = (Role.CLERK, Role.OFFICER)

# ---- pure: histograms --------------------------------------------------------------------------


def merge(histograms: Iterable[Mapping[int, int]]) -> Tally:
    """The histogram of the union of the groups (minute -> count)."""
    total: Tally = Tally()
    for histogram in histograms:
        total.update(histogram)
    return total


def percentile(histogram: Mapping[int, int], numerator: int, denominator: int = 100) -> int | None:
    """Nearest-rank percentile (numerator/denominator, e.g. 90/100) of a minute histogram; None if empty."""
    n = sum(histogram.values())
    if n == 0:
        return None
    rank = max(1, -(-numerator * n // denominator))  # ceil(p · n), at least the first value
    seen = 0
    for minute in sorted(histogram):
        seen += histogram[minute]
        if seen >= rank:
            return minute
    raise AssertionError("unreachable: the ranks add up to n")


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def describe(histogram: Mapping[int, int], target_minutes: int) -> dict[str, Any]:
    """Count, median, 90th percentile and the share within the target, from one minute histogram."""
    count = sum(histogram.values())
    within = sum(n for minute, n in histogram.items() if minute <= target_minutes)
    return {
        "count": count,
        "median_minutes": percentile(histogram, 50),
        "p90_minutes": percentile(histogram, 90),
        "target_minutes": target_minutes,
        "within_target": within,
        "within_target_rate": rate(within, count),
    }


class Group:
    """The histograms and state counts of a set of tickets."""

    def __init__(self) -> None:
        self.wait: Tally = Tally()
        self.handling: Tally = Tally()
        self.states: Tally = Tally()

    def add(self, other: Group) -> None:
        self.wait.update(other.wait)
        self.handling.update(other.handling)
        self.states.update(other.states)

    def figures(self, targets: Targets) -> dict[str, Any]:
        return {
            "tickets": sum(self.states.values()),
            "served": self.states[TicketStatus.FINISHED],
            "no_shows": self.states[TicketStatus.NO_SHOW],
            "open": sum(self.states[s] for s in OPEN),
            "no_show_rate": rate(self.states[TicketStatus.NO_SHOW], sum(self.states.values())),
            "waiting": describe(self.wait, targets.max_wait_minutes),
            "handling": describe(self.handling, targets.max_handling_minutes),
        }


# ---- the one grouped query ---------------------------------------------------------------------


def _subtree_ids_sql(unit: Unit) -> tuple[str, tuple]:
    return Unit.objects.subtree_of(unit).values("id").query.sql_with_params()


def leaf_groups(unit: Unit, period: Period) -> dict[tuple[int, int | None, int | None], Group]:
    """(unit id, counter id, staff id) -> Group for the tickets issued in the subtree during the period."""
    subtree, subtree_params = _subtree_ids_sql(unit)
    where = f"t.unit_id IN ({subtree}) AND t.issued_on >= %s AND t.issued_on <= %s"
    params = [*subtree_params, period.start, period.end]
    table = Ticket._meta.db_table
    keys = "t.unit_id, t.counter_id, t.staff_id"
    sql = f"""SELECT {keys}, CAST('w' AS VARCHAR(16)) AS measure, t.wait_minutes AS minutes, COUNT(*) AS n
FROM {table} t WHERE {where} AND t.wait_minutes IS NOT NULL GROUP BY {keys}, t.wait_minutes
UNION ALL
SELECT {keys}, CAST('h' AS VARCHAR(16)), t.handling_minutes, COUNT(*)
FROM {table} t WHERE {where} AND t.handling_minutes IS NOT NULL GROUP BY {keys}, t.handling_minutes
UNION ALL
SELECT {keys}, t.status, NULL, COUNT(*) FROM {table} t WHERE {where} GROUP BY {keys}, t.status"""
    groups: dict[tuple[int, int | None, int | None], Group] = defaultdict(Group)
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 3)
        for unit_id, counter_id, staff_id, measure, minutes, n in cursor.fetchall():
            group = groups[(unit_id, counter_id, staff_id)]
            if measure == "w":
                group.wait[minutes] += n
            elif measure == "h":
                group.handling[minutes] += n
            else:
                group.states[measure] += n
    return dict(groups)


def queue_figures(unit: Unit, period: Period, *, by: str = "counter") -> dict[str, Any]:
    """The unit's queue figures for the period, in total and one row per unit, counter or staff user."""
    if by not in BREAKDOWNS:
        raise ValueError(f"by is one of {', '.join(BREAKDOWNS)}")
    targets = targets_for(unit)
    leaves = leaf_groups(unit, period)
    total = Group()
    rows: dict[Any, Group] = defaultdict(Group)
    position = {"unit": 0, "counter": 1, "staff": 2}[by]
    for key, group in leaves.items():
        total.add(group)
        rows[key[position]].add(group)
    return {
        "unit": unit,
        "period": period,
        "targets": {
            "max_wait_minutes": targets.max_wait_minutes,
            "max_handling_minutes": targets.max_handling_minutes,
        },
        "by": by,
        "total": total.figures(targets),
        "rows": _rows(by, rows, targets),
    }


def _rows(by: str, rows: dict[Any, Group], targets: Targets) -> list[dict[str, Any]]:
    ids = [pk for pk in rows if pk is not None]
    labels: dict[Any, dict[str, Any]] = {}
    if by == "unit":
        for u in Unit.objects.filter(pk__in=ids):
            labels[u.pk] = {"unit": u.code, "name": u.name}
    elif by == "counter":
        for c in Counter.objects.select_related("unit").filter(pk__in=ids):
            labels[c.pk] = {"unit": c.unit.code, "counter": c.number, "name": c.name}
    else:
        for user in get_user_model().objects.select_related("unit").filter(pk__in=ids):
            labels[user.pk] = {"unit": user.unit.code if user.unit else None, "staff": user.username,
                               "name": user.get_full_name() or user.username}  # fmt: skip
    empty = {"unit": None, "counter": None, "staff": None, "name": ""}
    result = [{**empty, **labels.get(pk, {}), **group.figures(targets)} for pk, group in rows.items()]
    # Named rows in a stable order; tickets not yet called (no counter or staff) last.
    return sorted(result, key=lambda r: (r[by] is None, str(r["unit"] or ""), str(r[by] or ""), r["name"]))


# ---- workload ----------------------------------------------------------------------------------


def observed_days(period: Period, today: dt.date) -> int:
    """Days of the period that have begun by ``today`` (the whole period once it is over)."""
    return max(1, (min(period.end, today) - period.start).days + 1)


def annualised(count: int, days: int) -> Decimal:
    return (Decimal(count) * DAYS_PER_YEAR / Decimal(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _per_staff(count: int, staff: int, days: int) -> Decimal | None:
    return annualised(count, days) / staff if staff else None


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _local_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.start, dt.time(0), tzinfo=BUSINESS_TZ)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(0), tzinfo=BUSINESS_TZ)
    return start, end


def workload(unit: Unit, period: Period, today: dt.date) -> dict[str, Any]:
    """Dossiers received and finished per staff member of each unit of the subtree, against the target."""
    days = observed_days(period, today)
    subtree = Unit.objects.subtree_of(unit)
    # Received in the period, bounded on ``received_at`` (its local days' first and last instant) rather
    # than ``received_on``: the same rows (received_on is received_at's local date), but the receiving
    # unit's index is (receiving_unit, received_at, id), so this range-scans it; on received_on it read
    # every row of each unit (2.1 s against 0.2 s at 1M dossiers, docs/benchmarks.md).
    first, after = _local_bounds(period)
    counted = Q(received_at__gte=first, received_at__lt=after) & ~Q(
        status__in=(Status.REGISTERED, Status.REFUSED_AT_INTAKE)
    )
    # COUNT(*), not COUNT(id): the partial finished index holds no id, and reading only indexed columns
    # lets PostgreSQL count from the indexes (see the module docstring).
    received = dict(
        Dossier.objects.filter(counted, receiving_unit__in=subtree)
        .values_list("receiving_unit_id").annotate(n=Count("*")).order_by()
    )  # fmt: skip
    finished = dict(
        Dossier.objects.filter(
            handling_unit__in=subtree, finished_at__isnull=False, ended_on__gte=period.start,
            ended_on__lte=period.end,
        ).values_list("handling_unit_id").annotate(n=Count("*")).order_by()
    )  # fmt: skip
    users = list(
        get_user_model()
        .objects.filter(
            unit__in=subtree, is_active=True, machine_client__isnull=True, role__in=WORKLOAD_ROLES
        )
        .select_related("unit")
        .order_by("unit__path", "username")
    )
    staff_count = Tally(u.unit_id for u in users)
    unit_ids = set(received) | set(finished) | set(staff_count)
    units = list(Unit.objects.filter(pk__in=unit_ids).order_by("path"))
    areas = effective_area_types([*units, unit])
    targets = targets_by_root([*units, unit])
    target_of = {u.pk: targets[u.root_code].per_staff_per_year(areas[u.pk]) for u in units}

    rows = []
    for u in units:
        staff, rec, fin = staff_count[u.pk], received.get(u.pk, 0), finished.get(u.pk, 0)
        rows.append(_workload_row(u, areas[u.pk], staff, rec, fin, days, target_of[u.pk]))
    total_staff = sum(staff_count.values())
    # The subtree's target per staff member: the staff-weighted mean of its units' targets.
    weighted = [(staff_count[pk], t) for pk, t in target_of.items() if staff_count[pk] and t is not None]
    weight = sum(n for n, _t in weighted)
    total_target = (
        (Decimal(sum(n * t for n, t in weighted)) / weight).quantize(Decimal("0.1")) if weight else None
    )
    total = _workload_row(unit, areas[unit.pk], total_staff, sum(received.values()), sum(finished.values()),
                          days, total_target)  # fmt: skip
    root_targets = targets[unit.root_code]
    return {
        "unit": unit,
        "period": period,
        "observed_days": days,
        "targets": {
            "workload_period": root_targets.workload_period,
            "dossiers_per_staff": dict(root_targets.per_staff),
        },
        "total": total,
        "units": rows,
        "staff": _staff_rows(users, period, days, target_of, areas),
    }


def _workload_row(
    unit: Unit, area: str, staff: int, received: int, finished: int, days: int, target: Decimal | int | None
) -> dict[str, Any]:
    received_per_staff = _per_staff(received, staff, days)
    finished_per_staff = _per_staff(finished, staff, days)
    return {
        "unit": unit.code,
        "name": unit.name,
        "area_type": area or None,
        "staff": staff,
        "received": received,
        "finished": finished,
        "received_per_staff_per_year": _q(received_per_staff),
        "finished_per_staff_per_year": _q(finished_per_staff),
        "target_per_staff_per_year": target,
        "received_vs_target": rate_of(received_per_staff, target),
        "finished_vs_target": rate_of(finished_per_staff, target),
    }


def rate_of(value: Decimal | None, target: Decimal | int | None) -> Decimal | None:
    if value is None or not target:
        return None
    return (value / Decimal(target)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _staff_rows(users: list, period: Period, days: int, target_of: dict, areas: dict) -> list[dict[str, Any]]:
    """Each staff user's own work in the period: dossiers they recorded received or finished, tickets served."""
    if not users:
        return []
    start, end = _local_bounds(period)
    ids = [u.pk for u in users]
    # Two counts in one statement, each with its partial index's own condition (event_actor_received_idx
    # and event_actor_finished_idx), so each is an index-only range per user.
    events = DossierEvent.objects.filter(
        actor_user_id__in=ids, actor_user__isnull=False, occurred_at__gte=start, occurred_at__lt=end
    )
    counts: dict[str, dict[int, int]] = {"received": {}, "finished": {}}
    received_events = _per_user(events.filter(kind=EventKind.RECEIVED), "received")
    for what, user_id, n in received_events.union(
        _per_user(events.filter(to_status=Status.FINISHED), "finished"), all=True
    ):
        counts[what][user_id] = n
    received, finished = counts["received"], counts["finished"]
    served = dict(
        Ticket.objects.filter(staff_id__in=ids, status=TicketStatus.FINISHED, issued_on__gte=period.start,
                              issued_on__lte=period.end)
        .values_list("staff_id").annotate(n=Count("id")).order_by()
    )  # fmt: skip
    rows = []
    for user in users:
        rec, fin = received.get(user.pk, 0), finished.get(user.pk, 0)
        target = target_of.get(user.unit_id)
        rows.append({
            "staff": user.username,
            "name": user.get_full_name() or user.username,
            "unit": user.unit.code,
            "area_type": areas.get(user.unit_id) or None,
            "received": rec,
            "finished": fin,
            "tickets_served": served.get(user.pk, 0),
            "received_per_year": annualised(rec, days),
            "finished_per_year": annualised(fin, days),
            "target_per_year": target,
            "received_vs_target": rate_of(annualised(rec, days), target),
        })  # fmt: skip
    return rows


def _per_user(events: QuerySet, what: str) -> QuerySet:
    """(``what``, user id, events) per acting user; COUNT(*), so only the indexed columns are read."""
    return (
        events.annotate(what=Value(what, output_field=CharField()))
        .values_list("what", "actor_user_id")
        .annotate(n=Count("*"))
        .order_by()
    )
