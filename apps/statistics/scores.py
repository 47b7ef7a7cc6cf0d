"""From aggregates to index scores: assemble each unit's input counts, roll them up, score them.

Every count is per unit (its own dossiers, its own online services); a parent's inputs are its own plus
all descendants' (the rule book's "sum counts, then divide"), except the counts of distinct procedures,
which are the size of the union of the members' procedure sets; the transparency facts are the
province's (or ministry's) and are inherited, not summed. Two leaf queries per request serve a unit and
all its children.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

from apps.organisation.models import Unit, UnitKind
from apps.organisation.selectors import top_unit
from apps.scoring.engine import Score, score
from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Methodology
from apps.statistics.catalogue_facts import SCORING_LEVEL, CatalogueFacts, catalogue_facts
from apps.statistics.periods import Period
from apps.statistics.selectors import Totals, totals_by_unit, used_procedures
from apps.statistics.services import cache_key_for
from apps.workcalendar.services import calendar_for_unit

PetitionCounter = Callable[[list[int], Period, dt.date], dict[int, dict[str, int]]]


def level_of(unit: Unit) -> str:
    return SCORING_LEVEL[UnitKind(unit.kind)]


@dataclass(frozen=True)
class ProcedureSets:
    """A unit's own procedure sets behind the counts a parent takes as distinct procedures."""

    handled: frozenset[int] = frozenset()
    online: frozenset[int] = frozenset()
    citizen: frozenset[int] = frozenset()
    citizen_eid: frozenset[int] = frozenset()

    def __or__(self, other: ProcedureSets) -> ProcedureSets:
        return ProcedureSets(
            self.handled | other.handled,
            self.online | other.online,
            self.citizen | other.citizen,
            self.citizen_eid | other.citizen_eid,
        )

    def counts(self) -> dict[str, int]:
        return {
            "procedures_under_authority": len(self.handled),
            "procedures_online": len(self.online),
            "citizen_procedures": len(self.citizen),
            "citizen_procedures_eid": len(self.citizen_eid),
        }


def procedure_sets(unit: Unit, facts: CatalogueFacts, used: dict[str, set[int]]) -> ProcedureSets:
    """Term A counts the procedures under the unit's authority that it offers online; the citizen-data
    formality indicator the citizen-facing ones with an e-ID-connected dossier."""
    handled = frozenset(facts.handled_by(unit.kind))
    citizen = frozenset(p for p in handled if facts.procedures[p].citizen)
    return ProcedureSets(
        handled=handled,
        online=handled & facts.offered_by(unit.pk),
        citizen=citizen,
        citizen_eid=citizen & frozenset(used.get("eid", ())),
    )


def own_inputs(
    unit: Unit,
    totals: Totals,
    facts: CatalogueFacts,
    petitions: dict[str, int],
    used: dict[str, set[int]],
    sets: ProcedureSets | None = None,
) -> IndicatorInputs:
    """The counts of one unit alone (no descendants).

    Online services are the unit's offerings in the register (unit × procedure), whatever the level of
    the procedure; the payment terms count the fee-bearing ones, since a fee is paid online only where
    the procedure is offered online.
    """
    c = totals.counts
    offered = facts.offered_by(unit.pk)
    fee_offered = frozenset(p for p in offered if facts.procedures[p].fee)
    return IndicatorInputs(
        level=level_of(unit),
        **facts.transparency,
        **(sets or procedure_sets(unit, facts, used)).counts(),
        dossiers_received=c["received"],
        dossiers_synced=c["received_synced"],
        dossiers_in_period=c["in_period"],
        dossiers_on_time=c["on_time"],
        online_services_offered=len(offered),
        online_services_used=len(offered & used.get("online_received", set())),
        dossiers_online_counted=c["received_online_counted"],
        fee_dossiers=c["fee_dossiers"],
        fee_dossiers_paid_online=c["fee_paid_online"],
        fee_procedures=len(fee_offered),
        fee_procedures_paid_online=len(fee_offered & used.get("fee_paid_online", set())),
        fee_procedures_synced=len(fee_offered & used.get("fee_synced", set())),
        dossiers_e_result=c["e_result"],
        dossiers_digitized=c["digitized"],
        communes=1 if unit.kind == UnitKind.COMMUNE else 0,
        communes_e_copy=1 if unit.kind == UnitKind.COMMUNE and unit.offers_electronic_certified_copy else 0,
        dossiers_reused=c["received_reused"],
        dossiers_personal_storage=c["personal_storage"],
        dossiers_eid=c["eid"],
        petitions=petitions.get("petitions", 0),
        petitions_on_time=petitions.get("on_time", 0),
        petitions_first_received=petitions.get("first_received", 0),
        petitions_satisfactory=petitions.get("satisfactory", 0),
        dossiers_satisfactory=c["satisfactory"],
    )


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
        self.totals = totals_by_unit(self.units, period, today)
        used = used_procedures(self.units, period, today)
        self.petitions = petitions(unit_ids, period, today)
        self._scores: dict[int, UnitScore] = {}
        self.sets = {u.pk: procedure_sets(u, self.facts, used.get(u.pk, {})) for u in self.units}
        self.own = {
            u.pk: own_inputs(
                u,
                self.totals.get(u.pk, Totals()),
                self.facts,
                self.petitions.get(u.pk, {}),
                used.get(u.pk, {}),
                self.sets[u.pk],
            )
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
        sets = ProcedureSets()
        for member in members:
            inputs = inputs + self.own[member.pk]
            sets = sets | self.sets[member.pk]
            if member.pk in self.totals:
                totals.merge(self.totals[member.pk])
        # Distinct procedures: the union's size, not the sum of the members' counts.
        inputs = dataclasses.replace(inputs, **sets.counts())
        return UnitScore(unit=unit, inputs=inputs, score=score(inputs, self.methodology), totals=totals)

    def children_scores(self, parent: Unit) -> list[UnitScore]:
        return [self.unit_score(u) for u in self.units if u.parent_id == parent.pk]


def _facts(period: Period, methodology: Methodology, root: Unit) -> CatalogueFacts:
    """Catalogue facts change rarely; cache them per province, period and methodology for a minute.

    The key holds the aggregate epoch, which every change of the registers moves
    (:func:`apps.statistics.services.register_changed`), so a recorded offering or decision shows at once.
    """
    authority = top_unit(root)
    epoch = cache_key_for(period)[0]
    key = f"statistics:facts:{methodology.key.replace(' ', '-')}:{authority.pk}:{epoch}:{period.kind}:{period.start}:{period.end}"
    facts = cache.get(key)
    if facts is None:
        facts = catalogue_facts(period, methodology, calendar_for_unit(root), authority)
        cache.set(key, facts, 60)
    return facts
