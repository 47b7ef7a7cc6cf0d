"""The PostgreSQL rebuild swaps in a fresh leaf table: it must be the table the migrations made (same
columns, identity, constraints, indexes and sequence names), hold the rebuilt rows, and take the drain's
inserts afterwards; a rebuild that fails leaves the live table as it was."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from apps.dossiers import services
from apps.statistics import leaf_swap
from apps.statistics import services as stats
from apps.statistics.benchmarking import timed_leaf_write
from apps.statistics.counting import LEAF_TABLE
from apps.statistics.models import LeafCounts
from tests.helpers import vn
from tests.statistics.test_statistics_api import S, activity  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CATALOGUE = [
    # columns: name, type, not null, identity, default
    """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
              pg_get_expr(d.adbin, d.adrelid)
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1",
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1",
    "SELECT pg_get_serial_sequence(%s, 'id')",
]


def catalogue() -> list:
    with connection.cursor() as cursor:
        found = []
        for sql in CATALOGUE:
            cursor.execute(sql, [LEAF_TABLE])
            found.append(cursor.fetchall())
        cursor.execute("SELECT %s::regclass::oid", [LEAF_TABLE])
        return [found, cursor.fetchone()[0]]


def leaves() -> dict:
    return {
        (row.unit_id, row.procedure_id, row.period_kind, row.period_start): row.received
        for row in LeafCounts.objects.all()
    }


def test_the_swapped_in_table_is_the_migrated_one_with_the_rebuilt_rows(
    activity,  # noqa: F811
    tree,
    procedure,
    django_capture_on_commit_callbacks,
):
    before, table_before = catalogue()
    drained = leaves()
    assert drained and any(before[1])  # constraints listed: pkey, unique, the CHECKs
    stats.rebuild_all(vacuum=False)
    after, table_after = catalogue()
    assert table_after != table_before  # a new table ...
    assert after == before  # ... indistinguishable from the migrated one
    assert leaves() == drained  # holding what the drain had kept
    with django_capture_on_commit_callbacks(execute=True):  # the drain writes into it afterwards
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, 11, 9)
        )
    assert sum(leaves().values()) > sum(drained.values())
    assert stats.differences_from_rebuild() == 0


def test_a_rebuild_that_fails_leaves_the_live_table_alone(activity, monkeypatch):  # noqa: F811
    before, table = catalogue()
    kept = leaves()

    def broken():
        raise RuntimeError("the swap failed")

    monkeypatch.setattr(stats, "swap_in_fresh_table", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        stats.rebuild_all(vacuum=False)
    assert catalogue() == [before, table]
    assert leaves() == kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [leaf_swap.FRESH_TABLE])
        assert cursor.fetchone()[0] is None  # the fresh table went with the rolled-back transaction


def test_the_benchmark_floor_writes_the_live_leaves_again_and_leaves_nothing_behind(activity):  # noqa: F811
    """bench_targets' floor row: the live leaves written into an indexed fresh table, rolled back."""
    before, table = catalogue()
    kept = leaves()
    with transaction.atomic():
        written = leaf_swap.copy_live_into_fresh_table()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), sum(received) FROM {leaf_swap.FRESH_TABLE}")
            assert cursor.fetchone() == (len(kept), sum(kept.values()))
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [leaf_swap.FRESH_TABLE])
            assert cursor.fetchone()[0] == 2  # indexed as the rebuild indexes it
        transaction.set_rollback(True)
    assert written == len(kept) > 0
    seconds, rows = timed_leaf_write()
    assert rows == len(kept) and seconds > 0
    assert catalogue() == [before, table] and leaves() == kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [leaf_swap.FRESH_TABLE])
        assert cursor.fetchone()[0] is None
