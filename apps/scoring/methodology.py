"""Versioned scoring methodologies, loaded from JSON and validated before anything is scored with them.

The rule book changes by decree and some of its rules are still being fitted to the portal's published
scores, so the rules live in data (``apps/scoring/methodologies/<version>.json``) rather than in code:
correcting a cap or adding a version is a reviewed data change, and every score records the version
that produced it. A *version* is a legal methodology with its own ``valid_from``; a *revision* of a
version corrects how its rules were read (a misreading fixed after checking published figures) and
supersedes the earlier revision for every period, past ones included (see ``methodologies/CHANGELOG.md``).
A broken file must fail loudly at load time, with every problem listed, instead of
producing plausible but wrong scores later.

JSON numbers are read as :class:`~decimal.Decimal` (never float), so ``"cap": 0.8`` is exactly 8/10.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from django.conf import settings
from django.utils import translation

from apps.scoring.inputs import COUNT_NAMES, LEVELS

BUNDLED_DIR: Final[Path] = Path(__file__).resolve().parent / "methodologies"
TOTAL_MAX_POINTS: Final[Decimal] = Decimal(100)

Scoring = Literal["linear", "cap"]
WhenEmpty = Literal["zero", "full"]
ParameterValue = int | Decimal | str | Mapping[str, Any]

_TOP_KEYS = {
    "version",
    "revision",
    "decision",
    "valid_from",
    "description",
    "levels",
    "rounding",
    "bands",
    "parameters",
    "groups",
    "indicators",
}
_GROUP_KEYS = {"code", "name", "name_vi", "max_points", "description"}
_INDICATOR_KEYS = {
    "code",
    "name",
    "name_vi",
    "group",
    "max_points",
    "scoring",
    "cap",
    "numerator",
    "denominator",
    "when_empty",
    "parameters",
    "levels",
    "note",
    "description",
}
_VARIANT_KEYS = {"applies", "parameters", "note"}
_BAND_KEYS = {"code", "label", "min"}
_ROUNDING_KEYS = {"mode", "places", "scope", "note"}
_PETITION_DEADLINES = ("reject", "request_information", "handle")


class MethodologyError(ValueError):
    """A methodology file is malformed or inconsistent; ``problems`` lists every finding."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"invalid methodology {source}:\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    name: str
    max_points: Decimal
    #: The official Vietnamese name; ``name`` is the English one (the file's source language).
    name_vi: str = ""

    def display_name(self) -> str:
        """The name in the active language (Vietnamese by default)."""
        return _in_active_language(self.name, self.name_vi)


@dataclass(frozen=True, slots=True)
class LevelVariant:
    """How one indicator treats one level: whether it applies, and parameter overrides."""

    applies: bool
    parameters: Mapping[str, ParameterValue]


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    code: str
    group: str
    max_points: Decimal
    scoring: Scoring
    cap: Decimal | None
    numerator: str
    denominator: str
    when_empty: WhenEmpty
    parameters: Mapping[str, ParameterValue]
    levels: Mapping[str, LevelVariant]
    #: English name (empty in files without names: the code stands in) and the official Vietnamese one.
    name: str = ""
    name_vi: str = ""

    def display_name(self) -> str:
        """The name in the active language (Vietnamese by default); the code when the file names none."""
        return _in_active_language(self.name or self.code, self.name_vi)

    def points_for_rate(self, rate: Fraction) -> Fraction:
        """Unrounded points for a rate in [0, 1]; ``cap c`` gives full points from ``rate >= c``."""
        maximum = Fraction(self.max_points)
        if self.scoring == "cap":
            assert self.cap is not None  # guaranteed by validation
            return maximum * min(Fraction(1), rate / Fraction(self.cap))
        return maximum * rate


@dataclass(frozen=True, slots=True)
class Band:
    code: str
    label: str
    min: Decimal


@dataclass(frozen=True, slots=True)
class Methodology:
    """One validated version of the rules; build it with :meth:`from_file` or :meth:`from_dict`."""

    version: str
    revision: int
    decision: str
    valid_from: dt.date
    levels: tuple[str, ...]
    groups: tuple[Group, ...]
    indicators: tuple[IndicatorRule, ...]
    parameters: Mapping[str, ParameterValue]
    bands: tuple[Band, ...]
    rounding_places: int
    source: str

    @property
    def key(self) -> str:
        """Version and revision together, e.g. ``766-2022-v1 r2``: what a stored score must match.

        A revision corrects how a version's rules were read (its scores of past periods change, the
        ``valid_from`` does not), so a score stored under an earlier revision is stale, not history.
        """
        return f"{self.version} r{self.revision}"

    @property
    def reference(self) -> dict[str, Any]:
        """How an answer names the rules that produced its figures (a score's ``methodology`` too)."""
        return reference(self.version, self.revision)

    # -- loading ---------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Methodology:
        """Validate parsed data; numbers may be int, Decimal or numeric strings, never float."""
        return _Parser(source).parse(data)

    @classmethod
    def from_file(cls, path: str | Path) -> Methodology:
        """Load ``<version>.json``; the file name must match the version it declares, to avoid mix-ups."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal, parse_constant=_no_nan)
        except (OSError, ValueError) as exc:
            raise MethodologyError(str(path), [f"cannot read JSON: {exc}"]) from exc
        methodology = cls.from_dict(data, source=str(path))
        if path.stem != methodology.version:
            raise MethodologyError(
                str(path), [f"file name {path.name!r} does not match version {methodology.version!r}"]
            )
        return methodology

    @classmethod
    def for_date(cls, day: dt.date, *, methodologies: Iterable[Methodology] | None = None) -> Methodology:
        """The version in force on ``day``: the latest ``valid_from`` on or before it.

        ``methodologies`` defaults to the bundled files. ``day`` must be a local date: a datetime is
        refused because which day it falls on depends on the time zone.
        """
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError("for_date() needs a date (the local business day), not a datetime")
        candidates = bundled_methodologies() if methodologies is None else _check_unique(methodologies)
        in_force = [m for m in candidates if m.valid_from <= day]
        if not in_force:
            raise NoMethodologyInForce(day)
        return max(in_force, key=lambda m: m.valid_from)

    # -- lookups ---------------------------------------------------------------------------------------

    def group(self, code: str) -> Group:
        for group in self.groups:
            if group.code == code:
                return group
        raise KeyError(f"unknown group {code!r} in methodology {self.version}")

    def indicator(self, code: str) -> IndicatorRule:
        for rule in self.indicators:
            if rule.code == code:
                return rule
        raise KeyError(f"unknown indicator {code!r} in methodology {self.version}")

    def indicators_in(self, group_code: str) -> tuple[IndicatorRule, ...]:
        return tuple(rule for rule in self.indicators if rule.group == group_code)

    def indicator_name(self, code: str) -> str:
        """An indicator's name in the active language (Vietnamese unless ``Accept-Language``/``?lang=``
        asked for English), for the score, ranking and drill-down responses. Unknown code: KeyError."""
        return self.indicator(code).display_name()

    def group_name(self, code: str) -> str:
        """A group's name in the active language, e.g. "Công khai, minh bạch" / "Transparency"."""
        return self.group(code).display_name()

    def parameters_for(self, indicator_code: str, level: str) -> Mapping[str, ParameterValue]:
        """Counting parameters of an indicator at a level, so counting code never hard-codes them.

        Example: ``parameters_for("PUBLISH_ON_TIME", "ministry")["min_lead_working_days"] == 20``.
        """
        rule = self.indicator(indicator_code)
        if level not in rule.levels:
            raise KeyError(f"level {level!r} is not covered by methodology {self.version}")
        return MappingProxyType({**rule.parameters, **rule.levels[level].parameters})

    def band_for(self, total: Decimal) -> Band:
        """The reporting band a total falls in (bands are ordered from the highest minimum down)."""
        for band in self.bands:
            if total >= band.min:
                return band
        return self.bands[-1]

    def round_points(self, value: Fraction | Decimal | int) -> Decimal:
        """Round half-up (away from zero on a tie) to the methodology's places, exactly.

        Works on the exact fraction, so no intermediate Decimal division can shift a tie.
        """
        return round_half_up(Fraction(value), self.rounding_places)


def reference(version: str, revision: int) -> dict[str, Any]:
    """The rules behind a figure as answers name them: ``{"code": version, "revision": revision}``."""
    return {"code": version, "revision": revision}


def round_half_up(value: Fraction, places: int) -> Decimal:
    """``Decimal.quantize(..., ROUND_HALF_UP)`` semantics on an exact fraction.

    Integer arithmetic only (floor(n/d + 1/2) = (2n + d) // 2d): scoring a province's 170 units runs
    this thousands of times per request, and Fraction operators are ten times slower.
    """
    numerator, denominator = value.numerator, value.denominator
    sign = -1 if numerator < 0 else 1
    scaled = abs(numerator) * 10**places
    units = (2 * scaled + denominator) // (2 * denominator)
    return Decimal(sign * units).scaleb(-places)


def load_directory(directory: str | Path) -> tuple[Methodology, ...]:
    """Every ``*.json`` methodology in a directory, oldest first; versions and dates must be unique."""
    loaded = [Methodology.from_file(path) for path in sorted(Path(directory).glob("*.json"))]
    return tuple(sorted(_check_unique(loaded), key=lambda m: m.valid_from))


class NoMethodologyInForce(LookupError):
    """``day`` is before the rule book's first methodology: nothing can be scored for it."""

    def __init__(self, day: dt.date) -> None:
        super().__init__(f"no methodology is in force on {day.isoformat()}")
        self.day = day


def first_scored_day() -> dt.date:
    """The first day any bundled methodology is in force; periods ending earlier cannot be scored."""
    return min(m.valid_from for m in bundled_methodologies())


@lru_cache(maxsize=1)
def bundled_methodologies() -> tuple[Methodology, ...]:
    """The versions shipped with the code, loaded and validated once per process."""
    return load_directory(BUNDLED_DIR)


def _check_unique(methodologies: Iterable[Methodology]) -> tuple[Methodology, ...]:
    items = tuple(methodologies)
    problems = []
    for attribute in ("version", "valid_from"):
        values = [getattr(m, attribute) for m in items]
        duplicates = sorted({str(v) for v in values if values.count(v) > 1})
        if duplicates:
            problems.append(f"duplicate {attribute}: {', '.join(duplicates)}")
    if problems:
        raise MethodologyError("<set of methodologies>", problems)
    return items


def _no_nan(token: str) -> Any:
    raise ValueError(f"{token} is not a number a methodology may use")


class _Parser:
    """Collects every problem in one pass so a broken file is fixed in one round, not one per error."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def parse(self, data: Mapping[str, Any]) -> Methodology:
        if not isinstance(data, Mapping):
            raise MethodologyError(self.source, ["top level must be an object"])
        self._keys(data, _TOP_KEYS, "methodology", required=_TOP_KEYS - {"description", "revision"})
        version = self._text(data.get("version"), "version")
        revision = data.get("revision", 1)
        if not _is_int(revision) or revision < 1:
            self.problems.append(f"revision: must be a positive integer, got {revision!r}")
            revision = 1
        decision = self._text(data.get("decision"), "decision")
        valid_from = self._date(data.get("valid_from"), "valid_from")
        levels = self._levels(data.get("levels"))
        places = self._rounding(data.get("rounding"))
        bands = self._bands(data.get("bands"))
        parameters = self._top_parameters(data.get("parameters"))
        groups = self._groups(data.get("groups"))
        indicators = self._indicators(data.get("indicators"), groups, levels)
        self._check_sums(groups, indicators)
        if self.problems:
            raise MethodologyError(self.source, self.problems)
        assert valid_from is not None  # a bad date was recorded as a problem above
        return Methodology(
            version=version,
            revision=revision,
            decision=decision,
            valid_from=valid_from,
            levels=levels,
            groups=groups,
            indicators=indicators,
            parameters=parameters,
            bands=bands,
            rounding_places=places,
            source=self.source,
        )

    # -- sections --------------------------------------------------------------------------------------

    def _levels(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.problems.append("levels: must be a non-empty list")
            return ()
        unknown = [level for level in value if level not in LEVELS]
        if unknown:
            self.problems.append(f"levels: unknown {unknown}; known levels are {list(LEVELS)}")
        if len(set(value)) != len(value):
            self.problems.append("levels: duplicates")
        return tuple(level for level in value if level in LEVELS)

    def _rounding(self, value: Any) -> int:
        if not self._object(value, "rounding"):
            return 2
        self._keys(value, _ROUNDING_KEYS, "rounding", required={"mode", "places", "scope"})
        if value.get("mode") != "half_up":
            self.problems.append(f"rounding.mode: only 'half_up' is implemented, got {value.get('mode')!r}")
        if value.get("scope") != "sub_indicator":
            self.problems.append(
                f"rounding.scope: only 'sub_indicator' is implemented, got {value.get('scope')!r}"
            )
        places = value.get("places")
        if not _is_int(places) or not 0 <= places <= 6:
            self.problems.append(f"rounding.places: must be an integer from 0 to 6, got {places!r}")
            return 2
        return places

    def _bands(self, value: Any) -> tuple[Band, ...]:
        if not isinstance(value, list) or not value:
            self.problems.append("bands: must be a non-empty list")
            return ()
        bands = []
        for index, item in enumerate(value):
            where = f"bands[{index}]"
            if not self._object(item, where):
                continue
            self._keys(item, _BAND_KEYS, where, required=_BAND_KEYS)
            minimum = self._number(item.get("min"), f"{where}.min")
            code = self._text(item.get("code"), f"{where}.code")
            label = self._text(item.get("label"), f"{where}.label")
            if minimum is not None:
                bands.append(Band(code=code, label=label, min=minimum))
        minima = [band.min for band in bands]
        if any(later >= earlier for earlier, later in pairwise(minima)):
            self.problems.append(f"bands: minima must strictly decrease, got {[str(m) for m in minima]}")
        if minima and minima[-1] != 0:
            self.problems.append("bands: the last band must start at 0 so every total has a band")
        codes = [band.code for band in bands]
        if len(set(codes)) != len(codes):
            self.problems.append("bands: duplicate codes")
        return tuple(bands)

    def _top_parameters(self, value: Any) -> Mapping[str, ParameterValue]:
        if not self._object(value, "parameters"):
            return MappingProxyType({})
        deadlines = value.get("petition_deadlines_working_days")
        if self._object(deadlines, "parameters.petition_deadlines_working_days"):
            for name in _PETITION_DEADLINES:
                days = deadlines.get(name)
                if not _is_int(days) or days <= 0:
                    self.problems.append(
                        f"parameters.petition_deadlines_working_days.{name}: must be a positive integer, "
                        f"got {days!r}"
                    )
        return self._parameter_map(value, "parameters")

    def _groups(self, value: Any) -> tuple[Group, ...]:
        if not isinstance(value, list) or not value:
            self.problems.append("groups: must be a non-empty list")
            return ()
        groups: list[Group] = []
        for index, item in enumerate(value):
            where = f"groups[{index}]"
            if not self._object(item, where):
                continue
            self._keys(item, _GROUP_KEYS, where, required={"code", "name", "max_points"})
            code = self._text(item.get("code"), f"{where}.code")
            where = f"groups[{index}] ({code})"
            maximum = self._positive(item.get("max_points"), f"{where}.max_points")
            if any(group.code == code for group in groups):
                self.problems.append(f"{where}: duplicate group code")
            if maximum is not None:
                groups.append(
                    Group(
                        code=code,
                        name=self._text(item.get("name"), f"{where}.name"),
                        max_points=maximum,
                        name_vi=self._optional_text(item, "name_vi", where),
                    )
                )
        return tuple(groups)

    def _indicators(
        self, value: Any, groups: tuple[Group, ...], levels: tuple[str, ...]
    ) -> tuple[IndicatorRule, ...]:
        if not isinstance(value, list) or not value:
            self.problems.append("indicators: must be a non-empty list")
            return ()
        group_codes = {group.code for group in groups}
        rules: list[IndicatorRule] = []
        for index, item in enumerate(value):
            where = f"indicators[{index}]"
            if not self._object(item, where):
                continue
            self._keys(
                item,
                _INDICATOR_KEYS,
                where,
                required={
                    "code",
                    "group",
                    "max_points",
                    "scoring",
                    "numerator",
                    "denominator",
                    "when_empty",
                    "levels",
                },
            )
            code = self._text(item.get("code"), f"{where}.code")
            where = f"indicators[{index}] ({code})"
            if any(rule.code == code for rule in rules):
                self.problems.append(f"{where}: duplicate indicator code")
            group = item.get("group")
            if group not in group_codes:
                self.problems.append(f"{where}.group: unknown group {group!r}")
            maximum = self._positive(item.get("max_points"), f"{where}.max_points")
            scoring, cap = self._scoring(item, where)
            numerator = self._input_name(item.get("numerator"), f"{where}.numerator")
            denominator = self._input_name(item.get("denominator"), f"{where}.denominator")
            if numerator and numerator == denominator:
                self.problems.append(f"{where}: numerator and denominator are the same count")
            when_empty = item.get("when_empty")
            if when_empty not in ("zero", "full"):
                self.problems.append(f"{where}.when_empty: must be 'zero' or 'full', got {when_empty!r}")
            defaults = self._parameter_map(item.get("parameters", {}), f"{where}.parameters")
            variants = self._variants(item.get("levels"), where, levels, defaults)
            if maximum is not None:
                rules.append(
                    IndicatorRule(
                        code=code,
                        group=str(group),
                        max_points=maximum,
                        scoring=scoring,
                        cap=cap,
                        numerator=numerator,
                        denominator=denominator,
                        when_empty=when_empty,
                        parameters=defaults,
                        levels=variants,
                        name=self._optional_text(item, "name", where),
                        name_vi=self._optional_text(item, "name_vi", where),
                    )
                )
        return tuple(rules)

    def _scoring(self, item: Mapping[str, Any], where: str) -> tuple[Scoring, Decimal | None]:
        scoring = item.get("scoring")
        if scoring == "linear":
            if "cap" in item:
                self.problems.append(f"{where}.cap: given for a linear indicator (use scoring 'cap')")
            return "linear", None
        if scoring == "cap":
            cap = self._number(item.get("cap"), f"{where}.cap")
            if cap is not None and not 0 < cap <= 1:
                self.problems.append(f"{where}.cap: must be in (0, 1], got {cap}")
            return "cap", cap if cap is not None and 0 < cap <= 1 else Decimal(1)
        self.problems.append(f"{where}.scoring: must be 'linear' or 'cap', got {scoring!r}")
        return "linear", None

    def _variants(
        self,
        value: Any,
        where: str,
        levels: tuple[str, ...],
        defaults: Mapping[str, ParameterValue],
    ) -> Mapping[str, LevelVariant]:
        if not self._object(value, f"{where}.levels"):
            return MappingProxyType({})
        missing = [level for level in levels if level not in value]
        extra = [level for level in value if level not in levels]
        if missing:
            self.problems.append(f"{where}.levels: missing {missing} (every level must be stated explicitly)")
        if extra:
            self.problems.append(f"{where}.levels: unknown {extra}")
        variants = {}
        for level in levels:
            variant = value.get(level)
            place = f"{where}.levels.{level}"
            if not self._object(variant, place):
                continue
            self._keys(variant, _VARIANT_KEYS, place, required={"applies"})
            applies = variant.get("applies")
            if not isinstance(applies, bool):
                self.problems.append(f"{place}.applies: must be true or false, got {applies!r}")
            overrides = self._parameter_map(variant.get("parameters", {}), f"{place}.parameters")
            unknown = sorted(set(overrides) - set(defaults))
            if unknown:
                self.problems.append(f"{place}.parameters: {unknown} have no indicator-level default (typo?)")
            variants[level] = LevelVariant(applies=applies is True, parameters=overrides)
        return MappingProxyType(variants)

    def _check_sums(self, groups: tuple[Group, ...], indicators: tuple[IndicatorRule, ...]) -> None:
        total = sum((group.max_points for group in groups), Decimal(0))
        if groups and total != TOTAL_MAX_POINTS:
            self.problems.append(f"groups: maxima sum to {total}, not {TOTAL_MAX_POINTS}")
        for group in groups:
            members = [rule for rule in indicators if rule.group == group.code]
            subtotal = sum((rule.max_points for rule in members), Decimal(0))
            if subtotal != group.max_points:
                codes = ", ".join(rule.code for rule in members) or "none"
                self.problems.append(
                    f"group {group.code}: sub-indicator maxima sum to {subtotal}, not {group.max_points} "
                    f"({codes})"
                )

    # -- primitives ------------------------------------------------------------------------------------

    def _object(self, value: Any, where: str) -> bool:
        if isinstance(value, Mapping):
            return True
        self.problems.append(f"{where}: must be an object")
        return False

    def _keys(self, item: Mapping[str, Any], allowed: set[str], where: str, *, required: set[str]) -> None:
        unknown = sorted(set(item) - allowed)
        if unknown:
            self.problems.append(f"{where}: unknown key(s) {unknown}")
        missing = sorted(required - set(item))
        if missing:
            self.problems.append(f"{where}: missing key(s) {missing}")

    def _text(self, value: Any, where: str) -> str:
        if isinstance(value, str) and value.strip():
            return value
        if value is not None:  # a missing key was already reported by _keys
            self.problems.append(f"{where}: must be a non-empty string")
        return "?"

    def _optional_text(self, item: Mapping[str, Any], key: str, where: str) -> str:
        """A name that may be absent (older files, tests); when present it must be a non-empty string."""
        if key not in item:
            return ""
        return self._text(item[key], f"{where}.{key}")

    def _date(self, value: Any, where: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.problems.append(f"{where}: must be an ISO date (YYYY-MM-DD), got {value!r}")
            return None

    def _number(self, value: Any, where: str) -> Decimal | None:
        if isinstance(value, bool | float):
            kind = "a float" if isinstance(value, float) else "a boolean"
            self.problems.append(f"{where}: {kind} is not accepted; use an integer, Decimal or string")
            return None
        try:
            number = Decimal(value) if isinstance(value, int | Decimal | str) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.problems.append(f"{where}: must be a number, got {value!r}")
            return None
        return number

    def _positive(self, value: Any, where: str) -> Decimal | None:
        number = self._number(value, where)
        if number is not None and number <= 0:
            self.problems.append(f"{where}: must be positive, got {number}")
            return None
        return number

    def _input_name(self, value: Any, where: str) -> str:
        if value in COUNT_NAMES:
            return str(value)
        self.problems.append(f"{where}: unknown input count {value!r}")
        return ""

    def _parameter_map(self, value: Any, where: str) -> Mapping[str, ParameterValue]:
        if not self._object(value, where):
            return MappingProxyType({})
        frozen: dict[str, ParameterValue] = {}
        for key, item in value.items():
            if isinstance(item, Mapping):
                frozen[key] = self._parameter_map(item, f"{where}.{key}")
            elif isinstance(item, bool | float) or not isinstance(item, int | Decimal | str):
                self.problems.append(f"{where}.{key}: must be an integer, Decimal, string or object")
            else:
                frozen[key] = item
        return MappingProxyType(frozen)


def _in_active_language(english: str, vietnamese: str) -> str:
    """Vietnamese unless the request asked for another language (English is the fallback)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return vietnamese if vietnamese and language.split("-")[0] == "vi" else english


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
