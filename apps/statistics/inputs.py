"""From one unit's aggregates to its score inputs (pure: no database, no cache).

The selectors read a unit's roll-up row, its petitions and its province's catalogue facts; this turns
them into the integer bundle the scoring engine takes (:class:`apps.scoring.inputs.IndicatorInputs`),
plus the procedure sets behind the counts a parent takes as distinct procedures, not as sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.organisation.models import Unit, UnitKind
from apps.scoring.inputs import IndicatorInputs
from apps.statistics.catalogue_facts import SCORING_LEVEL, CatalogueFacts
from apps.statistics.models import COUNT_FIELDS


@dataclass
class Totals:
    """Counts summed over some dossiers."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))

    def merge(self, other: Totals) -> None:
        for name, value in other.counts.items():
            self.counts[name] += value


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


def procedure_sets(unit: Unit, facts: CatalogueFacts, used: dict[str, frozenset[int]]) -> ProcedureSets:
    """Term A counts the procedures under the unit's authority that it offers online; the citizen-data
    formality indicator the citizen-facing ones with an e-ID-connected dossier."""
    handled, citizen = facts.handled_sets(unit.kind)
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
    used: dict[str, frozenset[int]],
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
        online_services_used=len(offered & used.get("online_received", frozenset())),
        dossiers_online_counted=c["received_online_counted"],
        fee_dossiers=c["fee_dossiers"],
        fee_dossiers_paid_online=c["fee_paid_online"],
        fee_procedures=len(fee_offered),
        fee_procedures_paid_online=len(fee_offered & used.get("fee_paid_online", frozenset())),
        fee_procedures_synced=len(fee_offered & used.get("fee_synced", frozenset())),
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
