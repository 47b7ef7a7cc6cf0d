"""Benchmark of the ingest paths against a raw COPY, in one run on PostgreSQL (see docs/benchmarks.md).

    DATABASE_URL=postgres://…/scratch CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        python manage.py bench_ingest [--rows 100000] [--memory-rows 1000000]

1. **Baseline**: a raw ``COPY`` of N fully prepared dossier rows (every column, due dates included,
   computed beforehand) into ``dossiers_dossier`` itself, in one transaction.
2. ``import_dossiers`` on a CSV of the same N rows, run as a child process exactly as an operator runs
   it (its own rows/s, which leaves out the interpreter start; the wall time is printed too).
3. The bulk endpoint over HTTP: gunicorn on 127.0.0.1 (a free port, ``--workers`` sync processes), the
   same N rows in requests of ``--http-batch`` items sent by ``--connections`` client threads in
   parallel, authenticated with an API key made for the run. Request bodies are encoded and each worker
   warmed up with empty requests before the clock starts, so the figure is the server's.
4. Peak memory (max RSS) of ``import_dossiers`` on ``--memory-rows`` rows (``--memory-timeout`` stops
   it; the figure then says how far it got).

Every step starts from the same table state: the rows a step wrote (dossiers and their events) are
deleted, the tables vacuumed and a CHECKPOINT taken before the next one. Only loopback traffic; every
child process is stopped at the end. **It writes rows: point DATABASE_URL at a scratch database.**
Set CELERY_BROKER_URL (e.g. ``redis://127.0.0.1:6379/12``) so the statistics refresh each batch marks
is queued to Redis as in production instead of running inside the import (no worker is needed; the
queued tasks are purged at the end). Without a broker the figures include that refresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.catalogue.models import Field, Procedure, ProcedureVersion, TimeUnit
from apps.dossiers.models import Dossier, DossierEvent, SupplementRequest
from apps.dossiers.services import bulk
from apps.dossiers.status import Status
from apps.dossiers.timeliness import BUSINESS_TZ, local_date
from apps.integrations.models import DossierAlert, MachineClient
from apps.integrations.services.clients import create_client, issue_key
from apps.organisation.models import Unit, UnitKind
from apps.organisation.services import save_unit
from apps.petitions.models import Petition
from apps.workcalendar.services import ensure_default_calendar

PROVINCE, COMMUNE, PROCEDURE = "BENCH", "BENCH.100", "9.BENCH"
SOURCES = {"copy": "bench-copy", "import": "bench-import", "http": "bench-http", "memory": "bench-memory"}
HEADER = ["external_id", "procedure", "receiving_unit", "received_at", "channel", "applicant_name"]
COUNTS = re.compile(rb'"counts":\s*(\{[^}]*\})')
RATE = re.compile(r"import_dossiers: ([\d,]+) rows in ([\d.]+) s \(([\d,]+) rows/s\): ([\d,]+) created")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _hwm_kb(pid: int) -> int:
    """Peak resident set of a running process (VmHWM), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Command(BaseCommand):
    help = "Benchmark raw COPY vs import_dossiers vs the bulk endpoint over HTTP, and import peak memory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rows", type=int, default=100_000, help="Rows of steps 1–3.")
        parser.add_argument("--memory-rows", type=int, default=1_000_000, help="Rows of the memory run.")
        parser.add_argument("--memory-timeout", type=int, default=600, help="Seconds before it is stopped.")
        parser.add_argument("--batch", type=int, default=5000, help="import_dossiers --batch.")
        parser.add_argument("--http-batch", type=int, default=2500, help="Items per bulk request.")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes.")
        parser.add_argument("--connections", type=int, default=4, help="Parallel client connections.")
        parser.add_argument(
            "--idempotency", action="store_true", help="Send an Idempotency-Key with every bulk request."
        )
        parser.add_argument("--skip", nargs="*", default=[], choices=["import", "http", "memory"])
        parser.add_argument("--seed", type=int, default=766)

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")
        self.options = options
        n = options["rows"]
        if n < 1 or options["http_batch"] < 1 or options["http_batch"] > bulk.MAX_ITEMS:
            raise CommandError(f"--rows ≥ 1 and 1 ≤ --http-batch ≤ {bulk.MAX_ITEMS}.")
        self.say(f"bench_ingest: writes into database {connection.settings_dict['NAME']!r} "
                 "(a scratch database: rows are inserted and deleted)")  # fmt: skip
        if settings.CELERY_BROKER_URL:
            self.say(f"  statistics refresh queued to {settings.CELERY_BROKER_URL} (no worker needed)")
        else:
            self.say("  no CELERY_BROKER_URL: the statistics refresh runs inside every batch (slower)")
        self.workdir = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
        results: dict[str, float | None] = {}
        peak = None
        try:
            self.prepare()
            for source in SOURCES.values():
                self.clean(source)
            rows = list(self.iter_rows(n, "E"))
            self.write_csv(rows, self.workdir / "rows.csv")
            results["copy"] = self.bench_copy(rows)
            if "import" not in options["skip"]:
                results["import"] = self.bench_import(n)
            if "http" not in options["skip"]:
                results["http"] = self.bench_http(rows)
            del rows
            if "memory" not in options["skip"]:
                peak = self.bench_memory(options["memory_rows"])
        finally:
            for source in SOURCES.values():
                self.clean(source)
            self.purge_queue()
            for path in self.workdir.iterdir():
                path.unlink()
            self.workdir.rmdir()
        base = results["copy"]
        parts = [f"raw COPY {base:,.0f} rows/s"]
        for name, label, target in (("import", "import_dossiers", 0.5), ("http", "bulk HTTP", 0.2)):
            rate = results.get(name)
            if rate:
                parts.append(f"{label} {rate:,.0f} rows/s = {rate / base:.2f}x (target ≥ {target:.2f}x)")
        if peak:
            parts.append(f"import peak RSS {peak[1] / 1024:,.0f} MB at {peak[0]:,} rows (target < 500 MB)")
        self.say(f"SUMMARY N={n:,}: " + "; ".join(parts))

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # -- data -----------------------------------------------------------------------------------------

    def prepare(self) -> None:
        today = timezone.localdate()
        ensure_default_calendar(today.year - 3, today.year + 1)
        province = Unit.objects.filter(code=PROVINCE).first() or save_unit(
            Unit(code=PROVINCE, name="Benchmark province", kind=UnitKind.PROVINCE)
        )
        if not Unit.objects.filter(code=COMMUNE).exists():
            save_unit(Unit(code=COMMUNE, name="Benchmark commune", kind=UnitKind.COMMUNE, parent=province))
        field, _ = Field.objects.get_or_create(code="BENCH", defaults={"name": "Benchmark"})
        procedure, created = Procedure.objects.get_or_create(code=PROCEDURE)
        if created or not procedure.versions.exists():
            ProcedureVersion.objects.create(
                procedure=procedure, valid_from=dt.date(today.year - 3, 1, 1), name="Benchmark procedure",
                field=field, level="commune", time_limit=Decimal(3), time_unit=TimeUnit.WORKING_DAYS,
                fee=Decimal(50000),
            )  # fmt: skip
        self.province = province

    def iter_rows(self, n: int, prefix: str):
        """N CSV rows: receipt minutes spread over the last 600 days (any hour: online receipts too)."""
        rnd = random.Random(self.options["seed"])
        start = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=610), dt.time(0), BUSINESS_TZ)
        for i in range(n):
            at = start + dt.timedelta(minutes=rnd.randrange(600 * 24 * 60))
            yield [f"{prefix}{i}", PROCEDURE, COMMUNE, at.isoformat(), str(rnd.choice((1, 2, 3))),
                   f"Applicant {i}"]  # fmt: skip

    def write_csv(self, rows, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)

    def clean(self, source: str) -> None:
        """Delete a step's dossiers with everything pointing at them, then vacuum, so steps start alike."""
        dossiers = f"SELECT id FROM {Dossier._meta.db_table} WHERE source_system = %s"
        with transaction.atomic(), connection.cursor() as cursor:
            for model in (DossierEvent, SupplementRequest, DossierAlert):
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE dossier_id IN ({dossiers})", [source]
                )
            cursor.execute(f"UPDATE {Petition._meta.db_table} SET dossier_id = NULL WHERE dossier_id IN ({dossiers})",
                           [source])  # fmt: skip
            cursor.execute(f"DELETE FROM {Dossier._meta.db_table} WHERE source_system = %s", [source])
            deleted = cursor.rowcount
            client = MachineClient.objects.filter(name=source).first()
            if client is not None:
                user = client.service_user
                client.delete()
                user.delete()
        if deleted:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {Dossier._meta.db_table}, {DossierEvent._meta.db_table}")
                try:  # write the dirty pages out now rather than during the next step (needs a superuser)
                    cursor.execute("CHECKPOINT")
                except DatabaseError as error:
                    self.say(f"  (no CHECKPOINT between steps: {error})")

    def purge_queue(self) -> None:
        if not settings.CELERY_BROKER_URL:
            return
        from casetracker.celery import app

        try:
            purged = app.control.purge()
        except Exception as error:  # the benchmark's figures are in; say why and go on
            self.say(f"  could not purge the queued tasks: {error}")
            return
        self.say(f"  purged {purged} queued task(s) from {settings.CELERY_BROKER_URL}")

    # -- 1. baseline ------------------------------------------------------------------------------------

    def bench_copy(self, rows: list[list[str]]) -> float:
        """COPY prepared rows (every column computed beforehand, off the clock) into the dossier table."""
        source = SOURCES["copy"]
        reference = bulk.Reference()
        reference.load({PROCEDURE}, {COMMUNE})
        procedure, unit = reference.procedures[PROCEDURE], reference.units[COMMUNE]
        now = timezone.now()
        c = bulk.DOSSIER_INDEX
        prepared = []
        for external_id, _proc, _unit, received, channel, applicant in rows:
            at = dt.datetime.fromisoformat(received)
            day = at.astimezone(BUSINESS_TZ).date()
            version = reference.version_on(procedure, day)
            due = reference.legal_due(version, unit, at, int(channel))
            row = list(bulk.DOSSIER_DEFAULTS)
            row[c["code"]] = f"{COMMUNE}-{day:%y%m%d}-{secrets.token_hex(5).upper()}"
            row[c["source_system"]], row[c["external_id"]] = source, external_id
            row[c["procedure_id"]], row[c["procedure_version_id"]] = procedure.pk, version.pk
            row[c["receiving_unit_id"]] = row[c["handling_unit_id"]] = unit.pk
            row[c["channel"]], row[c["applicant_name"]], row[c["status"]] = (
                int(channel),
                applicant,
                Status.RECEIVED,
            )
            row[c["received_at"]] = row[c["status_changed_at"]] = at
            row[c["received_on"]] = day
            row[c["legal_due_at"]] = row[c["effective_due_at"]] = due
            row[c["due_on"]] = local_date(due)
            row[c["fee_amount"]] = version.fee
            row[c["created_by_system"]] = source
            row[c["created_at"]] = row[c["updated_at"]] = now
            prepared.append(row)
        columns = ", ".join(f'"{name}"' for name in bulk.DOSSIER_COLUMNS)
        self.say(f"1. raw COPY of {len(prepared):,} prepared rows into {Dossier._meta.db_table} …")
        started = time.monotonic()
        sql = f"COPY {Dossier._meta.db_table} ({columns}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in prepared:
                copy.write_row(row)
        elapsed = time.monotonic() - started
        rate = len(prepared) / elapsed
        self.say(f"   raw COPY: {len(prepared):,} rows in {elapsed:.2f} s = {rate:,.0f} rows/s (baseline)")
        self.clean(source)
        return rate

    # -- 2. import_dossiers -----------------------------------------------------------------------------

    def child_env(self) -> dict[str, str]:
        env = {**os.environ, "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "casetracker.settings"}
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
        return env

    def run_import(self, path: Path, source: str, timeout: float) -> tuple[dict, int, bool]:
        """Run import_dossiers as a child; returns (its figures, peak RSS in kB, finished)."""
        command = [sys.executable, "manage.py", "import_dossiers", str(path), "--source", source,
                   "--batch", str(self.options["batch"])]  # fmt: skip
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=settings.BASE_DIR, env=self.child_env(), text=True,
                                 stdout=subprocess.PIPE, stderr=None)  # fmt: skip
        peak, finished = 0, True
        try:
            while child.poll() is None:
                peak = max(peak, _hwm_kb(child.pid))
                if time.monotonic() - started > timeout:
                    finished = False
                    child.send_signal(signal.SIGINT)
                    try:
                        child.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        child.kill()
                    break
                time.sleep(0.5)
        finally:
            if child.poll() is None:
                child.kill()
            output = child.stdout.read() if child.stdout else ""
            child.wait()
        sys.stderr.write("\n")
        wall = time.monotonic() - started
        match = RATE.search(output)
        if finished and (child.returncode != 0 or match is None):
            raise CommandError(f"import_dossiers failed ({child.returncode}): {output[-2000:]}")
        figures = {"wall": wall}
        if match:
            figures.update(rows=int(match[1].replace(",", "")), seconds=float(match[2]),
                           rate=float(match[3].replace(",", "")), created=int(match[4].replace(",", "")))  # fmt: skip
        return figures, peak, finished

    def bench_import(self, n: int) -> float:
        source = SOURCES["import"]
        self.say(f"2. import_dossiers on the same {n:,} rows (CSV, batches of {self.options['batch']:,}) …")
        figures, peak, _finished = self.run_import(self.workdir / "rows.csv", source, timeout=3600)
        if figures["created"] != n:
            raise CommandError(f"import_dossiers created {figures['created']:,} of {n:,} rows.")
        self.say(f"   import_dossiers: {n:,} rows in {figures['seconds']:.2f} s = {figures['rate']:,.0f} rows/s "
                 f"(wall {figures['wall']:.1f} s with interpreter start; peak RSS {peak / 1024:,.0f} MB)")  # fmt: skip
        self.clean(source)
        return figures["rate"]

    # -- 3. bulk endpoint over HTTP ----------------------------------------------------------------------

    def bench_http(self, rows: list[list[str]]) -> float:
        source = SOURCES["http"]
        options = self.options
        client = create_client(
            name=source, unit=self.province, scopes=["write_dossiers"], rate_limit_per_minute=0
        )
        _key, plaintext = issue_key(client, label="bench_ingest")
        size = options["http_batch"]
        bodies = []
        for start in range(0, len(rows), size):
            items = [dict(zip(HEADER, row, strict=True)) for row in rows[start : start + size]]
            for item in items:
                item["channel"] = int(item["channel"])
            bodies.append(json.dumps({"items": items}).encode())
        port = _free_port()
        log = (self.workdir / "gunicorn.log").open("wb")  # shown when something fails
        self.say(f"3. bulk endpoint over HTTP: {len(rows):,} rows in {len(bodies)} requests of ≤ {size:,} items, "
                 f"{options['connections']} connections, gunicorn with {options['workers']} workers "
                 f"on 127.0.0.1:{port} …")  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "casetracker.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(options["workers"]), "--timeout", "300", "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=self.child_env(), stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            self.wait_for(port, server)
            self.warm_up(port, plaintext)
            rate = self.send_all(port, plaintext, bodies, len(rows))
        except CommandError:
            log.flush()
            self.say((self.workdir / "gunicorn.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            log.close()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        self.clean(source)
        return rate

    def wait_for(self, port: int, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/ingest/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.3)
        raise CommandError("gunicorn did not answer within 60 s")

    def warm_up(self, port: int, plaintext: str) -> None:
        """Empty bulk requests, so each worker has imported and connected before the clock starts."""
        headers = {"Authorization": f"Api-Key {plaintext}", "Content-Type": "application/json"}
        for _ in range(self.options["workers"] * 3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", "/api/v1/ingest/", body=b'{"items": []}', headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                raise CommandError(f"warm-up request answered {response.status}")

    def send_all(self, port: int, plaintext: str, bodies: list[bytes], n: int) -> float:
        pending = list(enumerate(bodies))
        lock = threading.Lock()
        counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        failures: list[str] = []
        done = [0]

        def worker() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            try:
                while not failures:
                    with lock:
                        if not pending:
                            return
                        index, body = pending.pop(0)
                    headers = {"Authorization": f"Api-Key {plaintext}", "Content-Type": "application/json"}
                    if self.options["idempotency"]:
                        headers["Idempotency-Key"] = f"bench-{index}"
                    conn.request("POST", "/api/v1/ingest/", body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    if response.status != 200:
                        failures.append(f"request {index}: {response.status} {payload[:300]!r}")
                        return
                    got = json.loads(COUNTS.search(payload[:400]).group(1))  # not the 5,000 outcomes
                    with lock:
                        for key, value in got.items():
                            counts[key] += value
                        done[0] += 1
            except Exception as error:  # reported below; the other threads stop
                failures.append(f"{type(error).__name__}: {error}")
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.options["connections"])]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=2)
            elapsed = time.monotonic() - started
            sys.stderr.write(f"\r  {done[0]}/{len(bodies)} requests  {elapsed:.0f} s")
            sys.stderr.flush()
        sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        if failures:
            raise CommandError(f"bulk HTTP failed: {failures[0]}")
        if counts["created"] != n:
            raise CommandError(f"bulk HTTP created {counts['created']:,} of {n:,} rows: {counts}")
        rate = n / elapsed
        self.say(f"   bulk HTTP: {n:,} rows in {elapsed:.2f} s = {rate:,.0f} rows/s "
                 f"({len(bodies) / elapsed:.1f} requests/s)")  # fmt: skip
        return rate

    # -- 4. peak memory -----------------------------------------------------------------------------------

    def bench_memory(self, m: int) -> tuple[int, int]:
        source = SOURCES["memory"]
        path = self.workdir / "memory.csv"
        self.say(
            f"4. peak memory of import_dossiers on {m:,} rows (stopped after {self.options['memory_timeout']} s) …"
        )
        self.write_csv(self.iter_rows(m, "M"), path)  # streamed: the file is never held in memory
        figures, peak, finished = self.run_import(path, source, timeout=self.options["memory_timeout"])
        done = Dossier.objects.filter(source_system=source).count()
        if finished:
            self.say(f"   import_dossiers: {m:,} rows in {figures['seconds']:.1f} s = {figures['rate']:,.0f} rows/s; "
                     f"peak RSS {peak / 1024:,.0f} MB")  # fmt: skip
        else:
            self.say(f"   stopped after {self.options['memory_timeout']} s at {done:,} of {m:,} rows; "
                     f"peak RSS so far {peak / 1024:,.0f} MB")  # fmt: skip
        path.unlink()
        self.clean(source)
        return (m if finished else done), peak
