"""Output shapes of the statistics endpoints (and their query parameters)."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.dossiers.api.serializers import DossierListOut
from apps.organisation.models import UnitKind
from apps.statistics.breakdowns import BREAKDOWNS, DEFAULT_ORDERING, ORDERINGS
from apps.statistics.reports import MEASURES


class PeriodOut(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class GroupOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    percent = serializers.DecimalField(max_digits=6, decimal_places=2)


class IndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="The indicator's name in the language of the request.")
    group = serializers.CharField(help_text="Code of the group it belongs to.")
    group_name = serializers.CharField()
    measure = serializers.CharField(
        allow_null=True,
        help_text="The `measure` of /units/{code}/dossiers/ that lists the dossiers it judges (its "
        "denominator); null when it counts procedures, communes or petitions.",
    )
    numerator_measure = serializers.CharField(
        allow_null=True, help_text="The `measure` listing the dossiers that met it (its numerator)."
    )
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    status = serializers.CharField(help_text="scored, no_data, not_applicable or full_when_empty")


class MethodologyOut(serializers.Serializer):
    code = serializers.CharField(help_text="The methodology version, e.g. 766-2022-v1.")
    revision = serializers.IntegerField(
        help_text="Which reading of that version: a later revision corrects it and supersedes it for every period."
    )


class ScoreOut(serializers.Serializer):
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    methodology_version = serializers.CharField()
    methodology = MethodologyOut(help_text="The methodology and revision that produced this score.")
    level = serializers.CharField()
    band = serializers.CharField()
    groups = GroupOut(many=True)
    indicators = IndicatorOut(many=True)


class PreviousOut(serializers.Serializer):
    period = PeriodOut()
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    delta = serializers.DecimalField(max_digits=6, decimal_places=2)
    rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True, help_text="Positive: moved up.")


class UnitScoreOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", help_text="Unit code.")
    period = PeriodOut()
    judged_on = serializers.DateField(help_text="Unfinished dossiers are judged on this day.")
    score = ScoreOut()
    inputs = serializers.DictField(child=serializers.IntegerField(), help_text="The counts behind the score.")
    rank = serializers.IntegerField(allow_null=True, help_text="Competition rank among siblings.")
    siblings = serializers.IntegerField()
    peer_rank = serializers.IntegerField(
        allow_null=True,
        help_text="Competition rank among the siblings of its own kind (communes among communes).",
    )
    peers = serializers.IntegerField(help_text="Siblings of its own kind, itself included.")
    previous = PreviousOut()


class RankingRowOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", help_text="Unit code.")
    name = serializers.CharField(source="unit.name")
    kind = serializers.CharField(help_text="Unit kind: commune, department, centre, …")
    rank = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="What the rank is by.")
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    band = serializers.CharField()
    groups = serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=2))
    delta = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)
    dossiers = serializers.IntegerField()

    def to_representation(self, row: dict) -> dict:
        """Built by hand from the fields above (the schema still reads them): a province's ranking has
        174 rows of 12 fields, and the generic path (an attribute lookup and a decimal context per
        field) took a sixth of the request. A test holds it equal to the generic path."""
        return {
            "unit": row["unit"].code,
            "name": str(row["unit"].name),
            "kind": str(row["kind"]),
            "rank": int(row["rank"]),
            "value": _two_places(row["value"]),
            "total": _two_places(row["total"]),
            "band": str(row["band"]),
            "groups": {str(code): _two_places(points) for code, points in row["groups"].items()},
            "delta": _two_places(row["delta"]),
            "previous_rank": _whole(row["previous_rank"]),
            "rank_change": _whole(row["rank_change"]),
            "dossiers": int(row["dossiers"]),
        }


_CENT = Decimal("0.01")


def _two_places(value: Decimal | None) -> str | None:
    """What ``DecimalField(max_digits=6, decimal_places=2)`` answers (a string, banker's rounding as
    the default decimal context has it), for the values a score holds."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    return f"{number.quantize(_CENT):f}"


def _whole(value: int | None) -> int | None:
    return None if value is None else int(value)


class MoverOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", help_text="Unit code.")
    delta = serializers.DecimalField(max_digits=6, decimal_places=2)
    rank = serializers.IntegerField()
    previous_rank = serializers.IntegerField(allow_null=True)


class StreakOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", help_text="Unit code.")
    periods = serializers.IntegerField()


class RankingSummaryOut(serializers.Serializer):
    units = serializers.IntegerField()
    bands = serializers.DictField(child=serializers.IntegerField())
    top10_spread = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    band_gap = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    biggest_movers = MoverOut(many=True)
    first_streak = StreakOut(allow_null=True)


class RankingsOut(serializers.Serializer):
    parent = serializers.CharField(source="parent.code", help_text="Unit code.")
    period = PeriodOut()
    by = serializers.CharField()
    kind = serializers.CharField(allow_null=True, help_text="The kind ranked (null: every child together).")
    methodology_version = serializers.CharField(allow_null=True)
    methodology = MethodologyOut(allow_null=True, help_text="The methodology and revision that ranked them.")
    rows = RankingRowOut(many=True)
    summary = RankingSummaryOut()


class TrendPointOut(serializers.Serializer):
    period = PeriodOut()
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    groups = serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=2))
    closed = serializers.BooleanField()


class ChangeOut(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    target = serializers.DecimalField(max_digits=7, decimal_places=4)
    current_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    projected_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    gain = serializers.DecimalField(max_digits=6, decimal_places=2)


class ProjectionOut(serializers.Serializer):
    current_total = serializers.DecimalField(max_digits=6, decimal_places=2)
    projected_total = serializers.DecimalField(max_digits=6, decimal_places=2)
    gain = serializers.DecimalField(max_digits=6, decimal_places=2)
    changes = ChangeOut(many=True)


class ShortfallOut(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    group = serializers.CharField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    missing = serializers.DecimalField(max_digits=6, decimal_places=2)


class WhatIfOut(serializers.Serializer):
    unit = serializers.CharField(source="unit.code", help_text="Unit code.")
    period = PeriodOut()
    total = serializers.DecimalField(source="score.total", max_digits=6, decimal_places=2)
    methodology = MethodologyOut(source="score.methodology", help_text="The methodology and revision used.")
    projection = ProjectionOut(allow_null=True)
    room = ShortfallOut(many=True, help_text="Points missing per indicator, largest first.")
    room_by_group = ShortfallOut(many=True)


class OnTimeRowOut(serializers.Serializer):
    key = serializers.CharField(help_text="Child unit code, procedure code or field code.")
    name = serializers.CharField(help_text="The unit's, procedure's (version in force) or field's name.")
    kind = serializers.CharField(
        allow_null=True, help_text="The child unit's kind; null by procedure or field."
    )
    in_period = serializers.IntegerField(help_text="Dossiers in the period.")
    on_time = serializers.IntegerField()
    late = serializers.IntegerField(
        help_text="Not on time: finished late plus open and overdue (drill-down measure `late`)."
    )
    rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text="on_time / in_period; null without dossiers.",
    )
    ended_early = serializers.IntegerField()
    ended_on_time = serializers.IntegerField()
    ended_late = serializers.IntegerField()
    open_in_time = serializers.IntegerField()
    open_overdue = serializers.IntegerField()
    average_working_days = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)


# The shapes of a period key (apps.statistics.periods.parse); a key of the right shape may still name
# no period (2026-W60) or one that cannot be scored, which the view answers 400 with the reason.
PERIOD_KEY = r"^\d{4}(-W\d{2}|-\d{2}|-Q[1-4])?$|^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$"


class PeriodQuery(serializers.Serializer):
    period = serializers.RegexField(
        PERIOD_KEY,
        required=False,
        help_text="2026-W08, 2026-02, 2026-Q1, 2026 or 2026-02-01..2026-02-20; default: this week.",
        error_messages={"invalid": "Use 2026-W08, 2026-02, 2026-Q1, 2026 or 2026-02-01..2026-02-20."},
    )


class RankingsQuery(PeriodQuery):
    by = serializers.CharField(
        required=False, default="total", help_text="`total` or a group code (e.g. TDGQ)."
    )
    kind = serializers.ChoiceField(
        choices=UnitKind.values,
        required=False,
        help_text="Rank only the children of this kind among themselves (communes among communes).",
    )
    bands = serializers.CharField(
        required=False, help_text="Band thresholds, default from the methodology: 94,90."
    )


class TrendQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["week", "month", "quarter", "year"], default="week")
    count = serializers.IntegerField(min_value=1, max_value=53, default=12)


class WhatIfQuery(PeriodQuery):
    target = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="CODE:rate, repeatable; an indicator code with a rate, or a group code with a share of its maximum.",
    )


class OnTimeQuery(PeriodQuery):
    by = serializers.ChoiceField(
        choices=list(BREAKDOWNS), default="procedure", help_text="`unit`: one row per child unit."
    )
    kind = serializers.ChoiceField(
        choices=UnitKind.values,
        required=False,
        help_text="Only units of this kind: the children listed (by=unit), or the units whose dossiers count.",
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        default=DEFAULT_ORDERING,
        help_text="Sort column, `-` for descending; `rate` lists the worst first. Rows without dossiers last.",
    )


@extend_schema_serializer(many=False)  # already the page: not to be wrapped in a paginated list again
class DossiersBehindPageOut(serializers.Serializer):
    """A page of the drill-down: the list's size comes from the statistics, not from counting rows."""

    count = serializers.IntegerField(help_text="How many dossiers the whole list holds: the number shown.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DossierListOut(many=True)  # the list's schema (component DossierOut): same fields


class DossiersBehindQuery(PeriodQuery):
    measure = serializers.ChoiceField(
        choices=list(MEASURES),
        help_text="A counting measure, `late` (finished late or open overdue), or a score input that counts "
        "dossiers (an indicator's `measure`).",
    )
