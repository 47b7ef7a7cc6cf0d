"""bench_ingest: refuses anything but PostgreSQL; the rows it generates are valid import input."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.dossiers.models import Dossier
from apps.integrations.management.commands.bench_ingest import COMMUNE, Command

pytestmark = pytest.mark.django_db


def test_refuses_without_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_ingest", "--rows", "10")


def test_generated_rows_import_cleanly(tmp_path, calendar):
    bench = Command()
    bench.options = {"seed": 1}
    bench.prepare()
    rows = list(bench.iter_rows(50, "T"))
    assert rows == list(bench.iter_rows(50, "T"))  # deterministic for a seed
    path = tmp_path / "rows.csv"
    bench.write_csv(rows, path)
    call_command("import_dossiers", str(path), "--source", "bench-test", "--quiet-progress")
    assert Dossier.objects.filter(source_system="bench-test", receiving_unit__code=COMMUNE).count() == 50
    assert path.with_name("rows.csv.errors.csv").read_text().count("\n") == 1  # the header only
