"""Demo registers: which units offer which procedures online, and each province's publication decisions.

Each province gets its own habits (how much it offers online, how punctual its decisions are, how fast
it discloses them, how complete its published content is), so the demo provinces differ on the
transparency and online-services groups the way real ones do. Written once, before any dossier, since
the demo only receives online dossiers for procedures the receiving unit offers online.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from apps.catalogue.models import (
    CONTENT_PARTS,
    Level,
    OnlineLevel,
    OnlineOffering,
    ProcedureVersion,
    PublicationDecision,
    PublishedProcedure,
)
from apps.organisation.models import Unit, UnitKind

HANDLED = {
    UnitKind.DEPARTMENT: Level.PROVINCE,
    UnitKind.CENTRE: Level.PROVINCE,
    UnitKind.COMMUNE: Level.COMMUNE,
}
FIRST_OFFERING_DAY = dt.date(2024, 1, 1)
FIRST_DECISION_DAY = dt.date(2025, 1, 6)


@dataclass
class RegisterSummary:
    offerings: int = 0
    decisions: int = 0
    published: int = 0
    existing: bool = False

    def line(self) -> str:
        if self.existing:
            return "Registers already recorded; none added."
        return (
            f"Registers: {self.offerings:,} online offerings, {self.decisions:,} publication decisions "
            f"listing {self.published:,} procedures."
        )


@dataclass(frozen=True)
class Habits:
    """How a province behaves, drawn once per province."""

    online_coverage: float  # share of the procedures a unit may offer online that it does offer
    full_share: float  # of those, share offered as full-process where the catalogue allows it
    punctual: float  # share of decisions taken at least a week before the legal basis takes effect
    quick_disclosure: float  # share of procedures disclosed within days of the decision
    complete_content: float  # share of procedures published with all seven parts
    decisions_per_year: int

    @classmethod
    def draw(cls, rng: random.Random) -> Habits:
        return cls(
            online_coverage=rng.uniform(0.55, 0.97),
            full_share=rng.uniform(0.3, 0.85),
            punctual=rng.uniform(0.45, 1.0),
            quick_disclosure=rng.uniform(0.4, 1.0),
            complete_content=rng.uniform(0.6, 1.0),
            decisions_per_year=rng.randint(3, 14),
        )


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _parts(rng: random.Random, habits: Habits) -> list[str]:
    if rng.random() < habits.complete_content:
        return list(CONTENT_PARTS)
    kept = set(rng.sample(CONTENT_PARTS, rng.randint(3, len(CONTENT_PARTS) - 1))) | {"name"}
    return [part for part in CONTENT_PARTS if part in kept]


def _offerings(
    rng: random.Random, habits: Habits, units: list[Unit], allowed: dict[str, list[tuple[int, str]]]
):
    for unit in units:
        for procedure_id, catalogue_level in allowed.get(HANDLED[UnitKind(unit.kind)], []):
            if rng.random() >= habits.online_coverage:
                continue
            full = catalogue_level == OnlineLevel.FULL and rng.random() < habits.full_share
            yield OnlineOffering(
                unit=unit,
                procedure_id=procedure_id,
                level=OnlineLevel.FULL if full else OnlineLevel.PARTIAL,
                valid_from=_day_between(rng, FIRST_OFFERING_DAY, dt.date(2025, 6, 30)),
            )


def _decisions(rng: random.Random, habits: Habits, authority: Unit, procedures: list[int], today: dt.date):
    """A first decision publishing the whole catalogue, then a few a year amending batches of it."""
    batches = [(dt.date(2024, 3, 4), procedures)]
    last_day = today - dt.timedelta(days=1)
    count = max(1, round(habits.decisions_per_year * (last_day - FIRST_DECISION_DAY).days / 365))
    for _ in range(count):
        day = _weekday_on_or_after(_day_between(rng, FIRST_DECISION_DAY, last_day))
        if day <= last_day:
            batches.append((day, rng.sample(procedures, min(len(procedures), rng.randint(1, 8)))))
    for number, (decided, batch) in enumerate(sorted(batches, key=lambda b: b[0]), start=1):
        if rng.random() < habits.punctual:
            effective = decided + dt.timedelta(days=rng.randint(10, 45))
        else:
            effective = decided + dt.timedelta(days=rng.randint(-10, 4))
        decision = PublicationDecision(
            authority=authority,
            number=f"{number}/QĐ-UBND-{authority.code}-{decided.year}",
            decided_on=decided,
            effective_on=effective,
        )
        items = []
        for procedure_id in batch:
            if rng.random() < habits.quick_disclosure:
                disclosed = decided + dt.timedelta(days=rng.randint(0, 4))
            else:
                disclosed = decided + dt.timedelta(days=rng.randint(9, 40)) if rng.random() < 0.85 else None
            if disclosed is not None and disclosed > last_day:
                disclosed = None
            items.append((procedure_id, disclosed, _parts(rng, habits)))
        yield decision, items


@transaction.atomic
def seed_registers(
    *, seed: int, today: dt.date, progress: Callable[[str], None] | None = None
) -> RegisterSummary:
    """Offerings for every unit that handles procedures and decisions for every province (idempotent)."""
    if OnlineOffering.objects.exists() or PublicationDecision.objects.exists():
        return RegisterSummary(existing=True)
    rng = random.Random(seed * 104_729 + 3)
    allowed: dict[str, list[tuple[int, str]]] = {}
    published: list[int] = []
    seen: set[int] = set()
    for version in ProcedureVersion.objects.valid_on(today).order_by("procedure__code", "-valid_from"):
        if version.procedure_id in seen:
            continue
        seen.add(version.procedure_id)
        if version.level != Level.MINISTRY:
            published.append(version.procedure_id)
        if version.online_level != OnlineLevel.NONE:
            allowed.setdefault(version.level, []).append((version.procedure_id, version.online_level))
    summary = RegisterSummary()
    provinces = Unit.objects.filter(parent__isnull=True, kind=UnitKind.PROVINCE).order_by("code")
    for province in provinces:
        habits = Habits.draw(rng)
        units = list(
            Unit.objects.subtree_of(province).filter(kind__in=list(HANDLED), is_active=True).order_by("code")
        )
        offerings = list(_offerings(rng, habits, units, allowed))
        OnlineOffering.objects.bulk_create(offerings, batch_size=2000)
        summary.offerings += len(offerings)
        for decision, items in _decisions(rng, habits, province, published, today):
            decision.save()
            PublishedProcedure.objects.bulk_create(
                PublishedProcedure(
                    decision=decision, procedure_id=pid, disclosed_on=disclosed, published_parts=parts
                )
                for pid, disclosed, parts in items
            )
            summary.decisions += 1
            summary.published += len(items)
        if progress and offerings:
            progress(f"  {province.code}: {len(offerings):,} online offerings")
    return summary
