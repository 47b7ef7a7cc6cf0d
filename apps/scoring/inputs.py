"""The integer counts the index is computed from, one bundle per unit and period.

The statistics code counts; the engine only divides. Keeping the boundary at plain integers means the
scoring rules can be tested without a database and every published figure can be re-derived from the
counts shown next to it. Which count is divided by which is data (the methodology file), so a count
must be filled over the same dossier set as the denominator the methodology pairs it with.

Counting conventions a parent relies on when it adds its descendants' bundles:

* every count is per unit, so a parent's count is its own plus its descendants' (rule book: "sum counts,
  then divide"); an online service offered by two communes therefore counts twice in their province;
* except the counts of distinct procedures (:data:`DISTINCT_COUNTS`): a procedure two communes handle is
  one procedure of their province. Integers cannot be unioned, so ``+`` sums them like the others and
  whoever rolls units up replaces them with the size of the union (``apps/statistics/scores.py``);
* a commune counts itself: ``communes = 1`` and ``communes_e_copy`` is 0 or 1;
* the six transparency facts are the top-level unit's (province's or ministry's) and are copied, not
  summed: see :meth:`IndicatorInputs.__add__`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

Level = Literal["province", "department", "commune", "ministry"]

LEVELS: Final[tuple[str, ...]] = ("province", "department", "commune", "ministry")

# Transparency facts: established once for the province (or ministry) and inherited by its units.
INHERITED_COUNTS: Final[tuple[str, ...]] = (
    "procedures_with_decision",
    "procedures_published_on_time",
    "procedures_to_disclose",
    "procedures_disclosed_on_time",
    "procedures_published",
    "procedures_content_full",
)

# Counts of distinct procedures: a parent's is the size of the union of its units' procedure sets.
DISTINCT_COUNTS: Final[tuple[str, ...]] = (
    "procedures_under_authority",
    "procedures_online",
    "citizen_procedures",
    "citizen_procedures_eid",
)


@dataclass(frozen=True, slots=True)
class IndicatorInputs:
    """Counts for one unit (with its descendants) over one period, as the methodology names them."""

    level: Level
    # -- transparency (province-level facts, inherited by departments and communes) --
    procedures_with_decision: int  # procedures whose publication decision was issued in the period
    procedures_published_on_time: int  # of those, decided at least N working days before taking effect
    procedures_to_disclose: int  # procedures due for disclosure on the national database in the period
    procedures_disclosed_on_time: int  # of those, disclosed within N working days of the decision
    procedures_published: int  # procedures currently published (a stock, not a flow)
    procedures_content_full: int  # of those, with all seven parts filled in
    # -- dossiers received in the period --
    dossiers_received: int  # dossiers that reached "received" (code 2) within the period
    dossiers_synced: int  # of those, synchronised to the national portal
    # -- the period set: received in the period + received earlier and unfinished at its start --
    dossiers_in_period: int  # size of the period set
    dossiers_on_time: int  # of the period set, finished on time or unfinished and still in time
    # -- online services --
    procedures_under_authority: int  # distinct procedures the unit (with its descendants) handles
    procedures_online: int  # of those, offered online (partial or full process) by at least one unit
    online_services_offered: int  # online services: offerings of a procedure by a unit (unit × procedure)
    online_services_used: int  # of those, with at least one online dossier received in the period
    dossiers_online_counted: int  # online dossiers received; paper-result procedures only with an e-result
    # -- online payment --
    fee_dossiers: int  # fee-bearing dossiers (fee ≠ 0) in the period
    fee_dossiers_paid_online: int  # of those, paid online
    fee_procedures: int  # fee-bearing online services (unit × procedure offerings)
    fee_procedures_paid_online: int  # of those, with at least one successful online payment
    fee_procedures_synced: int  # of those, whose dossiers carry synchronised fee data
    # -- digitisation (period set unless said otherwise) --
    dossiers_e_result: int  # dossiers with an electronic result issued
    dossiers_digitized: int  # dossiers with digitised inputs (and an e-result where one is required)
    communes: int  # communes in the unit's subtree (a commune counts itself)
    communes_e_copy: int  # of those, offering electronic certified copies
    dossiers_reused: int  # dossiers *received* with at least one component reused from digitised data
    dossiers_personal_storage: int  # dossiers that took from or pushed to the citizen's personal data store
    dossiers_eid: int  # dossiers whose applicant was authenticated by national e-ID or population database
    citizen_procedures: int  # distinct citizen-facing procedures under the unit's authority
    citizen_procedures_eid: int  # of those, with at least one e-ID-connected dossier
    # -- satisfaction --
    petitions: int  # petitions (PAKN) under the unit's authority in the period
    petitions_on_time: int  # of those, handled on time or still in time
    petitions_first_received: int  # petitions first received in the period
    petitions_satisfactory: int  # first received − dissatisfied − repeated − overdue, floored at 0
    dossiers_satisfactory: int  # period set − rated dissatisfied, with a petition, or overdue

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown level {self.level!r}; expected one of {', '.join(LEVELS)}")
        for name in COUNT_NAMES:
            value = getattr(self, name)
            # bool is an int subclass; a True slipping in would be a counting bug, not a count.
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")

    @classmethod
    def zero(cls, level: Level, **counts: int) -> IndicatorInputs:
        """All counts 0 (optionally with a few set), the neutral start of a roll-up or a test case."""
        unknown = sorted(set(counts) - set(COUNT_NAMES))
        if unknown:
            raise TypeError(f"unknown input count(s): {', '.join(unknown)}")
        values = dict.fromkeys(COUNT_NAMES, 0)
        values.update(counts)
        return cls(level=level, **values)

    def counts(self) -> dict[str, int]:
        """The counts by name, for display next to a score and for serialisation."""
        return {name: getattr(self, name) for name in COUNT_NAMES}

    @classmethod
    def total(cls, level: Level, bundles: Iterable[IndicatorInputs], **replaced: int) -> IndicatorInputs:
        """``zero(level) + b1 + b2 + …`` in one pass, then the ``replaced`` counts set (a roll-up's
        distinct-procedure counts): a province sums about 170 bundles per request, and building (and
        validating) one intermediate bundle per addition was most of that time."""
        values = dict.fromkeys(SUMMED_COUNTS, 0)
        inherited: tuple[int, ...] | None = None
        for bundle in bundles:
            for name in SUMMED_COUNTS:
                values[name] += getattr(bundle, name)
            theirs = tuple(getattr(bundle, name) for name in INHERITED_COUNTS)
            if not any(theirs):
                continue
            if inherited is None:
                inherited = theirs
            elif inherited != theirs:
                raise ValueError(
                    "transparency facts differ between the bundles being added; they are inherited from "
                    f"the province, not summed ({dict(zip(INHERITED_COUNTS, inherited, strict=True))} vs "
                    f"{dict(zip(INHERITED_COUNTS, theirs, strict=True))})"
                )
        values.update(zip(INHERITED_COUNTS, inherited or (0,) * len(INHERITED_COUNTS), strict=True))
        unknown = sorted(set(replaced) - set(COUNT_NAMES))
        if unknown:
            raise TypeError(f"unknown input count(s): {', '.join(unknown)}")
        values.update(replaced)
        return cls(level=level, **values)

    def __add__(self, other: object) -> IndicatorInputs:
        """Roll a descendant's counts into a parent's: ``parent_own + child_1 + child_2``.

        The result keeps the left operand's level, because the accumulator is the parent. Counts are
        summed, except the transparency facts, which every unit of a province inherits from the
        province: adding them would multiply them by the number of units. Those must therefore agree
        on both sides, or be all zero on one side (a bundle whose facts were not filled in, such as
        ``IndicatorInputs.zero(level)``), in which case the other side's are kept.
        """
        if not isinstance(other, IndicatorInputs):
            return NotImplemented
        values = {name: getattr(self, name) + getattr(other, name) for name in COUNT_NAMES}
        mine = {name: getattr(self, name) for name in INHERITED_COUNTS}
        theirs = {name: getattr(other, name) for name in INHERITED_COUNTS}
        if not any(mine.values()):
            values.update(theirs)
        elif not any(theirs.values()) or mine == theirs:
            values.update(mine)
        else:
            raise ValueError(
                "transparency facts differ between the bundles being added; they are inherited from the "
                f"province, not summed ({mine} vs {theirs})"
            )
        return IndicatorInputs(level=self.level, **values)


COUNT_NAMES: Final[tuple[str, ...]] = tuple(
    field.name for field in dataclasses.fields(IndicatorInputs) if field.name != "level"
)
SUMMED_COUNTS: Final[tuple[str, ...]] = tuple(name for name in COUNT_NAMES if name not in INHERITED_COUNTS)
