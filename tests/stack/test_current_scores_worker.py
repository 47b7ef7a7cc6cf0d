"""The running periods' stored scores on the real stack: the worker's drain stores them beside the roll-up
it recomputes, and beat's sweeper scores stale ones again with nothing dirty (PostgreSQL, Redis, a Celery
worker and beat in their own processes; the real clock, as every stack test)."""

from __future__ import annotations

import time

import pytest

from apps.organisation.models import Unit
from apps.statistics import services as stats
from apps.statistics.periods import PeriodKind, containing
from apps.statistics.scores import SubtreeScorer
from apps.statistics.selectors import current_scores, subtree_inputs
from apps.statistics.versions import bump_version

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def _wait(done, seconds: float = 30.0) -> float:
    started = time.monotonic()
    while not done():
        assert time.monotonic() - started < seconds, f"not done within {seconds:.0f} s"
        time.sleep(0.1)
    return time.monotonic() - started


def test_the_worker_stores_running_scores_and_the_sweeper_heals_them(
    stack, calendar, tree, procedure, users, client_for
):
    stack.start_worker()
    stack.start_beat()
    today = stats.today()
    week = containing(PeriodKind.WEEK, today)
    stored = current_scores(week, today)
    _wait(lambda: stored.count() == Unit.objects.count())  # the sweeper scores every unit of both trees

    created = client_for(users["clerk_c1"]).post(
        "/api/v1/dossiers/", {"procedure": procedure.code, "receiving_unit": "P1.100"}, format="json"
    )
    assert created.status_code == 201
    _wait(lambda: stored.filter(unit=tree["c1"], dossiers=1).exists())  # the worker's drain stored it
    live = SubtreeScorer(subtree_inputs(tree["p1"], week, today))
    for unit in (tree["c1"], tree["p1"]):  # the commune and its ancestor, as scored live now
        row = stored.get(unit=unit)
        result = live.unit_score(unit)
        assert (row.total, row.inputs) == (result.score.total, result.inputs.counts())

    bump_version(everything=True)  # what a register change or a rebuild does: no row holds any more
    assert not current_scores(week, today).exists()
    healed = _wait(lambda: current_scores(week, today).count() == Unit.objects.count())
    print(f"STORED SCORES healed by beat's sweeper in {healed:.1f} s")
