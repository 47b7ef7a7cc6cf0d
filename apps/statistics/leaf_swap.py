"""A full rebuild on PostgreSQL writes the leaves into a fresh table and swaps it in at commit.

Why: inserting 648,000 leaf rows into the live table, with its unique index kept up to date row by row
and the old rows deleted first, took 3.4–5.8 s at 1M dossiers. The same rows go into an empty table
without indexes in 0.7 s, and its two indexes are then built in one sort each (1.1 s); the old table is
dropped, not deleted row by row, so it leaves no dead rows for VACUUM either (docs/benchmarks.md).

The fresh table is a copy of the live one's definition (columns, defaults, identity, CHECK constraints);
its primary key and unique constraint are built under temporary names and renamed to the live ones, so
the swapped-in table is indistinguishable from what the migrations made (a test compares the catalogue
before and after). It is all one transaction, after the rebuild's counting: readers of the leaves go
on reading the old table while the new one is filled, and wait only for the drop and the renames, a few
milliseconds before the commit. The SELECT that fills it is the one the drain runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection

from apps.statistics.counting import LEAF_TABLE, insert_leaf_rows
from apps.statistics.models import LeafCounts
from apps.statistics.periods import Period

FRESH_TABLE = f"{LEAF_TABLE}_fresh"


def _unique_constraint() -> tuple[str, list[str]]:
    """The leaves' unique constraint as the model declares it: its name and its columns."""
    (constraint,) = LeafCounts._meta.constraints
    columns = [LeafCounts._meta.get_field(name).column for name in constraint.fields]
    return constraint.name, columns


def fill_fresh_table(periods: Sequence[Period], on: dt.date) -> int:
    """Create the fresh table, insert every leaf row of ``periods`` and index it; returns the rows."""
    return _fill_fresh_table(*insert_leaf_rows(periods, on, table=FRESH_TABLE))


def copy_live_into_fresh_table() -> int:
    """Fill and index the fresh table with a copy of the live leaves, counting nothing; returns the rows.

    Why: what writing the leaves costs on its own, the floor under any rebuild of them, which the
    rebuild benchmark sets beside its baselines (the caller rolls back; nothing is swapped in)."""
    return _fill_fresh_table(f"INSERT INTO {FRESH_TABLE} SELECT * FROM {LEAF_TABLE}", [])


def _fill_fresh_table(insert: str, params: list) -> int:
    _name, unique_columns = _unique_constraint()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FRESH_TABLE} (LIKE {LEAF_TABLE}"
            " INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
        )
        cursor.execute(insert, params)
        inserted = cursor.rowcount
        cursor.execute(f"CREATE UNIQUE INDEX {FRESH_TABLE}_pk ON {FRESH_TABLE} (id)")
        cursor.execute(
            f"CREATE UNIQUE INDEX {FRESH_TABLE}_unique ON {FRESH_TABLE} ({', '.join(unique_columns)})"
        )
    return inserted


def swap_in_fresh_table() -> None:
    """Drop the live leaf table and give the fresh one its name, its constraints' and its sequence's."""
    unique_name, _columns = _unique_constraint()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [FRESH_TABLE])
        (fresh_sequence,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {LEAF_TABLE}")
        cursor.execute(f"ALTER TABLE {FRESH_TABLE} RENAME TO {LEAF_TABLE}")
        cursor.execute(f"ALTER SEQUENCE {fresh_sequence} RENAME TO {LEAF_TABLE}_id_seq")
        cursor.execute(f"ALTER INDEX {FRESH_TABLE}_pk RENAME TO {LEAF_TABLE}_pkey")
        cursor.execute(
            f"ALTER TABLE {LEAF_TABLE} ADD CONSTRAINT {LEAF_TABLE}_pkey PRIMARY KEY USING INDEX {LEAF_TABLE}_pkey"
        )
        cursor.execute(f"ALTER INDEX {FRESH_TABLE}_unique RENAME TO {unique_name}")
        cursor.execute(
            f"ALTER TABLE {LEAF_TABLE} ADD CONSTRAINT {unique_name} UNIQUE USING INDEX {unique_name}"
        )
