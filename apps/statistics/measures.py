"""Which drill-down measure lists the dossiers behind each score input: the one table both sides read.

A score shows counts by the names the methodology divides (``dossiers_on_time`` / ``dossiers_in_period``);
the drill-down lists dossiers by the names the counting SQL defines (``on_time``, ``in_period``, see
:data:`apps.statistics.counting.CONDITIONS`). :data:`INPUT_MEASURES` pairs them, so the score can say
which list holds an indicator's dossiers, and the drill-down accepts either name. Inputs that count
procedures, communes or petitions rather than dossiers have no list and no entry here.

Names come from the methodology in the active language when it provides them
(``Methodology.indicator_name`` / ``Methodology.group_name``); until then the code (indicators) or the
methodology file's name (groups) stand in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from apps.scoring.engine import Score
from apps.scoring.methodology import Methodology
from apps.statistics.counting import CONDITIONS

# score input (apps.scoring.inputs.IndicatorInputs field) -> drill-down measure (a CONDITIONS name).
INPUT_MEASURES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "dossiers_received": "received",
        "dossiers_synced": "received_synced",
        "dossiers_in_period": "in_period",
        "dossiers_on_time": "on_time",
        "dossiers_online_counted": "received_online_counted",
        "fee_dossiers": "fee_dossiers",
        "fee_dossiers_paid_online": "fee_paid_online",
        "dossiers_e_result": "e_result",
        "dossiers_digitized": "digitized",
        "dossiers_reused": "received_reused",
        "dossiers_personal_storage": "personal_storage",
        "dossiers_eid": "eid",
        "dossiers_satisfactory": "satisfactory",
    }
)

# A drill-down measure made of disjoint counting measures (the on-time breakdown's ``late`` column):
# its list is their union, its count their sum. Finished late and open overdue never overlap.
COMPOSITE_MEASURES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"late": ("ended_late", "open_overdue")}
)

#: What the drill-down accepts: the counting measures, ``late``, and the score inputs that count dossiers.
DRILL_DOWN_MEASURES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys([*CONDITIONS, *COMPOSITE_MEASURES, *INPUT_MEASURES])  # fee_dossiers is both
)


def measure_parts(name: str) -> tuple[str, ...]:
    """The counting measures (CONDITIONS names) whose dossiers a drill-down name lists."""
    if name in CONDITIONS:
        return (name,)
    if name in COMPOSITE_MEASURES:
        return COMPOSITE_MEASURES[name]
    if name in INPUT_MEASURES:
        return (INPUT_MEASURES[name],)
    raise ValueError(f"unknown measure {name!r}")


def indicator_name(methodology: Methodology, code: str) -> str:
    """The indicator's name in the active language; its code while the methodology has no names."""
    named = getattr(methodology, "indicator_name", None)
    return str(named(code)) if callable(named) else code


def group_name(methodology: Methodology, code: str) -> str:
    """The group's name in the active language; the methodology file's name while it has no lookup."""
    named = getattr(methodology, "group_name", None)
    if callable(named):
        return str(named(code))
    try:
        return methodology.group(code).name
    except KeyError:
        return code


@dataclass(frozen=True)
class IndicatorDescription:
    """What a page needs next to an indicator's figure: its names and the lists behind its counts."""

    code: str
    name: str
    group: str
    group_name: str
    measure: str | None  # the dossiers the indicator judges (its denominator); None: not dossiers
    numerator_measure: str | None  # the dossiers that met it (its numerator)


def describe_indicators(methodology: Methodology) -> dict[str, IndicatorDescription]:
    """Each indicator of the methodology with its names and drill-down measures, by code."""
    return {
        rule.code: IndicatorDescription(
            code=rule.code,
            name=indicator_name(methodology, rule.code),
            group=rule.group,
            group_name=group_name(methodology, rule.group),
            measure=INPUT_MEASURES.get(rule.denominator),
            numerator_measure=INPUT_MEASURES.get(rule.numerator),
        )
        for rule in methodology.indicators
    }


def described_score(score: Score, methodology: Methodology) -> dict[str, Any]:
    """A score as plain data, each group and indicator with its name, each indicator with its measures.

    The figures are the score's own (Decimals kept, for the serializer to format); only names and
    measures are added, so a page and the API show the same thing.
    """
    described = describe_indicators(methodology)
    groups = [
        {
            "code": g.code,
            "name": group_name(methodology, g.code),
            "points": g.points,
            "max_points": g.max_points,
            "percent": g.percent,
        }
        for g in score.groups
    ]
    indicators = []
    for i in score.indicators:
        about = described.get(i.code)
        indicators.append(
            {
                "code": i.code,
                "name": about.name if about else i.code,
                "group": i.group,
                "group_name": about.group_name if about else group_name(methodology, i.group),
                "measure": about.measure if about else None,
                "numerator_measure": about.numerator_measure if about else None,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "rate": i.rate,
                "points": i.points,
                "max_points": i.max_points,
                "status": i.status,
            }
        )
    return {
        "total": score.total,
        "max_points": score.max_points,
        "methodology_version": score.methodology_version,
        "methodology": score.methodology,
        "level": score.level,
        "band": score.band,
        "groups": groups,
        "indicators": indicators,
    }
