"""The COPY-based bulk generator (apps/core/bulk_dossiers.py): valid dossiers the statistics accept.

Small sizes here; docs/benchmarks.md records the 1M and 10M runs made with the same command.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum

from apps.core.bulk_dossiers import table_sizes
from apps.dossiers.models import Dossier, DossierEvent
from apps.organisation.models import Unit
from apps.statistics import services
from apps.statistics.models import LeafCounts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _index_definitions(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return {row[0] for row in cursor.fetchall()}


def _generate(count: int, **options) -> str:
    out = io.StringIO()
    call_command("generate_bulk", "--dossiers", str(count), "--batch", "70", "--days", "200",
                 stdout=out, **options)  # fmt: skip
    return out.getvalue()


def test_generates_valid_dossiers_with_their_history_and_keeps_every_index():
    call_command("loaddata", "units", "procedures", verbosity=0)
    before = {t: _index_definitions(t) for t in ("dossiers_dossier", "dossiers_dossierevent")}
    output = _generate(150) + _generate(100, seed=2)  # a second run appends after the first
    assert "GENERATED 150 dossiers" in output and "GENERATED 100 dossiers" in output
    assert "SIZES at 250 dossiers" in output

    dossiers = Dossier.objects.filter(source_system="bulk")
    assert dossiers.count() == Dossier.objects.count() == 250
    assert {t: _index_definitions(t) for t in before} == before  # dropped for the load, rebuilt after
    province = Unit.objects.get(code="H44")
    handled_in = set(Unit.objects.subtree_of(province).values_list("pk", flat=True))
    assert set(dossiers.values_list("handling_unit_id", flat=True)) <= handled_in

    ended = dossiers.filter(ended_at__isnull=False)
    assert 0 < ended.count() < 250
    # Consistent columns: ended ones are returned with a timeliness, the others are processing.
    assert not ended.exclude(status=10).exists() and not ended.filter(timeliness="").exists()
    assert not dossiers.filter(ended_at__isnull=True).exclude(status=4, timeliness="").exists()
    late = ended.filter(timeliness="late")
    assert all(d.ended_at > d.effective_due_at for d in late)
    assert all(d.received_on <= d.due_on for d in dossiers)
    for dossier in dossiers.order_by("?")[:40]:
        dossier.full_clean()  # choices, lengths, unique code

    # The history: received and processing for all, finished and returned for the ended ones.
    events = DossierEvent.objects.filter(dossier__source_system="bulk")
    assert events.count() == 2 * 250 + 2 * ended.count()
    assert events.filter(kind="received", to_status=2).count() == 250
    assert events.filter(to_status=10).count() == ended.count()
    assert not events.filter(dispatched_at__isnull=True).exists()  # no follow-up is owed for them

    # A new dossier after them gets a fresh id (the sequence was moved past the copied ids).
    next_id = Dossier.objects.create(
        code="AFTER-BULK", procedure_id=dossiers[0].procedure_id,
        procedure_version_id=dossiers[0].procedure_version_id,
        receiving_unit=province, handling_unit=province,
    ).pk  # fmt: skip
    assert next_id > max(dossiers.exclude(code="AFTER-BULK").values_list("pk", flat=True))
    Dossier.objects.filter(code="AFTER-BULK").delete()


def test_the_statistics_rebuild_accepts_them_and_its_counts_match_the_rows():
    call_command("loaddata", "units", "procedures", verbosity=0)
    output = _generate(300, rebuild=True)
    assert "REBUILD statistics:" in output
    assert LeafCounts.objects.exists()
    # Each dossier is received in exactly one year: the year leaves add up to the rows, unit by unit.
    by_unit = dict(
        Dossier.objects.values_list("handling_unit_id")
        .annotate(n=Count("id"))
        .values_list("handling_unit_id", "n")
    )
    leaves = dict(
        LeafCounts.objects.filter(period_kind="year")
        .values_list("unit_id")
        .annotate(n=Sum("received"))
        .values_list("unit_id", "n")
    )
    assert leaves == by_unit
    assert sum(by_unit.values()) == 300
    ended_by_year = LeafCounts.objects.filter(period_kind="year").aggregate(n=Sum("ended"))["n"]
    assert ended_by_year == Dossier.objects.filter(ended_at__isnull=False).count()
    late = LeafCounts.objects.filter(period_kind="year").aggregate(n=Sum("ended_late"))["n"]
    assert late == Dossier.objects.filter(Q(timeliness="late")).count()
    # Rebuilding once more gives the same rows (the generated data is stable under the exact recount).
    assert services.rebuild_all() == LeafCounts.objects.count()


def test_table_sizes_reports_the_dossier_event_and_statistics_tables():
    sizes = table_sizes()
    assert {"dossiers_dossier", "dossiers_dossierevent", "statistics_leafcounts"} <= set(sizes)
    assert not any(name.startswith("dossiers_dossierdocument") for name in sizes)
    assert all(size > 0 for size in sizes.values())


def test_bench_scale_times_the_list_pages_on_generated_data():
    call_command("loaddata", "units", "procedures", verbosity=0)
    _generate(120)
    out = io.StringIO()
    call_command("bench_scale", "--requests", "2", "--depth", "1", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "dossiers: 120"
    timed = [line for line in lines if line.startswith("API ")]
    assert len(timed) == 5 and all("p95" in line for line in timed)
    assert "API list, first page: 50 rows" in timed[0]
    assert any(line.startswith("SIZE dossier + event + statistics tables") for line in lines)
