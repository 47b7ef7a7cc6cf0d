"""Stream a CSV, JSON-lines or XLSX file of dossiers (and status events) into the database.

Rows are read lazily and ingested in batches of ``--batch`` through the same set-based service as the
bulk API (:mod:`apps.dossiers.services.bulk`), one transaction per batch, so memory stays bounded
whatever the file size and a crash loses at most the batch in flight (re-running is safe: the rows
already in are ``unchanged``). Every rejected row is written to the error report with its line number,
field, code and reason; nothing is dropped silently.

    python manage.py import_dossiers dossiers.csv --source provinceX [--scope H44] [--errors bad.csv]

Columns / keys are the bulk API's item fields (``external_id, procedure, receiving_unit, received_at,
…``; ``type`` defaults to ``dossier``). XLSX date-times without an offset are read as business time.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.actors import Actor
from apps.dossiers.services import bulk
from apps.dossiers.timeliness import BUSINESS_TZ
from apps.organisation.models import Unit

Row = tuple[int, object]  # (line number, item or a parse error message)


class _Malformed(str):
    pass


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            return
        header = [h.strip() for h in header]
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield line, _Malformed(f"Expected {len(header)} columns, found {len(row)}.")
                continue
            yield line, {k: v for k, v in zip(header, row, strict=True) if v != ""}


def _jsonl_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_number, json.loads(line)
            except json.JSONDecodeError as error:
                yield line_number, _Malformed(f"Not valid JSON: {error.msg} at column {error.colno}.")
            except RecursionError:
                yield line_number, _Malformed("Not valid JSON: nested too deeply.")


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=BUSINESS_TZ)).isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            return
        header = [str(h).strip() if h is not None else "" for h in header]
        for line_number, row in enumerate(rows, start=2):
            if all(v is None or v == "" for v in row):
                continue
            yield (
                line_number,
                {k: _cell(v) for k, v in zip(header, row, strict=False) if k and v not in (None, "")},
            )
    finally:
        workbook.close()


READERS = {".csv": _csv_rows, ".jsonl": _jsonl_rows, ".ndjson": _jsonl_rows, ".xlsx": _xlsx_rows}


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  (argparse wants a str, in the active language)
        return _(
            "Import dossiers and status events from a CSV, JSON-lines or XLSX file (streaming, set-based)."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--source", required=True, help=gettext_lazy("source_system of the rows (the sender's name).")
        )
        parser.add_argument(
            "--scope", help=gettext_lazy("Unit code: reject rows outside this unit's subtree.")
        )
        parser.add_argument("--errors", help=gettext_lazy("Error report (CSV). Default: <file>.errors.csv"))
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument(
            "--format", choices=["csv", "jsonl", "xlsx"], help=gettext_lazy("Default: from the extension.")
        )
        parser.add_argument("--quiet-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        suffix = f".{options['format']}" if options["format"] else path.suffix.lower()
        reader = READERS.get(suffix)
        if reader is None:
            raise CommandError(
                _("Unknown format %(suffix)s: use .csv, .jsonl or .xlsx (or --format).")
                % {"suffix": repr(suffix)}
            )
        scope_path = None
        if options["scope"]:
            unit = Unit.objects.filter(code=options["scope"]).first()
            if unit is None:
                raise CommandError(_("Unknown unit %(code)s.") % {"code": repr(options["scope"])})
            scope_path = unit.path
        batch_size = max(1, min(options["batch"], bulk.MAX_ITEMS))
        errors_path = Path(options["errors"] or f"{path}.errors.csv")
        actor = Actor.of_system(options["source"])
        reference = bulk.Reference()
        totals = {bulk.CREATED: 0, bulk.UPDATED: 0, bulk.UNCHANGED: 0, bulk.REJECTED: 0}
        started = time.monotonic()
        seen = 0
        with errors_path.open("w", newline="", encoding="utf-8") as report_file:
            report = csv.writer(report_file)
            report.writerow(["line", "external_id", "field", "code", "message"])

            def flush(batch: list[Row]) -> None:
                items, lines = [], []
                for line, item in batch:
                    if isinstance(item, _Malformed):
                        report.writerow([line, "", "", "malformed_line", str(item)])
                        totals[bulk.REJECTED] += 1
                    else:
                        items.append(item)
                        lines.append(line)
                if not items:
                    return
                result = bulk.ingest(items, source_system=options["source"], actor=actor, scope_path=scope_path,
                                     reference=reference)  # fmt: skip
                for outcome in result.outcomes:
                    totals[outcome.outcome] += 1
                    for error in outcome.errors:
                        report.writerow([lines[outcome.index], outcome.external_id or "", error["field"] or "",
                                         error["code"], error["message"]])  # fmt: skip

            batch: list[Row] = []
            for row in reader(path):
                batch.append(row)
                seen += 1
                if len(batch) >= batch_size:
                    flush(batch)
                    batch = []
                    self._progress(seen, started, options["quiet_progress"])
            flush(batch)
        self._progress(seen, started, options["quiet_progress"], final=True)
        elapsed = time.monotonic() - started
        rate = seen / elapsed if elapsed else 0
        self.stdout.write(
            _(
                "import_dossiers: %(rows)s rows in %(seconds)s s (%(rate)s rows/s): %(created)s created, "
                "%(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected (report: %(report)s)"
            )
            % {
                "rows": f"{seen:,}",
                "seconds": f"{elapsed:.1f}",
                "rate": f"{rate:,.0f}",
                "created": f"{totals['created']:,}",
                "updated": f"{totals['updated']:,}",
                "unchanged": f"{totals['unchanged']:,}",
                "rejected": f"{totals['rejected']:,}",
                "report": errors_path,
            }
        )

    def _progress(self, seen: int, started: float, quiet: bool, final: bool = False) -> None:
        if quiet:
            return
        elapsed = time.monotonic() - started
        rate = seen / elapsed if elapsed else 0
        sys.stderr.write(f"\r  {seen:,} rows  {rate:,.0f} rows/s  {elapsed:.0f} s" + ("\n" if final else ""))
        sys.stderr.flush()
