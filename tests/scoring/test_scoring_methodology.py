"""The methodology file: its content, validation of broken copies, and choosing a version by date."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from apps.scoring.engine import score
from apps.scoring.inputs import COUNT_NAMES, IndicatorInputs
from apps.scoring.methodology import BUNDLED_DIR, Methodology, MethodologyError, load_directory

V1_PATH = BUNDLED_DIR / "766-2022-v1.json"
V1 = Methodology.from_file(V1_PATH)

EXPECTED_INDICATORS = {
    "CKMB": ["PUBLISH_ON_TIME", "PUBLIC_UPDATE_ON_TIME", "PUBLIC_CONTENT_FULL", "DOSSIER_SYNC"],
    "TDGQ": ["PROGRESS"],
    "CLGQ": ["ONLINE_PROCEDURES", "ONLINE_SERVICES_USED", "ONLINE_DOSSIERS"],
    "TTTT": ["PAYMENT_DOSSIERS", "PAYMENT_PROCEDURES", "PAYMENT_FEE_SYNCED"],
    "MDSH": [
        "ORIGINAL_RESULT_AVAILABLE",
        "SO_HOA_GIAY_TO_GIAI_QUYET",
        "ELECTRONIC_CERTIFIED_COPY",
        "REUSED_DIGITIZED_DATA",
        "SYNCED_WITH_PERSONAL_STORAGE",
        "CITIZEN_DATA_CONNECTED_DOSSIER",
        "CITIZEN_DATA_CONNECTED_FORMALITY",
    ],
    "MDHL": [
        "PETITION_PROCESSING_ON_TIME",
        "PETITION_HANDLING_SATISFACTION",
        "DOSSIER_RECEIVING_SATISFACTION",
    ],
}


def _v1_data() -> dict:
    return json.loads(V1_PATH.read_text(encoding="utf-8"), parse_float=Decimal)


def _rule(data: dict, code: str) -> dict:
    return next(item for item in data["indicators"] if item["code"] == code)


def _write(directory: Path, data: dict) -> Path:
    path = directory / f"{data['version']}.json"
    path.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
    return path


def test_bundled_version_content():
    assert (V1.version, V1.decision, V1.valid_from) == ("766-2022-v1", "766/QĐ-TTg", dt.date(2022, 6, 23))
    assert (V1.revision, V1.key) == (3, "766-2022-v1 r3")  # r2 and r3 correct misreadings (CHANGELOG.md)
    assert [(g.code, g.max_points) for g in V1.groups] == [
        ("CKMB", 18),
        ("TDGQ", 20),
        ("CLGQ", 12),
        ("TTTT", 10),
        ("MDSH", 22),
        ("MDHL", 18),
    ]
    assert {g: [r.code for r in V1.indicators_in(g)] for g in EXPECTED_INDICATORS} == EXPECTED_INDICATORS
    assert V1.indicator("ONLINE_DOSSIERS").cap == Decimal("0.5")
    assert V1.indicator("DOSSIER_RECEIVING_SATISFACTION").cap == Decimal("0.9")
    assert V1.parameters["petition_deadlines_working_days"] == {
        "reject": 2,
        "request_information": 5,
        "handle": 15,
    }
    assert [(b.code, b.min) for b in V1.bands] == [("high", 94), ("middle", 90), ("low", 0)]
    assert V1.rounding_places == 2


@pytest.mark.parametrize(
    ("code", "level", "name", "value"),
    [
        ("PUBLISH_ON_TIME", "province", "min_lead_working_days", 5),
        ("PUBLISH_ON_TIME", "commune", "min_lead_working_days", 5),
        ("PUBLISH_ON_TIME", "ministry", "min_lead_working_days", 20),
        ("PUBLIC_UPDATE_ON_TIME", "department", "max_delay_working_days", 5),
        ("PUBLIC_UPDATE_ON_TIME", "ministry", "max_delay_working_days", 10),
    ],
)
def test_counting_parameters_per_level(code, level, name, value):
    assert V1.parameters_for(code, level)[name] == value


def test_every_input_count_feeds_some_indicator():
    used = {r.numerator for r in V1.indicators} | {r.denominator for r in V1.indicators}

    assert used == set(COUNT_NAMES)


def _top(key: str, value):
    def mutate(data: dict) -> None:
        data[key] = value

    return mutate


def _rule_key(code: str, key: str, value):
    def mutate(data: dict) -> None:
        _rule(data, code)[key] = value

    return mutate


def _first_group_max(value):
    def mutate(data: dict) -> None:
        data["groups"][0]["max_points"] = value

    return mutate


def _delete_commune_level(data: dict) -> None:
    del _rule(data, "PROGRESS")["levels"]["commune"]


def _duplicate_indicator(data: dict) -> None:
    data["indicators"].append(copy.deepcopy(_rule(data, "PROGRESS")))


def _typo_in_level_parameter(data: dict) -> None:
    _rule(data, "PUBLISH_ON_TIME")["levels"]["ministry"]["parameters"] = {"min_lead_workingdays": 20}


def _drop_petition_deadline(data: dict) -> None:
    del data["parameters"]["petition_deadlines_working_days"]["handle"]


def _unsorted_bands(data: dict) -> None:
    data["bands"][1]["min"] = 95


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_first_group_max(19), "groups: maxima sum to 101, not 100"),
        (_first_group_max(19), "group CKMB: sub-indicator maxima sum to 18, not 19"),
        (_rule_key("PROGRESS", "max_points", 19), "group TDGQ: sub-indicator maxima sum to 19, not 20"),
        (_rule_key("PROGRESS", "numerator", "dossiers_ontime"), "unknown input count 'dossiers_ontime'"),
        (_rule_key("PROGRESS", "denominator", "dossiers_on_time"), "numerator and denominator are the same"),
        (_rule_key("ONLINE_DOSSIERS", "scoring", "capped"), "scoring: must be 'linear' or 'cap'"),
        (_rule_key("ONLINE_DOSSIERS", "cap", Decimal("1.5")), "cap: must be in (0, 1]"),
        (_rule_key("PROGRESS", "cap", Decimal("0.5")), "cap: given for a linear indicator"),
        (_rule_key("PROGRESS", "when_empty", "skip"), "when_empty: must be 'zero' or 'full'"),
        (_rule_key("PROGRESS", "group", "XXXX"), "unknown group 'XXXX'"),
        (_delete_commune_level, "missing ['commune']"),
        (_duplicate_indicator, "duplicate indicator code"),
        (_typo_in_level_parameter, "no indicator-level default"),
        (_drop_petition_deadline, "petition_deadlines_working_days.handle"),
        (_unsorted_bands, "minima must strictly decrease"),
        (_top("valid_from", "23/06/2022"), "valid_from: must be an ISO date"),
        (_top("rounding", {"mode": "half_even", "places": 2, "scope": "sub_indicator"}), "only 'half_up'"),
        (_top("levels", ["province", "district"]), "unknown ['district']"),
        (_top("weights", {}), "unknown key(s) ['weights']"),
        (_top("revision", 0), "revision: must be a positive integer"),
        (_top("revision", "2"), "revision: must be a positive integer"),
    ],
)
def test_a_broken_copy_is_refused_with_a_clear_error(tmp_path, mutate, message):
    data = _v1_data()
    mutate(data)

    with pytest.raises(MethodologyError) as excinfo:
        Methodology.from_file(_write(tmp_path, data))

    assert message in str(excinfo.value)
    assert str(tmp_path) in str(excinfo.value)


def test_a_file_without_a_revision_is_its_first_revision(tmp_path):
    data = _v1_data()
    del data["revision"]

    assert Methodology.from_file(_write(tmp_path, data)).revision == 1


def test_all_problems_are_reported_at_once():
    data = _v1_data()
    _rule(data, "PROGRESS")["numerator"] = "nope"
    _rule(data, "ONLINE_DOSSIERS")["cap"] = Decimal(2)

    with pytest.raises(MethodologyError) as excinfo:
        Methodology.from_dict(data)

    assert len(excinfo.value.problems) == 2


def test_floats_are_refused_in_data_built_by_code():
    data = _v1_data()
    _rule(data, "ONLINE_DOSSIERS")["cap"] = 0.5

    with pytest.raises(MethodologyError, match="a float is not accepted"):
        Methodology.from_dict(data)


def test_file_name_must_match_version(tmp_path):
    path = tmp_path / "766-2022-v9.json"
    path.write_text(V1_PATH.read_text(encoding="utf-8"), encoding="utf-8")

    with pytest.raises(MethodologyError, match="does not match version"):
        Methodology.from_file(path)


def test_unreadable_json_is_reported(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"version": ', encoding="utf-8")

    with pytest.raises(MethodologyError, match="cannot read JSON"):
        Methodology.from_file(path)


def _v2_with_moved_threshold() -> dict:
    """A later version (written here as data) in which online dossiers need 60% for full points."""
    data = _v1_data()
    data["version"] = "766-2025-v2"
    data["valid_from"] = "2025-01-01"
    _rule(data, "ONLINE_DOSSIERS")["cap"] = Decimal("0.6")
    return data


def test_a_second_version_is_picked_by_date_and_changes_the_score(tmp_path):
    _write(tmp_path, _v1_data())
    _write(tmp_path, _v2_with_moved_threshold())
    versions = load_directory(tmp_path)
    inputs = IndicatorInputs.zero("province", dossiers_received=100, dossiers_online_counted=50)

    before = Methodology.for_date(dt.date(2024, 12, 31), methodologies=versions)
    after = Methodology.for_date(dt.date(2025, 1, 1), methodologies=versions)

    assert (before.version, after.version) == ("766-2022-v1", "766-2025-v2")
    old, new = score(inputs, before), score(inputs, after)
    assert old.indicator("ONLINE_DOSSIERS").points == Decimal("6.00")
    assert new.indicator("ONLINE_DOSSIERS").points == Decimal("5.00")
    assert (old.methodology_version, new.methodology_version) == ("766-2022-v1", "766-2025-v2")


def test_for_date_defaults_to_the_bundled_versions_and_refuses_ambiguity():
    assert Methodology.for_date(dt.date(2025, 6, 1)).version == "766-2022-v1"
    with pytest.raises(LookupError, match="no methodology is in force"):
        Methodology.for_date(dt.date(2022, 6, 22))
    with pytest.raises(TypeError):
        Methodology.for_date(dt.datetime(2025, 6, 1, 12, 0))
    twin = Methodology.from_dict({**_v1_data(), "version": "766-2022-twin"})
    with pytest.raises(MethodologyError, match="duplicate valid_from"):
        Methodology.for_date(dt.date(2025, 6, 1), methodologies=[V1, twin])
