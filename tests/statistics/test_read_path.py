"""The read path runs one way down and writes nothing; the drain's task and its tracking do not import
each other; the roll-up is what a score reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.statistics.models import ScoreSnapshot, UnitCounts
from tests.statistics.test_statistics_api import activity, supervisor  # noqa: F401  (fixtures)

STATISTICS = Path(__file__).resolve().parents[2] / "apps" / "statistics"
MARCH = "2026-03"


def _imports(module: str) -> set[str]:
    tree = ast.parse((STATISTICS / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _statistics_imports(module: str) -> set[str]:
    return {
        name.split(".")[2]
        for name in _imports(module)
        if name.startswith("apps.statistics.") and len(name.split(".")) > 2
    }


def test_tasks_and_tracking_do_not_import_each_other_and_reads_go_downhill():
    assert "tracking" not in _statistics_imports("tasks")
    assert "tracking" not in _statistics_imports("drain_slot") and "tasks" not in _statistics_imports(
        "drain_slot"
    )
    # reports -> selectors -> (counting, catalogue facts, petitions, inputs); scores only scores
    assert not {"reports", "scores", "snapshots"} & _statistics_imports("selectors")
    assert not {"reports", "snapshots", "services", "counting"} & _statistics_imports("scores")
    assert "snapshots" not in _statistics_imports("reports")
    # the stored running scores are written by the drain alone: no reader imports their writer
    assert not {"current_scores", "snapshots"} & (
        _statistics_imports("reports") | _statistics_imports("selectors")
    )
    assert "store_snapshot" not in (STATISTICS / "reports.py").read_text()


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/units/P1/score/?period={MARCH}",
        f"/api/v1/units/P1.100/score/?period={MARCH}",
        f"/api/v1/units/P1/rankings/?period={MARCH}",
        "/api/v1/units/P1/rankings/",
        "/api/v1/units/P1.100/trend/?kind=week&count=6",
    ],
)
def test_a_read_of_closed_periods_stores_no_snapshot_and_writes_nothing(activity, supervisor, url):  # noqa: F811
    with CaptureQueriesContext(connection) as queries:
        response = supervisor.get(url)
    assert response.status_code == 200, response.content
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []
    assert not ScoreSnapshot.objects.exists()


def test_a_score_reads_the_roll_up(activity, supervisor):  # noqa: F811
    """Tamper with the stored roll-up row of a commune: the score follows it (it is what is read)."""
    before = supervisor.get(f"/api/v1/units/P1.100/score/?period={MARCH}").json()["inputs"]
    row = UnitCounts.objects.get(unit__code="P1.100", period_kind="month", period_start="2026-03-01")
    UnitCounts.objects.filter(pk=row.pk).update(in_period=row.in_period + 7)
    from apps.statistics import reports

    reports._SCORERS.clear()
    after = supervisor.get(f"/api/v1/units/P1.100/score/?period={MARCH}").json()["inputs"]
    assert after["dossiers_in_period"] == before["dossiers_in_period"] + 7


@pytest.mark.parametrize(
    "query", ["period=2026-03", "", "period=2026-W10&by=TDGQ", "period=2026-03&kind=commune"]
)
def test_rankings_read_from_snapshots_equal_the_live_ones(activity, supervisor, query):  # noqa: F811
    """Deltas, previous ranks and first-place streaks read the nightly snapshots (one query for the
    streak's periods) once filed; the answer is the one computed live before."""
    from apps.statistics import reports
    from apps.statistics.snapshots import snapshot_closed_periods

    live = supervisor.get(f"/api/v1/units/P1/rankings/?{query}").json()
    assert snapshot_closed_periods() > 0
    reports._SCORERS.clear()
    with CaptureQueriesContext(connection) as queries:
        stored = supervisor.get(f"/api/v1/units/P1/rankings/?{query}").json()
    assert stored == live
    assert len(queries.captured_queries) < 40


def test_a_closed_months_ranking_is_the_filed_one(activity, supervisor):  # noqa: F811
    """Once every child's snapshot is filed, a closed month's ranking reads them and scores nothing:
    a figure changed in a snapshot shows; with one child's snapshot missing, all are scored now."""
    from apps.statistics import reports
    from apps.statistics.snapshots import snapshot_closed_periods

    url = f"/api/v1/units/P1/rankings/?period={MARCH}"
    live = {r["unit"]: r for r in supervisor.get(url).json()["rows"]}
    snapshot_closed_periods()
    filed = ScoreSnapshot.objects.filter(
        period_kind="month", period_start="2026-03-01", unit__parent__code="P1"
    )
    assert filed.count() == len(live) > 1
    first = filed.order_by("unit__code").first()
    filed.filter(pk=first.pk).update(total="12.34", inputs={**first.inputs, "dossiers_in_period": 999})
    reports._SCORERS.clear()
    rows = {r["unit"]: r for r in supervisor.get(url).json()["rows"]}
    assert reports._SCORERS == {}  # nothing was scored
    assert (rows[first.unit.code]["total"], rows[first.unit.code]["dossiers"]) == ("12.34", 999)
    assert rows[first.unit.code]["rank"] == len(rows)
    filed.filter(pk=first.pk).delete()
    rows = {r["unit"]: r for r in supervisor.get(url).json()["rows"]}
    assert rows == live
