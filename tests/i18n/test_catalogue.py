"""The Vietnamese catalogue: committed compiled, complete, and covering every text the service shows.

The .mo files are committed so that installing and testing need no GNU gettext; these tests are what keeps
them honest (scripts/compile_messages.py rebuilds them in pure Python).
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import sys

import holidays
import polib
import pytest
from django.apps import apps as django_apps
from django.db import models
from django.utils import translation

from apps.core.catalogue_extras import DRF_MESSAGES, NOUNS
from apps.scoring.methodology import bundled_methodologies
from apps.workcalendar.reasons import FIXTURE_NAMES, HOLIDAY_NAMES, translate_name, translate_reason
from apps.workcalendar.sources import read_default_seed, statutory_holidays
from scripts.compile_messages import LOCALE_DIR, compiled_bytes, messages_of, out_of_date

VI_PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / "django.po"
NAMED = re.compile(r"%\((\w+)\)[sd]")
BRACED = re.compile(r"\{(\w+)[^}]*\}")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(VI_PO))


@pytest.fixture(scope="module")
def translated(catalogue) -> dict[str, str]:
    return {entry.msgid: entry.msgstr for entry in catalogue.translated_entries()}


def test_the_committed_mo_files_are_compiled_from_their_po():
    stale = out_of_date()
    assert stale == [], f"run: .venv/bin/python scripts/compile_messages.py ({stale})"


def test_the_compiled_catalogue_serves_what_the_po_says(translated):
    served = messages_of(VI_PO.with_suffix(".mo").read_bytes())
    assert served == messages_of(compiled_bytes(VI_PO))
    assert served["Lunar New Year"] == translated["Lunar New Year"] == "Tết Nguyên đán"


def test_every_entry_has_its_vietnamese_and_none_is_fuzzy(catalogue):
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    assert catalogue.metadata["Language"] == "vi"
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=1;")


def test_placeholders_survive_translation(catalogue):
    """A translation that drops or renames %(name)s or {name} would fail at run time."""
    pairs = []
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:  # Vietnamese has one form, which must carry the plural's placeholders
            pairs.append((entry.msgid_plural, entry.msgstr_plural[0]))
        else:
            pairs.append((entry.msgid, entry.msgstr))
    broken = [
        source
        for source, text in pairs
        if sorted(NAMED.findall(source)) != sorted(NAMED.findall(text))
        or sorted(BRACED.findall(source)) != sorted(BRACED.findall(text))
        or source.count("%s") != text.count("%s")
    ]
    assert broken == []
    assert ("%(limit)s working hour(s)", "%(limit)s giờ làm việc") in pairs


def _choices_classes() -> list[type[models.Choices]]:
    """Every choices enum defined in the project's apps (status, channel, timeliness, roles, kinds…)."""
    found = []
    for config in django_apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        for name, module in list(sys.modules.items()):
            if name == config.name or name.startswith(config.name + "."):
                for _, value in inspect.getmembers(module, inspect.isclass):
                    if issubclass(value, models.Choices) and value.__module__ == name and value not in found:
                        found.append(value)
    return found


def test_every_choices_label_has_a_vietnamese_text(translated):
    classes = _choices_classes()
    names = {cls.__name__ for cls in classes}
    assert {"Status", "Channel", "Timeliness", "PetitionStatus", "UnitKind", "Role", "EventKind"} <= names
    missing = []
    for cls in classes:
        with translation.override("en"):
            labels = [str(label) for label in cls.labels]
        missing += [
            f"{cls.__module__}.{cls.__name__}: {label!r}" for label in labels if label not in translated
        ]
    assert missing == []


def test_drf_messages_and_interpolated_nouns_are_translated(translated):
    assert [m for m in (*DRF_MESSAGES, *NOUNS) if m not in translated] == []
    assert translated["This field is required."] == "Trường này là bắt buộc."


def test_every_holiday_the_library_names_reads_in_vietnamese():
    """2024–2030 (beyond the calendar's range, so a later extension is covered too)."""
    library = statutory_holidays(2024, 2030)
    untranslated = []
    with translation.override("vi"):
        for day, name in sorted(library.items()):
            if translate_name(name) == name:
                untranslated.append((day, name))
    assert untranslated == []
    with translation.override("vi"):
        assert translate_name("Hung Kings' Commemoration Day") == "Giỗ Tổ Hùng Vương"
        assert translate_name("National Day (observed)") == "Quốc khánh (nghỉ bù)"
        assert translate_name("Liberation Day/Reunification Day").startswith("Ngày Chiến thắng")
        assert (
            translate_name("Day off (substituted from 05/04/2024)") == "Ngày nghỉ (thay cho ngày 04/05/2024)"
        )
    with translation.override("en"):
        assert (
            translate_name("Day off (substituted from 05/04/2024)") == "Day off (substituted from 05/04/2024)"
        )


def test_the_library_names_the_holidays_as_listed():
    """HOLIDAY_NAMES is what makemessages extracts: a library upgrade that renames one must show up."""
    names = {name for _, name in statutory_holidays(2024, 2030).items()}
    plain = {re.sub(r" \(observed\)$", "", name) for name in names if not name.startswith("Day off")}
    assert plain <= set(HOLIDAY_NAMES)
    assert holidays.country_holidays("VN", years=2026)[dt.date(2026, 9, 2)]  # the library still answers


def test_every_announced_swap_in_the_fixture_reads_in_vietnamese(translated):
    seed = read_default_seed()
    names = {row.name for row in seed.exceptions} | {seed.name}
    assert names <= set(FIXTURE_NAMES)
    assert all(name in translated for name in names)
    with translation.override("vi"):
        assert (
            translate_reason(f"day off: {sorted(names)[0]}") == f"ngày nghỉ: {translated[sorted(names)[0]]}"
        )


def test_reasons_compose_in_both_languages():
    with translation.override("vi"):
        assert translate_reason("holiday: Lunar New Year") == "ngày lễ: Tết Nguyên đán"
        assert translate_reason("weekend") == "ngày nghỉ cuối tuần"
        assert translate_reason("day off: Province keeps Sat off") == "ngày nghỉ: Province keeps Sat off"
        assert translate_reason("") == ""
    with translation.override("en"):
        assert translate_reason("holiday: Lunar New Year") == "holiday: Lunar New Year"
        assert (
            translate_reason("make-up working day (statutory swap)") == "make-up working day (statutory swap)"
        )


def test_the_766_groups_and_indicators_have_both_names():
    for methodology in bundled_methodologies():
        assert all(group.name and group.name_vi for group in methodology.groups)
        assert all(rule.name and rule.name_vi for rule in methodology.indicators)
        with translation.override("vi"):
            assert methodology.group_name("CKMB") == "Công khai, minh bạch"
            assert methodology.group_name("MDSH") == "Mức độ số hóa hồ sơ"
            assert methodology.indicator_name("PUBLISH_ON_TIME") == "Công bố TTHC đúng hạn"
            assert methodology.indicator_name("DOSSIER_SYNC") == "Đồng bộ hồ sơ lên Cổng DVC quốc gia"
        with translation.override("en"):
            assert methodology.group_name("CKMB") == "Transparency"
            assert methodology.indicator_name("PUBLISH_ON_TIME") == "Procedures published on time"
        with pytest.raises(KeyError):
            methodology.indicator_name("NO_SUCH_INDICATOR")
