"""From aggregates to index scores: assemble each unit's input counts, roll them up, score them.

Every count is per unit (its own dossiers, its own procedures); a parent's inputs are its own plus all
descendants' (the rule book's "sum counts, then divide"); the transparency facts are the province's and
are inherited, not summed. One leaf query per request serves a unit and all its children.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

from apps.organisation.models import Unit, UnitKind
from apps.scoring.engine import Score, score
from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Methodology
from apps.statistics.catalogue_facts import SCORING_LEVEL, CatalogueFacts, catalogue_facts
from apps.statistics.periods import Period
from apps.statistics.selectors import Totals, totals_by_unit
from apps.workcalendar.services import calendar_for_unit

PetitionCounter = Callable[[list[int], Period, dt.date], dict[int, dict[str, int]]]


def level_of(unit: Unit) -> str:
    return SCORING_LEVEL[UnitKind(unit.kind)]


def own_inputs(
    unit: Unit, totals: Totals, facts: CatalogueFacts, petitions: dict[str, int]
) -> IndicatorInputs:
    """The counts of one unit alone (no descendants)."""
    level = level_of(unit)
    c = totals.counts
    handled = facts.handled_by(unit.kind)
    meta = facts.procedures

    online = [p for p in handled if meta[p].online]
    fee = [p for p in handled if meta[p].fee]
    citizen = [p for p in handled if meta[p].citizen]
    return IndicatorInputs(
        level=level,
        **facts.transparency[level],
        dossiers_received=c["received"],
        dossiers_synced=c["received_synced"],
        dossiers_in_period=c["in_period"],
        dossiers_on_time=c["on_time"],
        procedures_under_authority=len(handled),
        procedures_online=len(online),
        online_services_used=totals.used.get("online_services_used", 0),
        dossiers_online_counted=c["received_online_counted"],
        fee_dossiers=c["fee_dossiers"],
        fee_dossiers_paid_online=c["fee_paid_online"],
        fee_procedures=len(fee),
        fee_procedures_paid_online=totals.used.get("fee_procedures_paid_online", 0),
        fee_procedures_synced=totals.used.get("fee_procedures_synced", 0),
        dossiers_e_result=c["e_result"],
        dossiers_digitized=c["digitized"],
        communes=1 if unit.kind == UnitKind.COMMUNE else 0,
        communes_e_copy=1 if unit.kind == UnitKind.COMMUNE and unit.offers_electronic_certified_copy else 0,
        dossiers_reused=c["received_reused"],
        dossiers_personal_storage=c["personal_storage"],
        dossiers_eid=c["eid"],
        citizen_procedures=len(citizen),
        citizen_procedures_eid=totals.used.get("citizen_procedures_eid", 0),
        petitions=petitions.get("petitions", 0),
        petitions_on_time=petitions.get("on_time", 0),
        petitions_first_received=petitions.get("first_received", 0),
        petitions_satisfactory=petitions.get("satisfactory", 0),
        dossiers_satisfactory=c["satisfactory"],
    )


def usage_rules(facts: CatalogueFacts) -> dict[str, tuple[str, dict[str, list[int]]]]:
    """Which procedures each procedure-level count looks at, by unit kind (the procedures it handles)."""
    meta = facts.procedures

    def handled(kind: str, keep) -> list[int]:
        return [p for p in facts.handled_by(kind) if keep(meta[p])]

    kinds = [kind.value for kind in UnitKind]
    return {
        "online_services_used": ("online_received", {k: handled(k, lambda m: m.online) for k in kinds}),
        "fee_procedures_paid_online": ("fee_paid_online", {k: handled(k, lambda m: m.fee) for k in kinds}),
        "fee_procedures_synced": ("fee_synced", {k: handled(k, lambda m: m.fee) for k in kinds}),
        "citizen_procedures_eid": ("eid", {k: handled(k, lambda m: m.citizen) for k in kinds}),
    }


@dataclass
class UnitScore:
    unit: Unit
    inputs: IndicatorInputs
    score: Score
    totals: Totals


class SubtreeScorer:
    """Scores a unit and each of its descendants for one period from one leaf query."""

    def __init__(self, root: Unit, period: Period, *, today: dt.date, petitions: PetitionCounter) -> None:
        self.root, self.period, self.today = root, period, today
        self.methodology = Methodology.for_date(period.end)
        self.units = list(Unit.objects.subtree_of(root).order_by("path"))
        self.facts = _facts(period, self.methodology, root)
        unit_ids = [u.pk for u in self.units]
        self.totals = totals_by_unit(self.units, period, today, usage_rules(self.facts))
        self.petitions = petitions(unit_ids, period, today)
        self._scores: dict[int, UnitScore] = {}
        self.own = {
            u.pk: own_inputs(u, self.totals.get(u.pk, Totals()), self.facts, self.petitions.get(u.pk, {}))
            for u in self.units
        }

    def subtree_units(self, unit: Unit) -> list[Unit]:
        return [u for u in self.units if u.path.startswith(unit.path)]

    def unit_score(self, unit: Unit) -> UnitScore:
        cached = self._scores.get(unit.pk)
        if cached is None:
            cached = self._scores[unit.pk] = self._score(unit)
        return cached

    def _score(self, unit: Unit) -> UnitScore:
        members = self.subtree_units(unit)
        inputs = IndicatorInputs.zero(level_of(unit))
        totals = Totals()
        for member in members:
            inputs = inputs + self.own[member.pk]
            if member.pk in self.totals:
                totals.merge(self.totals[member.pk])
        return UnitScore(unit=unit, inputs=inputs, score=score(inputs, self.methodology), totals=totals)

    def children_scores(self, parent: Unit) -> list[UnitScore]:
        return [self.unit_score(u) for u in self.units if u.parent_id == parent.pk]


def _facts(period: Period, methodology: Methodology, root: Unit) -> CatalogueFacts:
    """Catalogue facts change rarely; cache them per period and methodology for a minute."""
    key = f"statistics:facts:{methodology.version}:{period.kind}:{period.start}:{period.end}"
    facts = cache.get(key)
    if facts is None:
        facts = catalogue_facts(period, methodology, calendar_for_unit(root))
        cache.set(key, facts, 60)
    return facts
