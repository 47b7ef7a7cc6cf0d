"""Scoring a subtree from what the selectors read (pure: no database, no cache, no writes).

Every count is per unit (its own dossiers, its own online services); a parent's inputs are its own plus
all descendants' (the rule book's "sum counts, then divide"), except the counts of distinct procedures,
which are the size of the union of the members' procedure sets; the transparency facts are the
province's (or ministry's) and are inherited, not summed. The scoring engine (:mod:`apps.scoring.engine`)
then scores each bundle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from apps.organisation.models import Unit
from apps.scoring.engine import Score, score
from apps.scoring.inputs import IndicatorInputs
from apps.scoring.methodology import Methodology
from apps.statistics.inputs import ProcedureSets, Totals, level_of
from apps.statistics.periods import Period
from apps.statistics.selectors import SubtreeInputs


@dataclass
class UnitScore:
    unit: Unit
    inputs: IndicatorInputs
    score: Score
    totals: Totals


class SubtreeScorer:
    """Scores a unit and each of its descendants for one period, each on first use."""

    def __init__(self, read: SubtreeInputs) -> None:
        self.read = read
        self.root: Unit = read.root
        self.period: Period = read.period
        self.methodology: Methodology = read.methodology
        self.units: list[Unit] = read.units
        self.totals: dict[int, Totals] = read.totals
        self._children: dict[int | None, list[Unit]] = defaultdict(list)
        for unit in self.units:
            self._children[unit.parent_id].append(unit)
        self._scores: dict[int, UnitScore] = {}

    def subtree_units(self, unit: Unit) -> list[Unit]:
        """The unit and its descendants within the scored subtree (walked down the parent links)."""
        members, pending = [], [unit]
        while pending:
            member = pending.pop()
            members.append(member)
            pending.extend(self._children.get(member.pk, ()))
        return members

    def unit_score(self, unit: Unit) -> UnitScore:
        cached = self._scores.get(unit.pk)
        if cached is None:
            cached = self._scores[unit.pk] = self._score(unit)
        return cached

    def _score(self, unit: Unit) -> UnitScore:
        members = self.subtree_units(unit)
        if len(members) == 1:  # a unit without descendants: its own inputs are its subtree's
            totals = Totals()
            if unit.pk in self.totals:
                totals.merge(self.totals[unit.pk])
            inputs = self.read.own[unit.pk]
            return UnitScore(unit=unit, inputs=inputs, score=score(inputs, self.methodology), totals=totals)
        own_sets = self.read.sets
        sets, totals = ProcedureSets(), Totals()
        for member in members:
            sets = sets | own_sets[member.pk]
            if member.pk in self.totals:
                totals.merge(self.totals[member.pk])
        # Distinct procedures: the union's size, not the sum of the members' counts.
        inputs = IndicatorInputs.total(
            level_of(unit), (self.read.own[m.pk] for m in members), **sets.counts()
        )
        return UnitScore(unit=unit, inputs=inputs, score=score(inputs, self.methodology), totals=totals)

    def children(self, parent: Unit) -> list[Unit]:
        """The parent's children in the scored subtree, by path."""
        return list(self._children.get(parent.pk, ()))

    def children_scores(self, parent: Unit) -> list[UnitScore]:
        return [self.unit_score(u) for u in self._children.get(parent.pk, ())]
