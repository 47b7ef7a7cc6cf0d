"""Counts about procedures rather than dossiers: what each unit offers online, and the transparency facts.

Computed once per (province or ministry, period, methodology) from the catalogue versions in force at the
period's end, the online offerings in force that day, and the issuing authority's publication decisions;
a request then only looks things up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from apps.catalogue.models import (
    CONTENT_PARTS,
    Audience,
    Level,
    OnlineOffering,
    ProcedureVersion,
    PublishedProcedure,
)
from apps.organisation.models import Unit, UnitKind
from apps.scoring.methodology import Methodology
from apps.statistics.periods import Period
from apps.workcalendar.deadlines import OutsideCalendarError, WorkingCalendar

# Which methodology level variant a unit kind is scored with.
SCORING_LEVEL = {
    UnitKind.PROVINCE: "province",
    UnitKind.DEPARTMENT: "department",
    UnitKind.CENTRE: "department",
    UnitKind.COMMUNE: "commune",
    UnitKind.MINISTRY: "ministry",
}
# Which catalogue level a unit kind handles (its procedures "under authority").
HANDLED_LEVEL = {
    UnitKind.DEPARTMENT: Level.PROVINCE,
    UnitKind.CENTRE: Level.PROVINCE,
    UnitKind.COMMUNE: Level.COMMUNE,
    UnitKind.MINISTRY: Level.MINISTRY,
}


@dataclass(frozen=True)
class ProcedureFacts:
    level: str
    fee: bool
    citizen: bool


@dataclass
class CatalogueFacts:
    procedures: dict[int, ProcedureFacts] = field(default_factory=dict)
    by_level: dict[str, list[int]] = field(default_factory=dict)
    offerings: dict[int, frozenset[int]] = field(default_factory=dict)  # unit id -> procedures offered online
    transparency: dict[str, int] = field(default_factory=dict)  # the authority's six counts

    # kind -> (procedures handled at its level, the citizen-facing ones among them), made on first use:
    # every commune of a province shares them, and building them per unit was most of a subtree read.
    _handled: dict[str, tuple[frozenset[int], frozenset[int]]] = field(default_factory=dict, repr=False)

    def handled_by(self, kind: str) -> frozenset[int]:
        return self.handled_sets(kind)[0]

    def handled_sets(self, kind: str) -> tuple[frozenset[int], frozenset[int]]:
        """The procedures a unit of ``kind`` handles, and the citizen-facing ones among them."""
        found = self._handled.get(kind)
        if found is None:
            level = HANDLED_LEVEL.get(UnitKind(kind))
            handled = frozenset(self.by_level.get(level, [])) if level else frozenset()
            found = self._handled[kind] = (
                handled,
                frozenset(p for p in handled if self.procedures[p].citizen),
            )
        return found

    def offered_by(self, unit_id: int) -> frozenset[int]:
        return self.offerings.get(unit_id, frozenset())


@dataclass(frozen=True)
class Publication:
    """One procedure as one decision published it."""

    procedure_id: int
    decided_on: dt.date
    effective_on: dt.date
    disclosed_on: dt.date | None
    complete: bool


def transparency_counts(
    publications: Iterable[Publication],
    *,
    start: dt.date,
    end: dt.date,
    in_force: set[int],
    lead: int,
    delay: int,
    working_days: Callable[[dt.date, dt.date], int],
) -> dict[str, int]:
    """The six transparency counts of one authority for the period ``start``..``end``.

    A procedure counts once per period: when several decisions published it, the latest one in the period
    is judged (the flows), and the latest one up to the period's end says whether its content is complete
    (the stock, among procedures still in force). Without decisions in the period both flows are 0 of 0,
    which the methodology scores as "no data", 0 points.
    """
    latest_in_period: dict[int, Publication] = {}
    latest_so_far: dict[int, Publication] = {}
    for pub in sorted(publications, key=lambda p: p.decided_on):
        if pub.decided_on > end:
            continue
        latest_so_far[pub.procedure_id] = pub
        if pub.decided_on >= start:
            latest_in_period[pub.procedure_id] = pub
    decided = list(latest_in_period.values())
    published = [pub for pid, pub in latest_so_far.items() if pid in in_force]
    return {
        "procedures_with_decision": len(decided),
        "procedures_published_on_time": sum(
            1 for pub in decided if working_days(pub.decided_on, pub.effective_on) >= lead
        ),
        "procedures_to_disclose": len(decided),
        "procedures_disclosed_on_time": sum(
            1
            for pub in decided
            if pub.disclosed_on is not None and working_days(pub.decided_on, pub.disclosed_on) <= delay
        ),
        "procedures_published": len(published),
        "procedures_content_full": sum(1 for pub in published if pub.complete),
    }


def _weekdays(first: dt.date, last: dt.date) -> int:
    low, high = sorted((first, last))
    weeks, rest = divmod((high - low).days, 7)
    days = weeks * 5 + sum(1 for n in range(rest) if (low + dt.timedelta(days=n)).weekday() < 5)
    return days if last >= first else -days


def _working_days(calendar: WorkingCalendar, first: dt.date, last: dt.date) -> int:
    """Whole working days from ``first`` to ``last`` (negative when ``last`` is earlier).

    A legal basis may take effect years ahead, beyond the calendar's range: such a span counts Monday to
    Friday instead of failing the whole score (only the 5-, 10- and 20-day thresholds depend on it).
    """
    start = dt.datetime.combine(first, dt.time(0), tzinfo=calendar.tz)
    end = dt.datetime.combine(last, dt.time(0), tzinfo=calendar.tz)
    try:
        if end >= start:
            return calendar.working_minutes_between(start, end) // calendar.minutes_per_day
        return -(calendar.working_minutes_between(end, start) // calendar.minutes_per_day)
    except OutsideCalendarError:
        return _weekdays(first, last)


def catalogue_facts(
    period: Period, methodology: Methodology, calendar: WorkingCalendar, authority: Unit
) -> CatalogueFacts:
    """The facts for the units of ``authority`` (a top-level unit: province or ministry)."""
    facts = CatalogueFacts()
    in_force = ProcedureVersion.objects.valid_on(period.end).only(
        "procedure_id", "level", "fee", "audience", "valid_from"
    )
    versions: dict[int, ProcedureVersion] = {}
    for version in in_force:
        versions.setdefault(version.procedure_id, version)  # newest first: the one in force
    for procedure_id, v in versions.items():
        facts.procedures[procedure_id] = ProcedureFacts(
            level=v.level, fee=v.fee > 0, citizen=v.audience in (Audience.CITIZEN, Audience.BOTH)
        )
        facts.by_level.setdefault(v.level, []).append(procedure_id)

    offered: dict[int, set[int]] = {}
    rows = (
        OnlineOffering.objects.in_force_on(period.end)
        .filter(unit__path__startswith=authority.path, procedure_id__in=list(versions))
        .values_list("unit_id", "procedure_id")
    )
    for unit_id, procedure_id in rows:
        offered.setdefault(unit_id, set()).add(procedure_id)
    facts.offerings = {unit_id: frozenset(ids) for unit_id, ids in offered.items()}

    level = "ministry" if authority.kind == UnitKind.MINISTRY else "province"
    items = PublishedProcedure.objects.filter(
        decision__authority=authority, decision__decided_on__lte=period.end
    ).values_list(
        "procedure_id", "decision__decided_on", "decision__effective_on", "disclosed_on", "published_parts"
    )
    parts = set(CONTENT_PARTS)
    facts.transparency = transparency_counts(
        (
            Publication(pid, decided, effective, disclosed, parts <= set(published or []))
            for pid, decided, effective, disclosed, published in items
        ),
        start=period.start,
        end=period.end,
        in_force=set(versions),
        lead=int(methodology.parameters_for("PUBLISH_ON_TIME", level).get("min_lead_working_days", 5)),
        delay=int(
            methodology.parameters_for("PUBLIC_UPDATE_ON_TIME", level).get("max_delay_working_days", 5)
        ),
        working_days=lambda first, last: _working_days(calendar, first, last),
    )
    return facts
