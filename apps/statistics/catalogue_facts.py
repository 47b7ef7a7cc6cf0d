"""Counts about procedures rather than dossiers: what a unit offers, and the transparency facts.

Computed once per (period, methodology) from the catalogue versions in force at the period's end; a
request then only looks things up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from apps.catalogue.models import Audience, Level, OnlineLevel, ProcedureVersion
from apps.organisation.models import UnitKind
from apps.scoring.methodology import Methodology
from apps.statistics.periods import Period
from apps.workcalendar.deadlines import WorkingCalendar

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
    online: bool
    fee: bool
    citizen: bool


@dataclass
class CatalogueFacts:
    procedures: dict[int, ProcedureFacts] = field(default_factory=dict)
    by_level: dict[str, list[int]] = field(default_factory=dict)
    transparency: dict[str, dict[str, int]] = field(default_factory=dict)  # scoring level -> counts

    def handled_by(self, kind: str) -> list[int]:
        level = HANDLED_LEVEL.get(UnitKind(kind))
        return self.by_level.get(level, []) if level else []


def _working_days(calendar: WorkingCalendar, first: dt.date, last: dt.date) -> int:
    """Whole working days from ``first`` to ``last`` (negative when ``last`` is earlier)."""
    start = dt.datetime.combine(first, dt.time(0), tzinfo=calendar.tz)
    end = dt.datetime.combine(last, dt.time(0), tzinfo=calendar.tz)
    if end >= start:
        return calendar.working_minutes_between(start, end) // calendar.minutes_per_day
    return -(calendar.working_minutes_between(end, start) // calendar.minutes_per_day)


def catalogue_facts(period: Period, methodology: Methodology, calendar: WorkingCalendar) -> CatalogueFacts:
    facts = CatalogueFacts()
    in_force = ProcedureVersion.objects.valid_on(period.end).only(
        "procedure_id", "level", "online_level", "fee", "audience", "decision_date", "effective_date",
        "disclosure_date", "published_parts", "valid_from",
    )  # fmt: skip
    versions: dict[int, ProcedureVersion] = {}
    for version in in_force:
        versions.setdefault(version.procedure_id, version)  # newest first: the one in force
    for procedure_id, v in versions.items():
        facts.procedures[procedure_id] = ProcedureFacts(
            level=v.level,
            online=v.online_level != OnlineLevel.NONE,
            fee=v.fee > 0,
            citizen=v.audience in (Audience.CITIZEN, Audience.BOTH),
        )
        facts.by_level.setdefault(v.level, []).append(procedure_id)
    for level in ("province", "department", "commune", "ministry"):
        lead = int(methodology.parameters_for("PUBLISH_ON_TIME", level).get("min_lead_working_days", 5))
        delay = int(
            methodology.parameters_for("PUBLIC_UPDATE_ON_TIME", level).get("max_delay_working_days", 5)
        )
        catalogue_level = Level.MINISTRY if level == "ministry" else None
        decided = [
            v
            for v in versions.values()
            if v.decision_date and period.start <= v.decision_date <= period.end
            and (catalogue_level is None) == (v.level != Level.MINISTRY)
        ]  # fmt: skip
        published = [
            v
            for v in versions.values()
            if v.decision_date and (catalogue_level is None) == (v.level != Level.MINISTRY)
        ]
        facts.transparency[level] = {
            "procedures_with_decision": len(decided),
            "procedures_published_on_time": sum(
                1
                for v in decided
                if v.effective_date and _working_days(calendar, v.decision_date, v.effective_date) >= lead
            ),
            "procedures_to_disclose": len(decided),
            "procedures_disclosed_on_time": sum(
                1
                for v in decided
                if v.disclosure_date and _working_days(calendar, v.decision_date, v.disclosure_date) <= delay
            ),
            "procedures_published": len(published),
            "procedures_content_full": sum(1 for v in published if v.content_complete),
        }
    return facts
