"""Input bundles: construction checks and the roll-up addition."""

from __future__ import annotations

import pytest

from apps.scoring.inputs import COUNT_NAMES, INHERITED_COUNTS, IndicatorInputs

FACTS = {"procedures_with_decision": 40, "procedures_published_on_time": 38, "procedures_published": 1900}


def test_zero_has_every_count_at_zero():
    inputs = IndicatorInputs.zero("commune")

    assert len(COUNT_NAMES) == 34
    assert set(inputs.counts().values()) == {0}
    assert inputs.level == "commune"


@pytest.mark.parametrize(
    ("level", "counts", "error"),
    [
        ("district", {}, ValueError),
        ("province", {"dossiers_received": -1}, ValueError),
        ("province", {"dossiers_received": 1.0}, TypeError),
        ("province", {"dossiers_received": True}, TypeError),
        ("province", {"dossiers_recieved": 1}, TypeError),
    ],
)
def test_bad_bundles_are_refused(level, counts, error):
    with pytest.raises(error):
        IndicatorInputs.zero(level, **counts)


def test_addition_sums_counts_and_keeps_the_parents_level():
    commune = IndicatorInputs.zero("commune", communes=1, communes_e_copy=1, dossiers_received=7)
    other = IndicatorInputs.zero("commune", communes=1, dossiers_received=5, dossiers_synced=5)

    parent = IndicatorInputs.zero("province") + commune + other

    assert parent.level == "province"
    assert (parent.communes, parent.communes_e_copy, parent.dossiers_received, parent.dossiers_synced) == (
        2,
        1,
        12,
        5,
    )


def test_transparency_facts_are_inherited_not_summed():
    province = IndicatorInputs.zero("province", dossiers_received=3, **FACTS)
    department = IndicatorInputs.zero("department", dossiers_received=4, **FACTS)
    commune_without_facts = IndicatorInputs.zero("commune", dossiers_received=5)

    rolled = province + department + commune_without_facts

    assert rolled.dossiers_received == 12
    assert {name: getattr(rolled, name) for name in FACTS} == FACTS
    assert (IndicatorInputs.zero("province") + province).procedures_published == 1900
    assert set(INHERITED_COUNTS) >= set(FACTS)


def test_differing_transparency_facts_cannot_be_added():
    one = IndicatorInputs.zero("province", **FACTS)
    other = IndicatorInputs.zero("province", **{**FACTS, "procedures_published": 10})

    with pytest.raises(ValueError, match="inherited"):
        _ = one + other


def test_total_is_the_fold_of_additions_with_replaced_counts():
    import random

    rng = random.Random(7)
    bundles = [
        IndicatorInputs.zero(
            "commune",
            **{name: rng.randint(0, 50) for name in COUNT_NAMES if name not in INHERITED_COUNTS},
            **(FACTS if index % 3 else {}),
        )
        for index in range(12)
    ]
    folded = IndicatorInputs.zero("province")
    for bundle in bundles:
        folded = folded + bundle
    assert IndicatorInputs.total("province", bundles) == folded
    assert IndicatorInputs.total("province", []) == IndicatorInputs.zero("province")
    replaced = IndicatorInputs.total("province", bundles, procedures_online=3)
    assert replaced.procedures_online == 3 and replaced.dossiers_received == folded.dossiers_received
    with pytest.raises(TypeError, match="unknown"):
        IndicatorInputs.total("province", bundles, nonsense=1)
    other = IndicatorInputs.zero("commune", **{**FACTS, "procedures_published": 1})
    with pytest.raises(ValueError, match="transparency facts differ"):
        IndicatorInputs.total("province", [*bundles, other])
