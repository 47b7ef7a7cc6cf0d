"""import_dossiers: CSV, JSON lines and XLSX; good rows kept, every bad row in the error report."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from apps.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def _report(path):
    with open(f"{path}.errors.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_with_bad_rows(tmp_path, calendar, tree, procedure):
    path = tmp_path / "in.csv"
    path.write_text(
        "external_id,procedure,receiving_unit,received_at,fee_amount\n"
        f"A,{procedure.code},P1.100,2026-02-10T09:00:00+07:00,0\n"
        f"B,9.99,P1.100,2026-02-10T09:00:00+07:00,\n"
        "C,too,few\n"
        f"D,{procedure.code},P1.100,not a date,\n"
        f"E,{procedure.code},P1.101,2026-02-10T09:00:00+07:00,10\n"
    )
    call_command("import_dossiers", str(path), "--source", "prov", "--quiet-progress", "--batch", "2")
    assert sorted(Dossier.objects.values_list("external_id", flat=True)) == ["A", "E"]
    report = _report(path)
    assert [(r["line"], r["code"]) for r in report] == [
        ("3", "unknown_procedure"), ("4", "malformed_line"), ("5", "invalid"),
    ]  # fmt: skip
    # a re-run creates nothing new
    call_command("import_dossiers", str(path), "--source", "prov", "--quiet-progress")
    assert Dossier.objects.count() == 2


def test_jsonl_with_scope_and_events(tmp_path, calendar, tree, procedure):
    path = tmp_path / "in.jsonl"
    rows = [
        {"external_id": "A", "procedure": procedure.code, "receiving_unit": "P1.100",
         "received_at": "2026-02-10T09:00:00+07:00"},
        {"type": "event", "external_id": "A", "status": 9, "at": "2026-02-11T09:00:00+07:00"},
        {"external_id": "B", "procedure": procedure.code, "receiving_unit": "P2.100",
         "received_at": "2026-02-10T09:00:00+07:00"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + '\n{"external_id": \n')
    call_command("import_dossiers", str(path), "--source", "prov", "--scope", "P1", "--quiet-progress")
    assert Dossier.objects.get().status == 9
    assert sorted((r["line"], r["code"]) for r in _report(path)) == [
        ("3", "unit_out_of_scope"),
        ("4", "malformed_line"),
    ]


def test_xlsx(tmp_path, calendar, tree, procedure):
    path = tmp_path / "in.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "procedure", "receiving_unit", "received_at", "channel"])
    sheet.append(["A", procedure.code, "P1.100", dt.datetime(2026, 2, 10, 9, 0), 2])
    sheet.append(["B", procedure.code, "X9", dt.datetime(2026, 2, 10, 9, 0), 1])
    book.save(path)
    call_command("import_dossiers", str(path), "--source", "prov", "--quiet-progress")
    dossier = Dossier.objects.get()
    assert dossier.channel == 2 and dossier.received_at.hour == 2  # 09:00 business time is 02:00 UTC
    assert [r["code"] for r in _report(path)] == ["unknown_unit"]
