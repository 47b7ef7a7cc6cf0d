"""Receipt codes that cannot clash: ``<unit code>-<yymmdd>-<number>``, numbered per unit and local day.

Random suffixes (6 hex digits for the API, 10 for ingest) collided at a few thousand dossiers per unit
and day, and the create then failed. Numbers now come from :class:`~apps.dossiers.models.ReceiptSequence`,
one row per (unit, day), advanced by ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: atomic on
PostgreSQL and SQLite, and the row stays locked until the creating transaction ends, so concurrent
creates at one unit and day queue for a moment instead of drawing the same number. A bulk ingest takes
one block per (unit, day), in sorted order (so two batches never wait on each other's rows in opposite
orders). The same scheme serves the API, bulk ingest and import.

The number is zero-padded to five digits (``H44.100-260213-00042``) and simply grows past 99999. A code a
client chose itself may still occupy a number: callers draw the next one (see ``_insert`` in
:mod:`apps.dossiers.services.receipt` and ``_insert_new`` in :mod:`apps.dossiers.services.bulk`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection

from apps.dossiers.models import ReceiptSequence

WIDTH = 5


def format_code(unit_code: str, day: dt.date, number: int) -> str:
    return f"{unit_code}-{day:%y%m%d}-{number:0{WIDTH}d}"


def _upsert_sql() -> str:
    table = connection.ops.quote_name(ReceiptSequence._meta.db_table)
    return (
        f"INSERT INTO {table} (unit_id, day, last) VALUES (%s, %s, %s) "
        f"ON CONFLICT (unit_id, day) DO UPDATE SET last = {table}.last + EXCLUDED.last RETURNING last"
    )


def allocate(unit_id: int, day: dt.date, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers for (unit, day); returns the first. Call inside a transaction."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [unit_id, day, count])
        (last,) = cursor.fetchone()
    return last - count + 1


def allocate_blocks(counts: dict[tuple[int, dt.date], int]) -> dict[tuple[int, dt.date], int]:
    """Reserve a block per (unit id, day) → first number, taking the rows in sorted order."""
    wanted = sorted((key, n) for key, n in counts.items() if n > 0)
    if not wanted:
        return {}
    if connection.vendor != "postgresql":
        return {key: allocate(key[0], key[1], n) for key, n in wanted}
    table = connection.ops.quote_name(ReceiptSequence._meta.db_table)
    # One statement; ORDER BY makes it lock the rows in the same order in every transaction.
    sql = (
        f"INSERT INTO {table} (unit_id, day, last) "
        "SELECT u, d, n FROM unnest(%s::bigint[], %s::date[], %s::integer[]) AS x(u, d, n) ORDER BY u, d "
        f"ON CONFLICT (unit_id, day) DO UPDATE SET last = {table}.last + EXCLUDED.last "
        "RETURNING unit_id, day, last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [[k[0] for k, _ in wanted], [k[1] for k, _ in wanted], [n for _, n in wanted]])
        lasts = {(unit_id, day): last for unit_id, day, last in cursor.fetchall()}
    return {key: lasts[key] - n + 1 for key, n in wanted}


def next_code(unit_id: int, unit_code: str, day: dt.date) -> str:
    """One new receipt code for a dossier received (or registered) at ``unit`` on local ``day``."""
    return format_code(unit_code, day, allocate(unit_id, day))


class CodeBlocks:
    """Numbers reserved for one transaction's new dossiers, handed out one by one.

    ``reserve`` takes every block the batch needs in one go; ``__call__`` gives the next code of a
    (unit, day), drawing a single extra number when the block is used up (after a clash with a code a
    client chose). Call ``clear`` whenever the transaction ends: reserved numbers die with it.
    """

    def __init__(self) -> None:
        self._next: dict[tuple[int, dt.date], int] = {}
        self._left: dict[tuple[int, dt.date], int] = {}

    def clear(self) -> None:
        self._next.clear()
        self._left.clear()

    def reserve(self, keys: Iterable[tuple[int, dt.date]]) -> None:
        counts: dict[tuple[int, dt.date], int] = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        for key, first in allocate_blocks(counts).items():
            self._next[key], self._left[key] = first, counts[key]

    def __call__(self, unit, day: dt.date) -> str:
        key = (unit.pk, day)
        if self._left.get(key, 0) > 0:
            number = self._next[key]
            self._next[key], self._left[key] = number + 1, self._left[key] - 1
        else:
            number = allocate(unit.pk, day)
        return format_code(unit.code, day, number)
