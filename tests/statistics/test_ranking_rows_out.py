"""The ranking row's hand-built representation answers exactly what DRF's generic path answers."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from apps.statistics.api.serializers import RankingRowOut


class GenericRankingRowOut(RankingRowOut):
    def to_representation(self, instance):
        return serializers.Serializer.to_representation(self, instance)


def row(**values) -> dict:
    unit = SimpleNamespace(code="H44.100", name="Phường Bến Nghé")
    return {
        "unit": unit,
        "kind": "commune",
        "rank": 3,
        "value": D("91.25"),
        "total": D("91.25"),
        "band": "90-94",
        "groups": {"CKMT": D("8.50"), "TDGQ": D("17.75"), "DVC": D("0")},
        "delta": D("-1.05"),
        "previous_rank": 2,
        "rank_change": -1,
        "dossiers": 1234,
    } | values


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"delta": None, "previous_rank": None, "rank_change": None},
        {"value": D("17.75"), "total": D("100.00"), "band": ">=94"},
        {"total": D("0"), "value": D("0.005"), "delta": D("0.015"), "groups": {}},
        {"total": "88.9", "groups": {"CKMT": "7.1"}, "delta": D("12")},
        {"rank": 1, "dossiers": 0, "rank_change": 0},
    ],
)
def test_the_hand_built_row_equals_the_generic_one(values):
    assert RankingRowOut(row(**values)).data == GenericRankingRowOut(row(**values)).data


def test_many_rows_keep_their_order():
    rows = [row(rank=n, unit=SimpleNamespace(code=f"U{n}", name=f"Xã {n}")) for n in range(1, 6)]
    assert RankingRowOut(rows, many=True).data == GenericRankingRowOut(rows, many=True).data
    assert [r["unit"] for r in RankingRowOut(rows, many=True).data] == ["U1", "U2", "U3", "U4", "U5"]
