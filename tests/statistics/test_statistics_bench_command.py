"""The statistics benchmark runs end to end on a small PostgreSQL data set and refuses SQLite."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.statistics.models import LeafCounts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_statistics_small_run(calendar):
    out = io.StringIO()
    call_command("bench_statistics", "--dossiers", "3000", "--requests", "3", "--skip", "latency", stdout=out)
    text = out.getvalue()
    assert "REBUILD: 3,000 dossiers" in text
    assert "ratio" in text and "API rankings (province children, this week) [cached]" in text
    assert LeafCounts.objects.exists()


@pytest.mark.django_db
def test_bench_statistics_refuses_other_databases(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_statistics", "--dossiers", "10")
