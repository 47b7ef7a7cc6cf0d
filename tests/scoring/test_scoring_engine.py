"""Engine behaviour by rule: caps, empty denominators, levels, roll-up, what-if and shortfalls."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from apps.scoring.engine import room_for_improvement, score, total_of, what_if
from apps.scoring.inputs import COUNT_NAMES, IndicatorInputs
from apps.scoring.methodology import Methodology

METHODOLOGY = Methodology.for_date(dt.date(2025, 3, 3))


def _perfect(level: str) -> IndicatorInputs:
    """Every numerator equals its non-zero denominator."""
    return IndicatorInputs.zero(level, **dict.fromkeys(COUNT_NAMES, 10))


@pytest.mark.parametrize("level", ["province", "department", "commune", "ministry"])
def test_a_perfect_unit_scores_exactly_100(level):
    result = score(_perfect(level), METHODOLOGY)

    assert result.total == Decimal("100.00")
    assert str(result.total) == "100.00"
    assert all(group.percent == Decimal("100.00") for group in result.groups)
    assert result.band == "high"
    assert room_for_improvement(result) == []


def test_every_score_records_the_methodology_version():
    result = score(IndicatorInputs.zero("province"), METHODOLOGY)

    assert result.methodology_version == "766-2022-v1"
    assert result.to_dict()["methodology_version"] == "766-2022-v1"
    assert result.to_dict()["methodology"] == {"code": "766-2022-v1", "revision": 3}
    assert result.methodology_key == METHODOLOGY.key == "766-2022-v1 r3"


@pytest.mark.parametrize(
    ("code", "counts", "points"),
    [
        # ONLINE_DOSSIERS: 6 × min(1, C / 0.5)
        ("ONLINE_DOSSIERS", {"dossiers_received": 100, "dossiers_online_counted": 50}, "6.00"),
        ("ONLINE_DOSSIERS", {"dossiers_received": 100, "dossiers_online_counted": 80}, "6.00"),
        ("ONLINE_DOSSIERS", {"dossiers_received": 100, "dossiers_online_counted": 25}, "3.00"),
        ("ONLINE_DOSSIERS", {"dossiers_received": 100, "dossiers_online_counted": 0}, "0.00"),
        # ONLINE_PROCEDURES: 2 × min(1, A / 0.8)
        ("ONLINE_PROCEDURES", {"procedures_under_authority": 10, "procedures_online": 8}, "2.00"),
        ("ONLINE_PROCEDURES", {"procedures_under_authority": 10, "procedures_online": 4}, "1.00"),
        # ONLINE_SERVICES_USED: 4 × B, B over online services (unit × procedure), not over procedures
        (
            "ONLINE_SERVICES_USED",
            {"procedures_under_authority": 90, "procedures_online": 50, "online_services_offered": 1900}
            | {"online_services_used": 500},
            "1.05",
        ),
        ("ONLINE_SERVICES_USED", {"online_services_offered": 3, "online_services_used": 3}, "4.00"),
        # PAYMENT_FEE_SYNCED: cap 0.8 by default (unconfirmed)
        ("PAYMENT_FEE_SYNCED", {"fee_procedures": 10, "fee_procedures_synced": 6}, "1.50"),
        # REUSED_DIGITIZED_DATA: cap 0.8
        ("REUSED_DIGITIZED_DATA", {"dossiers_received": 5, "dossiers_reused": 4}, "2.00"),
        # DOSSIER_RECEIVING_SATISFACTION: 6 × min(1, R / 0.9)
        ("DOSSIER_RECEIVING_SATISFACTION", {"dossiers_in_period": 100, "dossiers_satisfactory": 90}, "6.00"),
        ("DOSSIER_RECEIVING_SATISFACTION", {"dossiers_in_period": 100, "dossiers_satisfactory": 45}, "3.00"),
        ("DOSSIER_RECEIVING_SATISFACTION", {"dossiers_in_period": 3, "dossiers_satisfactory": 2}, "4.44"),
        # SO_HOA_GIAY_TO_GIAI_QUYET: linear in v1 (the sheet's cap 0.8 would give 4.00 here)
        ("SO_HOA_GIAY_TO_GIAI_QUYET", {"dossiers_in_period": 10, "dossiers_digitized": 8}, "3.20"),
    ],
)
def test_caps_and_linear_terms(code, counts, points):
    indicator = score(IndicatorInputs.zero("province", **counts), METHODOLOGY).indicator(code)

    assert indicator.points == Decimal(points)
    assert indicator.status == "scored"


@pytest.mark.parametrize(
    ("code", "points", "status"),
    [
        ("PUBLISH_ON_TIME", "0.00", "no_data"),  # revision 2: no decision in the period is not full marks
        ("PUBLIC_UPDATE_ON_TIME", "0.00", "no_data"),
        ("PAYMENT_DOSSIERS", "0.00", "no_data"),
        ("PAYMENT_PROCEDURES", "0.00", "no_data"),
        ("PAYMENT_FEE_SYNCED", "0.00", "no_data"),
        ("PROGRESS", "0.00", "no_data"),
        ("DOSSIER_RECEIVING_SATISFACTION", "0.00", "no_data"),
        ("PETITION_PROCESSING_ON_TIME", "6.00", "full_when_empty"),
        ("PETITION_HANDLING_SATISFACTION", "6.00", "full_when_empty"),
    ],
)
def test_zero_denominators(code, points, status):
    indicator = score(IndicatorInputs.zero("province"), METHODOLOGY).indicator(code)

    assert (indicator.points, indicator.status, indicator.rate) == (Decimal(points), status, None)


def test_petitions_are_scored_once_there_are_some():
    inputs = IndicatorInputs.zero(
        "province", petitions=4, petitions_on_time=3, petitions_first_received=4, petitions_satisfactory=0
    )
    result = score(inputs, METHODOLOGY)

    assert result.indicator("PETITION_PROCESSING_ON_TIME").points == Decimal("4.50")
    assert result.indicator("PETITION_HANDLING_SATISFACTION").points == Decimal("0.00")


@pytest.mark.parametrize(
    ("level", "code", "status"),
    [
        ("commune", "ELECTRONIC_CERTIFIED_COPY", "not_applicable"),
        ("department", "ELECTRONIC_CERTIFIED_COPY", "not_applicable"),
        ("ministry", "ELECTRONIC_CERTIFIED_COPY", "not_applicable"),
        ("province", "ELECTRONIC_CERTIFIED_COPY", "no_data"),
        # revision 2: the citizen-data indicators apply at every level, so 0 of 0 is no data everywhere
        ("province", "CITIZEN_DATA_CONNECTED_DOSSIER", "no_data"),
        ("department", "CITIZEN_DATA_CONNECTED_DOSSIER", "no_data"),
        ("commune", "CITIZEN_DATA_CONNECTED_DOSSIER", "no_data"),
        ("commune", "CITIZEN_DATA_CONNECTED_FORMALITY", "no_data"),
        ("ministry", "CITIZEN_DATA_CONNECTED_FORMALITY", "no_data"),
    ],
)
def test_not_applicable_gives_full_points(level, code, status):
    indicator = score(IndicatorInputs.zero(level), METHODOLOGY).indicator(code)

    assert indicator.status == status
    expected = indicator.max_points if status == "not_applicable" else Decimal("0.00")
    assert indicator.points == expected


TRANSPARENCY_WITHOUT_DECISIONS = {"procedures_published": 40, "procedures_content_full": 39}


@pytest.mark.parametrize(
    ("counts", "publish", "update", "group"),
    [
        # a month without publication decisions: 0 of 0 adds nothing (rule book 1: 1.95 + 6 = 7.95 of 18)
        ({**TRANSPARENCY_WITHOUT_DECISIONS}, ("0.00", "no_data"), ("0.00", "no_data"), "7.95"),
        # decisions but nothing to disclose: only the empty term is no data
        (
            {
                **TRANSPARENCY_WITHOUT_DECISIONS,
                "procedures_with_decision": 4,
                "procedures_published_on_time": 3,
            },
            ("4.50", "scored"),
            ("0.00", "no_data"),
            "12.45",
        ),
        # every term has data: as before the correction
        (
            {
                **TRANSPARENCY_WITHOUT_DECISIONS,
                "procedures_with_decision": 4,
                "procedures_published_on_time": 4,
                "procedures_to_disclose": 2,
                "procedures_disclosed_on_time": 1,
            },
            ("6.00", "scored"),
            ("2.00", "scored"),
            "15.95",
        ),
    ],
)
@pytest.mark.parametrize("level", ["province", "department", "commune"])
def test_transparency_without_decisions_is_no_data_not_full_marks(level, counts, publish, update, group):
    inputs = IndicatorInputs.zero(level, dossiers_received=10, dossiers_synced=10, **counts)
    result = score(inputs, METHODOLOGY)

    for code, (points, status) in (("PUBLISH_ON_TIME", publish), ("PUBLIC_UPDATE_ON_TIME", update)):
        indicator = result.indicator(code)
        assert (str(indicator.points), indicator.status) == (points, status), code
        assert indicator.max_points == METHODOLOGY.indicator(code).max_points
    assert (str(result.group("CKMB").points), result.group("CKMB").max_points) == (group, Decimal(18))
    assert result.max_points == Decimal(100)


@pytest.mark.parametrize(
    ("level", "counts", "dossier", "formality"),
    [
        # a commune's own dossiers and its commune-level procedures, scored like a province's
        (
            "commune",
            {
                "dossiers_in_period": 8,
                "dossiers_eid": 6,
                "citizen_procedures": 5,
                "citizen_procedures_eid": 2,
            },
            ("1.50", "scored"),
            ("0.80", "scored"),
        ),
        (
            "commune",
            {
                "dossiers_in_period": 3,
                "dossiers_eid": 3,
                "citizen_procedures": 1,
                "citizen_procedures_eid": 1,
            },
            ("2.00", "scored"),
            ("2.00", "scored"),
        ),
        (
            "commune",
            {"dossiers_in_period": 4, "citizen_procedures": 2},
            ("0.00", "scored"),
            ("0.00", "scored"),
        ),
        ("commune", {}, ("0.00", "no_data"), ("0.00", "no_data")),  # revision 1 gave 2 + 2 here
        (
            "department",
            {
                "dossiers_in_period": 16,
                "dossiers_eid": 3,
                "citizen_procedures": 3,
                "citizen_procedures_eid": 1,
            },
            ("0.38", "scored"),  # 2 × 3/16 = 0.375, half-up
            ("0.67", "scored"),
        ),
    ],
)
def test_citizen_data_indicators_are_scored_below_the_province(level, counts, dossier, formality):
    result = score(IndicatorInputs.zero(level, **counts), METHODOLOGY)

    for code, expected in (
        ("CITIZEN_DATA_CONNECTED_DOSSIER", dossier),
        ("CITIZEN_DATA_CONNECTED_FORMALITY", formality),
    ):
        indicator = result.indicator(code)
        assert (str(indicator.points), indicator.status) == expected, code


def test_province_scores_certified_copies_over_its_communes():
    inputs = IndicatorInputs.zero("province", communes=3, communes_e_copy=2)

    assert score(inputs, METHODOLOGY).indicator("ELECTRONIC_CERTIFIED_COPY").points == Decimal("1.33")


def test_summing_counts_is_not_averaging_scores():
    small = IndicatorInputs.zero("department", dossiers_in_period=10, dossiers_on_time=10)
    large = IndicatorInputs.zero("department", dossiers_in_period=90, dossiers_on_time=45)
    parent = IndicatorInputs.zero("province") + small + large

    average = (
        score(small, METHODOLOGY).group("TDGQ").points + score(large, METHODOLOGY).group("TDGQ").points
    ) / 2
    summed = score(parent, METHODOLOGY).group("TDGQ").points

    assert average == Decimal("15.00")  # (20 + 10) / 2
    assert summed == Decimal("11.00")  # 20 × 55 / 100
    assert parent.level == "province"


def test_groups_and_total_are_sums_of_rounded_points():
    # Three terms of 6 × 1/3 = 1.9999… each round to 2.00 (not 6 × 3/3 rounded once).
    inputs = IndicatorInputs.zero(
        "province",
        fee_dossiers=3,
        fee_dossiers_paid_online=1,
        fee_procedures=3,
        fee_procedures_paid_online=1,
        fee_procedures_synced=1,
    )
    result = score(inputs, METHODOLOGY)

    payment = [i.points for i in result.indicators if i.group == "TTTT"]
    assert payment == [Decimal("2.00"), Decimal("0.83"), Decimal("0.83")]
    assert result.group("TTTT").points == Decimal("3.66")
    assert result.total == sum((g.points for g in result.groups), Decimal(0))


def test_rate_and_percent_are_reported_for_display():
    result = score(
        IndicatorInputs.zero("province", dossiers_in_period=161, dossiers_on_time=156), METHODOLOGY
    )

    assert result.indicator("PROGRESS").rate == Decimal("0.968944")
    assert result.group("TDGQ").percent == Decimal("96.90")


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"dossiers_in_period": 5, "dossiers_on_time": 6}, "exceeds"),
        ({"dossiers_in_period": 0, "dossiers_on_time": 1}, "dossiers_in_period=0"),
    ],
)
def test_impossible_counts_are_refused(counts, message):
    with pytest.raises(ValueError, match=message):
        score(IndicatorInputs.zero("province", **counts), METHODOLOGY)


@pytest.mark.parametrize(
    ("targets", "gain"),
    [
        ({"ONLINE_SERVICES_USED": Decimal("0.9")}, "3.12"),  # 4 × 0.9 − 0.48
        ({"ONLINE_DOSSIERS": Decimal("0.25")}, "-3.00"),  # signed: below the current level
        ({"ONLINE_DOSSIERS": Decimal("1")}, "0.00"),  # already capped
        ({"CLGQ": Decimal("1"), "PROGRESS": Decimal("0.5")}, "13.52"),  # 3.52 + 10.00
        ({"CITIZEN_DATA_CONNECTED_DOSSIER": Decimal("1")}, "2.00"),
    ],
)
def test_what_if(targets, gain):
    inputs = IndicatorInputs.zero(
        "province",
        procedures_under_authority=100,
        procedures_online=100,
        online_services_offered=100,
        online_services_used=12,
        dossiers_received=10,
        dossiers_online_counted=5,
    )

    result = what_if(inputs, METHODOLOGY, targets)

    assert result.gain == Decimal(gain)
    assert result.methodology_version == METHODOLOGY.version


def test_what_if_on_a_not_applicable_indicator_changes_nothing():
    result = what_if(IndicatorInputs.zero("commune"), METHODOLOGY, {"ELECTRONIC_CERTIFIED_COPY": Decimal(0)})

    assert result.gain == Decimal("0.00")


@pytest.mark.parametrize(
    ("targets", "error"),
    [
        ({"NOPE": Decimal("0.5")}, ValueError),
        ({"PROGRESS": Decimal("1.2")}, ValueError),
        ({"PROGRESS": 0.5}, TypeError),
        ({"CLGQ": Decimal("0.9"), "ONLINE_DOSSIERS": Decimal("1")}, ValueError),
    ],
)
def test_what_if_refuses_bad_targets(targets, error):
    with pytest.raises(error):
        what_if(IndicatorInputs.zero("province"), METHODOLOGY, targets)


def test_room_for_improvement_is_largest_first():
    inputs = dataclasses.replace(
        _perfect("commune"), dossiers_on_time=5, dossiers_synced=8, fee_dossiers_paid_online=9
    )

    shortfalls = room_for_improvement(score(inputs, METHODOLOGY))
    by_group = room_for_improvement(score(inputs, METHODOLOGY), by="group")

    assert [(s.code, s.missing) for s in shortfalls] == [
        ("PROGRESS", Decimal("10.00")),
        ("DOSSIER_SYNC", Decimal("1.20")),
        ("PAYMENT_DOSSIERS", Decimal("0.60")),
    ]
    assert [(s.code, s.missing) for s in by_group] == [
        ("TDGQ", Decimal("10.00")),
        ("CKMB", Decimal("1.20")),
        ("TTTT", Decimal("0.60")),
    ]


def test_total_of_needs_every_group_within_its_maximum():
    groups = {g.code: g.max_points for g in METHODOLOGY.groups}
    assert total_of(groups, METHODOLOGY) == Decimal("100")

    with pytest.raises(ValueError, match="cover exactly"):
        total_of({**{k: v for k, v in groups.items() if k != "CKMB"}}, METHODOLOGY)
    with pytest.raises(ValueError, match="outside"):
        total_of({**groups, "TDGQ": Decimal("20.01")}, METHODOLOGY)
    with pytest.raises(TypeError):
        total_of({**groups, "TDGQ": 19.2}, METHODOLOGY)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        ("100.00", "high"),
        ("94.00", "high"),
        ("93.99", "middle"),
        ("90.00", "middle"),
        ("89.99", "low"),
        ("0.00", "low"),
    ],
)
def test_bands(total, band):
    assert METHODOLOGY.band_for(Decimal(total)).code == band


@pytest.mark.parametrize(
    ("counts", "a_points", "b_points"),
    [
        # the rule book's example: 50 of 90 procedures online (A), 500 of 1,900 online services used (B)
        (
            {
                "procedures_under_authority": 90,
                "procedures_online": 50,
                "online_services_offered": 1900,
                "online_services_used": 500,
            },
            "1.39",  # 2 × (50/90) / 0.8
            "1.05",  # 4 × 500/1900; revision 2 divided by A's 50 and could not represent this
        ),
        # one procedure offered by 40 communes: 40 services, 10 used
        (
            {
                "procedures_under_authority": 1,
                "procedures_online": 1,
                "online_services_offered": 40,
                "online_services_used": 10,
            },
            "2.00",
            "1.00",
        ),
        # no online service offered: B is 0 of 0, no data
        ({"procedures_under_authority": 5}, "0.00", "0.00"),
    ],
)
def test_online_services_outnumber_procedures(counts, a_points, b_points):
    result = score(IndicatorInputs.zero("province", **counts), METHODOLOGY)

    assert result.indicator("ONLINE_PROCEDURES").points == Decimal(a_points)
    assert result.indicator("ONLINE_SERVICES_USED").points == Decimal(b_points)
    assert result.indicator("ONLINE_SERVICES_USED").denominator == counts.get("online_services_offered", 0)
