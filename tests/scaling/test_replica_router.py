"""The read replica: which reads go to it, and that nothing changes without one (apps/core/replica.py).

The ``replica`` alias is added for these tests only, as Django's test mirror of ``default`` would be (the
same test database through a second connection), so the rest of the suite keeps one alias.
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from apps.core.replica import DEFAULT, REPLICA, ReplicaRouter, for_reporting, reads_from_replica
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit
from apps.statistics.models import AggregateVersion, DirtyLeaf, LeafCounts

router = ReplicaRouter()


@pytest.fixture
def replica(transactional_db):
    """A ``replica`` alias mirroring the test database (committed rows only, hence transactional tests),
    added after the test's database setup so that only ``default`` is set up and torn down."""
    connections.settings[REPLICA] = {**connections[DEFAULT].settings_dict, "TEST": {"MIRROR": DEFAULT}}
    try:
        # Opened here: the test case only allows lazy connections to the aliases it was set up with.
        connections[REPLICA].connect()
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


# -- the rule, without global state --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "replica", "in_transaction", "expected"),
    [
        (LeafCounts, True, False, True),  # statistics read model: to the replica
        (AggregateVersion, True, False, True),  # its version too, so caches key on what was read
        (DirtyLeaf, True, False, False),  # the outbox the workers drain: primary only
        (Dossier, True, False, False),  # the API reads its own writes
        (Unit, True, False, False),
        (LeafCounts, True, True, False),  # inside a transaction: what it has just written
        (LeafCounts, False, False, False),  # no replica configured
    ],
)
def test_routing_rule(model, replica, in_transaction, expected):
    assert reads_from_replica(model, replica=replica, in_transaction=in_transaction) is expected


# -- the router as Django calls it ----------------------------------------------------------------


def test_without_a_replica_the_router_has_no_opinion_and_migrates_default_only():
    assert REPLICA not in connections.settings
    assert router.db_for_read(LeafCounts) is None
    assert router.db_for_write(LeafCounts) == DEFAULT
    assert router.allow_migrate(DEFAULT, "statistics") is True
    assert LeafCounts.objects.all().db == DEFAULT


def test_with_a_replica_reads_of_statistics_go_there_and_writes_never(replica):
    assert router.db_for_read(LeafCounts) == REPLICA
    assert router.db_for_read(DirtyLeaf) is None
    assert router.db_for_read(Dossier) is None
    assert router.db_for_write(LeafCounts) == DEFAULT
    assert router.allow_migrate(REPLICA, "statistics") is False
    assert router.allow_migrate(DEFAULT, "statistics") is True
    assert LeafCounts.objects.all().db == REPLICA
    assert LeafCounts.objects.select_for_update().db == DEFAULT  # a locking read is a write's
    assert for_reporting(Dossier.objects.all()).db == REPLICA


def test_a_statistics_read_runs_on_the_replica_connection(replica):
    AggregateVersion.objects.create(pk=1, version=7, epoch=3)  # written on default
    with CaptureQueriesContext(connections[DEFAULT]) as primary, CaptureQueriesContext(replica) as standby:
        version = AggregateVersion.objects.get(pk=1).version
        leaves = LeafCounts.objects.count()
        dossiers = Dossier.objects.count()
    assert (version, leaves, dossiers) == (7, 0, 0)
    standby_sql = " ".join(q["sql"] for q in standby.captured_queries)
    primary_sql = " ".join(q["sql"] for q in primary.captured_queries)
    assert "statistics_aggregateversion" in standby_sql and "statistics_leafcounts" in standby_sql
    assert "statistics_" not in primary_sql
    assert "dossiers_dossier" in primary_sql and "dossiers_dossier" not in standby_sql


def test_inside_a_transaction_statistics_are_read_on_the_primary(replica):
    from django.db import transaction

    with transaction.atomic():
        assert LeafCounts.objects.all().db == DEFAULT
        assert for_reporting(Dossier.objects.all()).db == DEFAULT
    assert LeafCounts.objects.all().db == REPLICA


def test_settings_add_the_replica_alias_only_when_the_variable_is_set():
    """Read in a subprocess: settings are read once per process."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({a: [d['ENGINE'], d['NAME'], d.get('TEST', {}).get('MIRROR')] "
        "for a, d in settings.DATABASES.items()} | {'routers': settings.DATABASE_ROUTERS}))"
    )
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "casetracker.settings", "DEBUG": "true",
            "DATABASE_URL": "postgres://app@primary.internal:5432/casetracker"}  # fmt: skip
    base.pop("DATABASE_REPLICA_URL", None)

    def databases(**extra: str) -> dict:
        run = subprocess.run([sys.executable, "-c", code], cwd=root, env={**base, **extra},
                             capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        return json.loads(run.stdout.strip().splitlines()[-1])

    alone = databases()
    assert set(alone) == {"default", "routers"}
    assert alone["routers"] == ["apps.core.replica.ReplicaRouter"]
    both = databases(DATABASE_REPLICA_URL="postgres://reader@standby.internal:5432/casetracker")
    assert both["replica"] == ["django.db.backends.postgresql", "casetracker", "default"]
    assert both["default"][1] == "casetracker"
