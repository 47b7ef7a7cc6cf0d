"""Incremental aggregates (dirty marking on commit + drain) equal a full rebuild, on random histories."""

import datetime as dt
import random

import pytest

from apps.core.actors import Actor
from apps.core.errors import DomainError
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.dossiers.models import Channel, Rating
from apps.statistics import services as stats
from apps.statistics.models import COUNT_FIELDS, USAGE_COUNTS, DirtyLeaf, LeafCounts, UnitCounts
from tests.factories import ProcedureVersionFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("random-history")


def snapshot() -> dict:
    rows = LeafCounts.objects.values_list(
        "unit_id", "procedure_id", "period_kind", "period_start", *COUNT_FIELDS
    )
    return {tuple(row[:4]): tuple(row[4:]) for row in rows}


def unit_snapshot() -> dict:
    """The stored roll-up: (unit, kind, start) -> (counts, procedure sets per usage count)."""
    used = [f"used_{name}" for name in USAGE_COUNTS]
    rows = UnitCounts.objects.values_list("unit_id", "period_kind", "period_start", *COUNT_FIELDS, *used)
    width = len(COUNT_FIELDS)
    return {tuple(row[:3]): (tuple(row[3 : 3 + width]), tuple(row[3 + width :])) for row in rows}


def rolled_up_leaves() -> dict:
    """The same, computed here in Python from the stored leaves: what the roll-up must always equal."""
    totals: dict = {}
    for key, values in snapshot().items():
        unit, procedure, kind, start = key
        counts, used = totals.setdefault((unit, kind, start), ([0] * len(COUNT_FIELDS), {}))
        for index, value in enumerate(values):
            counts[index] += value
        for name in USAGE_COUNTS:
            if values[COUNT_FIELDS.index(name)] > 0:
                used.setdefault(name, []).append(procedure)
    return {
        key: (tuple(counts), tuple(",".join(map(str, sorted(used.get(n, [])))) for n in USAGE_COUNTS))
        for key, (counts, used) in totals.items()
    }


def working_instant(rng: random.Random, start: dt.datetime, max_days: int) -> dt.datetime:
    return start + dt.timedelta(
        days=rng.randint(0, max_days), hours=rng.randint(0, 9), minutes=rng.randint(0, 59)
    )


def random_history(rng: random.Random, tree: dict, procedures: list, capture) -> int:
    """Receive dossiers and push each through a random walk of services, committing each step."""
    units = [tree["c1"], tree["c2"], tree["dept"], tree["c3"]]
    ops = 0
    for _ in range(25):
        received_at = working_instant(rng, vn(2026, 6, 1, 7), 150)
        with capture(execute=True):
            dossier = services.receive_dossier(
                procedure=rng.choice(procedures),
                receiving_unit=rng.choice(units),
                actor=SYSTEM,
                received_at=received_at,
                channel=rng.choice(list(Channel)),
            )
        clock = received_at
        for _ in range(rng.randint(0, 6)):
            clock = clock + dt.timedelta(hours=rng.randint(1, 200))
            if clock > vn(2026, 11, 20, 8):
                break
            step = rng.choice(
                ["start", "supplement", "complete", "finish", "flag", "rate", "assign", "withdraw", "return"]
            )
            call = {
                "start": lambda d, at: services.start_processing(d, actor=SYSTEM, at=at),
                "supplement": lambda d, at: services.request_supplement(d, actor=SYSTEM, at=at),
                "complete": lambda d, at: services.complete_supplement(d, actor=SYSTEM, at=at),
                "finish": lambda d, at: services.finish(d, actor=SYSTEM, at=at),
                "withdraw": lambda d, at: services.withdraw(d, actor=SYSTEM, at=at),
                "return": lambda d, at: services.return_result(d, actor=SYSTEM, at=at),
                "flag": lambda d, at: services.set_flag(d, rng.choice(list(Flag)), actor=SYSTEM, at=at),
                "rate": lambda d, at: services.rate_dossier(d, rng.choice([Rating.SATISFIED, Rating.DISSATISFIED]), actor=SYSTEM, at=at),
                "assign": lambda d, at: services.assign_handling_unit(d, rng.choice(units), actor=SYSTEM, at=at),
            }[step]  # fmt: skip
            try:
                with capture(execute=True):
                    dossier = call(dossier, clock)
                ops += 1
            except DomainError:  # illegal transitions are part of a random walk
                dossier.refresh_from_db()
    return ops


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_rebuild(calendar, tree, django_capture_on_commit_callbacks, seed):
    rng = random.Random(seed)
    procedures = [
        ProcedureVersionFactory(time_limit=limit, paper_result_required=paper, fee=fee).procedure
        for limit, paper, fee in [(3, False, 0), (10, True, 50000), (1, False, 20000)]
    ]
    ops = random_history(rng, tree, procedures, django_capture_on_commit_callbacks)
    assert ops > 20
    assert not DirtyLeaf.objects.exists()  # every mark was drained
    incremental, incremental_units = snapshot(), unit_snapshot()
    assert incremental_units == rolled_up_leaves()  # the drained roll-up is the sum of the drained leaves
    stats.rebuild_all()
    rebuilt = snapshot()
    assert incremental.keys() == rebuilt.keys()
    assert incremental == rebuilt
    assert sum(values[COUNT_FIELDS.index("in_period")] for values in rebuilt.values()) > 0
    assert unit_snapshot() == incremental_units == rolled_up_leaves()
    assert any(used for _counts, sets in incremental_units.values() for used in sets)  # sets are exercised
    assert stats.differences_from_rebuild() == 0
    stats.refresh_current_periods()  # the midnight refresh rewrites the current periods' rows the same way
    assert unit_snapshot() == rolled_up_leaves() == incremental_units
