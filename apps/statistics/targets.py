"""Reading and checking what-if targets: the one rule the API's ``?target=CODE:rate`` and the console's
form (one percentage per indicator or group) both apply before :func:`apps.statistics.reports.what_if`.

A target is a rate in [0, 1] for an indicator, or a share of its maximum for a group; an indicator may
not be targeted together with its own group. The scoring engine refuses the same things with plain
English errors; checking here first gives each refused target its own message, in the user's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from apps.scoring.methodology import Methodology

HUNDRED = Decimal(100)


class TargetRefused(ValueError):
    """A target that cannot be used; ``code`` is the indicator or group it was for (``None``: unreadable)."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_number(text: str, *, decimal_comma: bool = False) -> Decimal | None:
    """A finite decimal number (``85``, ``85.5``; ``85,5`` too with ``decimal_comma``, as Vietnamese
    writes it in a form); else ``None``."""
    text = text.strip()
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_api_targets(raw: Iterable[str]) -> dict[str, Decimal]:
    """The API's repeatable ``target=CODE:rate`` (a rate in [0, 1]) as ``{code: rate}``.

    Raises :class:`TargetRefused` for an entry that is not ``CODE:number``; range and codes are
    :func:`target_problems`' business.
    """
    targets: dict[str, Decimal] = {}
    for entry in raw:
        name, _, value = entry.partition(":")
        rate = parse_number(value) if value.strip() else None
        if rate is None or not name.strip():
            raise TargetRefused(None, gettext("%(value)s is not CODE:rate.") % {"value": repr(entry)})
        targets[name.strip()] = rate
    return targets


def target_problems(
    targets: Mapping[str, Decimal], methodology: Methodology, *, percent: bool = False
) -> dict[str, str]:
    """Why each refused target is refused, by code (empty: every target can be projected).

    ``targets`` are rates in [0, 1]; ``percent`` only words the range message for a form that asked
    for percentages.
    """
    groups = {group.code for group in methodology.groups}
    indicators = {rule.code: rule.group for rule in methodology.indicators}
    problems: dict[str, str] = {}
    for code, rate in targets.items():
        if code not in groups and code not in indicators:
            problems[code] = gettext("%(code)s is not an indicator or group of the index.") % {"code": code}
        elif not 0 <= rate <= 1:
            if percent:
                problems[code] = gettext("Enter a rate from 0 to 100.")
            else:
                problems[code] = gettext("%(code)s: a rate is between 0 and 1.") % {"code": code}
        elif code in indicators and indicators[code] in targets:
            problems[code] = gettext(
                "%(code)s is in the group %(group)s, which has a target of its own: set one or the other."
            ) % {"code": code, "group": indicators[code]}
    return problems


def parse_percent_fields(fields: Mapping[str, str]) -> tuple[dict[str, Decimal], dict[str, str]]:
    """The console's form (``{code: "85"}``, empty meaning no target) as rates in [0, 1] and problems.

    A value that is not a number is refused here; the rest goes through :func:`target_problems`, so
    the form refuses exactly what the API refuses.
    """
    targets: dict[str, Decimal] = {}
    problems: dict[str, str] = {}
    for code, text in fields.items():
        if not text.strip():
            continue
        number = parse_number(text, decimal_comma=True)
        if number is None:
            problems[code] = gettext("Enter a number, such as 90 or 92.5.")
        else:
            targets[code] = number / HUNDRED
    return targets, problems
