"""bench_targets: issue 11's table, every row, measured in one run on data already loaded (PostgreSQL).

A few hundred dossiers from the COPY generator; the figures themselves are docs/benchmarks.md's business,
here the command must run end to end, print every row of the table, and add no dossier.
"""

from __future__ import annotations

import datetime as dt
import gc
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.dossiers.models import Dossier
from apps.statistics.benchmarking import counting_floor
from apps.statistics.models import LeafCounts, UnitCounts

ROWS = [
    "score of the province, last month, uncached, p95 (ms)",
    "children, last month, uncached, p95 (ms), gc frozen",
    "score of the province, this month (the drain's stored scores), uncached, p95 (ms)",
    "children, this month (the drain's stored scores), uncached, p95 (ms)",
    "children, this month, stored scores set aside (scored live), p95 (ms): the fallback",
    "full rebuild ÷ plain serial per-unit × month GROUP BY, 4 counts",
    "writing the rebuilt leaves alone (fresh table + its 2 indexes, no counting) ÷ the same plain GROUP BY",
    "the per-dossier counts alone (one grouped scan: each per-dossier figure the rebuild sums,",
    "rebuild ÷ the project's own baseline (its SELECT), serial, like for like",
    "dossier list, ms per row (fetch + serialization",
    "`?overdue=true` first page, p50 (ms)",
    "`?overdue=true` plan uses dossier_open_due_idx",
    "single POST /dossiers/ statements (BEGIN/COMMIT included)",
    "dossiers_dossier indexes (listed below)",
    "leaf table n_dead_tup after the rebuild's VACUUM",
    "leaf table analysed by the rebuild (last_analyze / last_autoanalyze)",
]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # VACUUM runs outside any transaction, as in production
def test_measures_every_row_on_loaded_data_without_adding_dossiers(calendar):
    call_command("loaddata", "units", "procedures", verbosity=0)
    call_command("generate_bulk", "--dossiers", "300", "--days", "120", stdout=io.StringIO())
    before = Dossier.objects.count()
    out, err = io.StringIO(), io.StringIO()

    # backfill=1: the snapshot task files the last closed week and month only (quick).
    call_command("bench_targets", runs=2, requests=2, rows=20, backfill=1, stdout=out, stderr=err)

    assert Dossier.objects.count() == before == 300  # the timed creates are gone again
    assert LeafCounts.objects.exists() and UnitCounts.objects.exists()  # the real rebuild ran
    assert not gc.get_freeze_count()  # the freeze is undone for the caller's process
    text = out.getvalue()
    table = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert table[0] == "| measured | min | median | max | target | met? |"
    body = table[1:]
    assert len(body) == len(ROWS)
    for line, name in zip(body, ROWS, strict=True):
        assert name in line
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == 6 and "not measured" not in cells
        assert cells[5] in {"yes", "NO", "—"}
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.strip("|").split("|")] for line in body)}
    assert rows["`?overdue=true` plan uses dossier_open_due_idx"][1] in {"yes", "no"}
    assert rows["single POST /dossiers/ statements (BEGIN/COMMIT included)"][2].isdigit()
    assert "TARGETS (issue 11): 300 dossiers, province H44" in text
    assert "gc.freeze() after the warm-up as gunicorn.conf.py's post_worker_init" in text
    assert "indexes on dossiers_dossier (" in text and "dossier_open_due_idx" in text
    progress = err.getvalue()
    assert "running periods' scores stored" in progress
    assert "hot path 2/2" in progress and "rebuild 2/2" in progress and "scores 2/2" in progress


@pytest.mark.django_db
def test_refuses_other_databases(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_targets")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_counting_floor_sums_every_counted_dossier_once_by_week_of_receipt(calendar):
    """The floor row's query: each dossier the rebuild counts lands in exactly one unit × procedure ×
    week group, with the per-dossier figures the rebuild sums."""
    call_command("loaddata", "units", "procedures", verbosity=0)
    call_command("generate_bulk", "--dossiers", "300", "--days", "120", stdout=io.StringIO())
    counted = Dossier.objects.exclude(status__in=[1, 3]).exclude(received_on=None)
    sql, params = counting_floor(dt.date(2026, 11, 30))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM(dossiers), SUM(online), SUM(early), COUNT(*) FROM ({sql}) f", params)
        dossiers, online, early, groups = cursor.fetchone()
    assert dossiers == counted.count() > 0
    assert online == counted.filter(channel=2).count()
    assert early == counted.filter(timeliness="early").count()
    weeks = {(d.handling_unit_id, d.procedure_id, d.received_on.isocalendar()[:2]) for d in counted}
    assert groups == len(weeks)
