"""Benchmarks of the live index engine, measured in one run on PostgreSQL (see docs/benchmarks.md).

1. Full rebuild of the leaves and the unit roll-up against two baselines, all serial: the project's
   own (the counting SELECT materialised into a temporary table, so both compute the same rows) and a
   plain per-unit × month GROUP BY with 4 counts over the same dossiers.
2. Score and ranking API latency for the province (about 170 children), uncached and cached, after the
   nightly snapshot task has run (as beat would have), with the read and the Python scoring profiled.
3. Event-to-score latency through Redis and a real worker process (when CELERY_BROKER_URL is set).

``--runs`` repeats 1 and 2 (default 3) and ends with one table of min / median / max per figure.

It writes synthetic dossiers (source_system "bench"): point DATABASE_URL at a scratch database.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.catalogue.demo import seed_registers
from apps.catalogue.models import Procedure
from apps.core.actors import Actor
from apps.core.measuring import percentile
from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit
from apps.statistics import reports
from apps.statistics import services as stats
from apps.statistics.bench_data import insert_synthetic_dossiers
from apps.statistics.counting import select_leaf_rows
from apps.statistics.models import LeafCounts, UnitCounts
from apps.statistics.periods import PeriodKind, containing
from apps.statistics.scores import SubtreeScorer
from apps.statistics.selectors import subtree_inputs
from apps.statistics.snapshots import snapshot_closed_periods
from apps.workcalendar.services import ensure_default_calendar


class Command(BaseCommand):
    help = "Benchmark the statistics rebuild, the score/ranking API and event-to-score latency (PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dossiers", type=int, default=1_000_000, help="Total synthetic dossiers wanted."
        )
        parser.add_argument("--batch", type=int, default=1_000_000)
        parser.add_argument("--province", default="H44")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--requests", type=int, default=200, help="API requests per measured endpoint.")
        parser.add_argument("--transitions", type=int, default=200, help="Transitions for the latency run.")
        parser.add_argument("--runs", type=int, default=3, help="Rounds of the rebuild and API figures.")
        parser.add_argument(
            "--freeze-gc",
            action="store_true",
            help="gc.freeze() after the warm-up requests, as a web worker may do after start-up: the cyclic "
            "collector then no longer walks the start-up objects (about 90 ms per full collection here).",
        )
        parser.add_argument("--skip", nargs="*", default=[], choices=["rebuild", "api", "latency"])

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")
        self.options = options
        self.figures: dict[str, list[float]] = {}
        province = self.prepare()
        if "rebuild" not in options["skip"]:
            self.bench_rebuild()
        if "api" not in options["skip"]:
            self.bench_api(province)
        if "latency" not in options["skip"]:
            self.bench_latency(province)
        self.summary()

    def record(self, name: str, value: float) -> None:
        self.figures.setdefault(name, []).append(value)

    def summary(self) -> None:
        """One table, min / median / max over the rounds of each figure."""
        if not self.figures:
            return
        self.say(f"\nSUMMARY ({Dossier.objects.count():,} dossiers, {self.options['runs']} rounds)")
        self.say("| figure | min | median | max |\n|---|---|---|---|")
        for name, values in self.figures.items():
            low, mid, high = min(values), statistics.median(values), max(values)
            self.say(f"| {name} | {low:.2f} | {mid:.2f} | {high:.2f} |")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # -- data --------------------------------------------------------------------------------------

    def prepare(self) -> Unit:
        if not Unit.objects.exists():
            call_command("loaddata", "units", "procedures", verbosity=0)
        ensure_default_calendar(2024, timezone.localdate().year + 1)
        # Scores read the online-offering and publication registers: give them demo-sized contents.
        self.stdout.write(seed_registers(seed=1, today=timezone.localdate()).line())
        province = Unit.objects.get(code=self.options["province"])
        have = Dossier.objects.count()
        want = self.options["dossiers"]
        first_day = timezone.localdate() - dt.timedelta(days=self.options["days"])
        started = time.monotonic()
        while have < want:
            batch = min(self.options["batch"], want - have)
            insert_synthetic_dossiers(
                province=province,
                count=batch,
                first_day=first_day,
                days=self.options["days"],
                seed=(have % 997) / 1000,
            )
            have += batch
            rate = have / max(time.monotonic() - started, 1e-9)
            self.say(f"  generated {have:,}/{want:,} dossiers ({rate:,.0f}/s)")
        self.say(f"dossiers in the table: {Dossier.objects.count():,}; units in {province.code}: "
                 f"{Unit.objects.subtree_of(province).count()}")  # fmt: skip
        return province

    # -- 1. rebuild ---------------------------------------------------------------------------------

    PLAIN_BASELINE = (
        "SELECT handling_unit_id, date_trunc('month', received_on::timestamp) AS month, COUNT(*) AS dossiers,"
        " COUNT(*) FILTER (WHERE ended_on IS NOT NULL) AS ended,"
        " COUNT(*) FILTER (WHERE timeliness = 'late') AS late,"
        " COUNT(*) FILTER (WHERE channel = 2) AS online"
        " FROM dossiers_dossier WHERE received_on IS NOT NULL GROUP BY 1, 2"
    )

    def _timed_table(self, sql: str, params: list) -> tuple[float, int]:
        """CREATE TEMP TABLE … AS the query with the rebuild's session settings (serial); rolled back."""
        with transaction.atomic(), connection.cursor() as cursor:
            stats.tune_for_bulk_aggregation()
            started = time.monotonic()
            cursor.execute(f"CREATE TEMP TABLE bench_baseline AS {sql}", params)
            elapsed = time.monotonic() - started
            rows = cursor.rowcount
            transaction.set_rollback(True)
        return elapsed, rows

    def bench_rebuild(self) -> None:
        today = stats.today()
        first = Dossier.objects.order_by("received_on").values_list("received_on", flat=True).first()
        periods = stats.named_periods_between(first, today)
        for run in range(self.options["runs"]):
            project, baseline_rows = self._timed_table(*select_leaf_rows(periods, today))
            compared, _rows = self._timed_table(*select_leaf_rows(periods, today, one_pass=True))
            plain, plain_rows = self._timed_table(self.PLAIN_BASELINE, [])
            started = time.monotonic()
            rebuilt_rows = stats.rebuild_all(vacuum=False)
            rebuild = time.monotonic() - started
            started = time.monotonic()
            stats.vacuum_aggregates()
            vacuum = time.monotonic() - started
            self.say(f"  run {run + 1}: project baseline {project:.2f} s ({baseline_rows:,} rows; one-pass "
                     f"memberships instead: {compared:.2f} s), plain GROUP BY "
                     f"{plain:.2f} s ({plain_rows:,} rows), rebuild {rebuild:.2f} s ({rebuilt_rows:,} leaf rows, "
                     f"{UnitCounts.objects.count():,} unit rows), VACUUM ANALYZE {vacuum:.2f} s")  # fmt: skip
            self.record("rebuild, leaves + roll-up + ANALYZE (s)", rebuild)
            self.record("VACUUM after the rebuild (s)", vacuum)
            self.record("project baseline: counting SELECT into a temp table (s)", project)
            self.record("plain per-unit x month GROUP BY, 4 counts (s)", plain)
            self.record("counting SELECT, one-pass memberships (generate_series) instead (s)", compared)
            self.record("rebuild / project baseline (x)", rebuild / project)
            self.record("rebuild / plain GROUP BY (x)", rebuild / plain)
        ratio = statistics.median(self.figures["rebuild / project baseline (x)"])
        plain_ratio = statistics.median(self.figures["rebuild / plain GROUP BY (x)"])
        self.say(
            f"REBUILD: {Dossier.objects.count():,} dossiers, {len(periods)} periods, all serial: rebuild "
            f"{statistics.median(self.figures['rebuild, leaves + roll-up + ANALYZE (s)']):.2f} s, ratio "
            f"{ratio:.2f}x the project baseline (target <= 1.5x), {plain_ratio:.2f}x the plain GROUP BY "
            "(target <= 2.5x)"
        )

    # -- 2. API latency ---------------------------------------------------------------------------

    def bench_api(self, province: Unit) -> None:
        if not LeafCounts.objects.exists():
            stats.rebuild_all()
        started = time.monotonic()
        filed = snapshot_closed_periods()  # what beat's nightly task does: reads never store snapshots
        self.say(f"  snapshot task: {filed:,} snapshots filed in {time.monotonic() - started:.1f} s")
        admin, _ = User.objects.get_or_create(
            username="bench-admin",
            defaults={"is_superuser": True, "is_staff": True, "role": Role.ADMINISTRATOR},
        )
        client = Client()
        client.force_login(admin)
        month = containing(PeriodKind.MONTH, stats.today()).previous().key
        child = Unit.objects.filter(parent=province).order_by("code").first()
        endpoints = [
            ("score (province, last month)", f"/api/v1/units/{province.code}/score/?period={month}"),
            ("score (commune, last month)", f"/api/v1/units/{child.code}/score/?period={month}"),
            (
                "rankings (province children, last month)",
                f"/api/v1/units/{province.code}/rankings/?period={month}",
            ),
            ("rankings (province children, this week)", f"/api/v1/units/{province.code}/rankings/"),
        ]
        for _name, url in endpoints:
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        if self.options["freeze_gc"]:
            gc.collect()
            gc.freeze()
            self.say(f"  gc.freeze(): {gc.get_freeze_count():,} objects left out of later collections")
        for _round in range(self.options["runs"]):
            self.profile_scoring(province)
            for name, url in endpoints:
                for mode in ("uncached", "cached"):
                    timings = []
                    for _ in range(self.options["requests"]):
                        if mode == "uncached":
                            reports._SCORERS.clear()
                        started = time.perf_counter()
                        client.get(url)
                        timings.append((time.perf_counter() - started) * 1000)
                    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
                    self.record(f"API {name} [{mode}] p50 (ms)", p50)
                    self.record(f"API {name} [{mode}] p95 (ms)", p95)
                    self.say(
                        f"API {name} [{mode}]: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(timings)} requests"
                    )

    def profile_scoring(self, province: Unit) -> None:
        """Where an uncached ranking's time goes: the selector's read, then the pure scoring of the children."""
        period = containing(PeriodKind.MONTH, stats.today()).previous()
        reads, scorings = [], []
        for _ in range(max(5, self.options["requests"] // 4)):
            started = time.perf_counter()
            read = subtree_inputs(province, period, stats.today())
            middle = time.perf_counter()
            children = SubtreeScorer(read).children_scores(province)
            reads.append((middle - started) * 1000)
            scorings.append((time.perf_counter() - middle) * 1000)
        self.record(
            "read of the province subtree (roll-up, petitions, facts) p50 (ms)", statistics.median(reads)
        )
        self.record(f"Python scoring of the {len(children)} children p50 (ms)", statistics.median(scorings))
        self.say(f"PROFILE: subtree read p50 {statistics.median(reads):.1f} ms; scoring {len(children)} children "
                 f"p50 {statistics.median(scorings):.1f} ms")  # fmt: skip

    # -- 3. event-to-score latency --------------------------------------------------------------------

    def bench_latency(self, province: Unit) -> None:
        if not settings.CELERY_BROKER_URL:
            self.say("LATENCY: skipped (set CELERY_BROKER_URL to run it through Redis and a worker).")
            return
        from casetracker.celery import app

        app.conf["CELERY_TASK_ALWAYS_EAGER"] = False
        unit = Unit.objects.filter(parent=province, kind="commune").order_by("code").first()
        procedure = Procedure.objects.filter(
            versions__level="commune", versions__valid_to__isnull=True
        ).first()
        env = {**os.environ}
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "casetracker", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--hostname=bench@%h"],
            cwd=Path(settings.BASE_DIR), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=1.0):
                if time.monotonic() > deadline:
                    raise CommandError("the worker did not start")
            actor = Actor.of_system("bench")
            count = self.options["transitions"]
            opened = [
                dossier_services.receive_dossier(procedure=procedure, receiving_unit=unit, actor=actor)
                for _ in range(count)
            ]
            week = containing(PeriodKind.WEEK, stats.today())

            def ended() -> int:
                rows = LeafCounts.objects.filter(unit=unit, period_kind="week", period_start=week.start)
                return rows.aggregate(n=Sum("ended"))["n"] or 0

            time.sleep(3)  # let the receipts' drains settle
            latencies = []
            for index, dossier in enumerate(opened, start=1):
                before = ended()
                started = time.monotonic()
                dossier_services.finish(dossier, actor=actor)
                while ended() <= before:
                    if time.monotonic() - started > 30:
                        raise CommandError("a transition did not reach the aggregates within 30 s")
                    time.sleep(0.01)
                latencies.append(time.monotonic() - started)
                if index % 50 == 0:
                    self.say(f"  {index}/{count} transitions")
            self.say(
                f"LATENCY event-to-score: p50 {statistics.median(latencies):.2f} s, "
                f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s over {count} transitions "
                f"(target p95 < 2 s)"
            )
        finally:
            worker.terminate()
            worker.wait(timeout=20)
            app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
