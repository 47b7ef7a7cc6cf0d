"""Why a day is or is not a working day, in the reader's language.

The materialised calendar stores each day's reason in English, as composed by
:func:`apps.workcalendar.sources.compose_days` ("holiday: Lunar New Year", "weekend", "day off: <name>"):
stored data must not depend on the language of whoever rebuilt the calendar. The text is translated when
it is shown (deadline explanations, the calendar API), so "holiday: Lunar New Year" reads
"ngày lễ: Tết Nguyên đán" in Vietnamese (the default) and stays as stored in English.

Holiday names come from the ``holidays`` library in English; the announced swaps from
``fixtures/calendar.json``. Both sets are listed below so that ``makemessages`` puts them in the
catalogue (tests/i18n checks that every name the library and the fixture produce has its Vietnamese).
A name an administrator types in another wording is shown as typed.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

#: Fixed reasons composed by the calendar and the deadline explanation.
FIXED_REASONS: tuple[str, ...] = (
    gettext_noop("weekend"),
    gettext_noop("make-up working day (statutory swap)"),
    gettext_noop("non-working day"),
)

#: "prefix: name" reasons; the name part is translated on its own.
_PREFIXED: tuple[tuple[str, str], ...] = (
    ("holiday: ", gettext_noop("holiday: %(name)s")),
    ("day off: ", gettext_noop("day off: %(name)s")),
    ("make-up working day: ", gettext_noop("make-up working day: %(name)s")),
    ("working day: ", gettext_noop("working day: %(name)s")),
)

#: Vietnam's statutory holidays as the ``holidays`` library names them in English (language en_US).
HOLIDAY_NAMES: tuple[str, ...] = (
    gettext_noop("New Year's Day"),
    gettext_noop("29 of Lunar New Year"),
    gettext_noop("Lunar New Year's Eve"),
    gettext_noop("Lunar New Year"),
    gettext_noop("Second Day of Lunar New Year"),
    gettext_noop("Third Day of Lunar New Year"),
    gettext_noop("Fourth Day of Lunar New Year"),
    gettext_noop("Fifth Day of Lunar New Year"),
    gettext_noop("Hung Kings' Commemoration Day"),
    gettext_noop("Liberation Day/Reunification Day"),
    gettext_noop("International Labor Day"),
    gettext_noop("National Day"),
    gettext_noop("%s (observed)"),
)

#: The announced swaps shipped in fixtures/calendar.json (the default calendar's exceptions).
FIXTURE_NAMES: tuple[str, ...] = (
    gettext_noop("Make-up for Friday 2 May 2025 (Reunification Day / Labour Day break)"),
    gettext_noop("Reunification Day / Labour Day break (swapped with Saturday 26 April 2025)"),
    gettext_noop("Make-up for Monday 31 August 2026 (National Day break)"),
    gettext_noop("National Day break (swapped with Saturday 22 August 2026)"),
    gettext_noop("National working calendar"),
)

_OBSERVED = re.compile(r"^(?P<name>.+) \(observed\)$")
# The library's substitute days, e.g. "Day off (substituted from 05/04/2024)" (month/day/year in en_US).
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (?P<m>\d{2})/(?P<d>\d{2})/(?P<y>\d{4})\)$")
gettext_noop("Day off (substituted from %(date)s)")


def _is_vietnamese() -> bool:
    return (translation.get_language() or "vi").split("-")[0] == "vi"


def translate_name(name: str) -> str:
    """A holiday's or an announced swap's name in the active language; unknown names as given."""
    substituted = _SUBSTITUTED.match(name)
    if substituted:
        day = dt.date(int(substituted["y"]), int(substituted["m"]), int(substituted["d"]))
        shown = f"{day:%d/%m/%Y}" if _is_vietnamese() else f"{day:%m/%d/%Y}"
        return gettext("Day off (substituted from %(date)s)") % {"date": shown}
    observed = _OBSERVED.match(name)
    if observed:
        return gettext("%s (observed)") % translate_name(observed["name"])
    return gettext(name) if name else name


def translate_reason(reason: str) -> str:
    """A stored day reason ("holiday: Lunar New Year") in the active language ("ngày lễ: Tết Nguyên đán")."""
    if not reason:
        return reason
    for prefix, template in _PREFIXED:
        if reason.startswith(prefix):
            return gettext(template) % {"name": translate_name(reason[len(prefix) :])}
    return gettext(reason)
