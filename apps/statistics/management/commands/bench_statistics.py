"""Benchmarks of the live index engine, measured in one run on PostgreSQL (see docs/benchmarks.md).

1. Full rebuild of the leaf aggregates against one hand-written GROUP BY computing the same counts
   (materialised into a temporary table, so both write the same rows).
2. Score and ranking API latency for the province (about 170 children), uncached and cached.
3. Event-to-score latency through Redis and a real worker process (when CELERY_BROKER_URL is set).

It writes synthetic dossiers (source_system "bench"): point DATABASE_URL at a scratch database.
"""

from __future__ import annotations

import datetime as dt
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
from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit
from apps.statistics import reports
from apps.statistics import services as stats
from apps.statistics.bench_data import insert_synthetic_dossiers
from apps.statistics.counting import select_leaf_rows
from apps.statistics.models import LeafCounts
from apps.statistics.periods import PeriodKind, containing
from apps.workcalendar.services import ensure_default_calendar


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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
        parser.add_argument("--skip", nargs="*", default=[], choices=["rebuild", "api", "latency"])

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")
        self.options = options
        province = self.prepare()
        if "rebuild" not in options["skip"]:
            self.bench_rebuild()
        if "api" not in options["skip"]:
            self.bench_api(province)
        if "latency" not in options["skip"]:
            self.bench_latency(province)

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

    def bench_rebuild(self) -> None:
        today = stats.today()
        first = Dossier.objects.order_by("received_on").values_list("received_on", flat=True).first()
        periods = stats.named_periods_between(first, today)
        baseline_runs, rebuild_runs = [], []
        for run in range(2):
            sql, params = select_leaf_rows(periods, today)
            with transaction.atomic(), connection.cursor() as cursor:
                stats.tune_for_bulk_aggregation()  # the same session settings the rebuild uses
                cursor.execute("DROP TABLE IF EXISTS bench_baseline")
                started = time.monotonic()
                cursor.execute(f"CREATE TEMP TABLE bench_baseline AS {sql}", params)
                baseline_runs.append(time.monotonic() - started)
                cursor.execute("SELECT count(*) FROM bench_baseline")
                baseline_rows = cursor.fetchone()[0]
                cursor.execute("DROP TABLE bench_baseline")
            started = time.monotonic()
            rebuilt_rows = stats.rebuild_all()
            rebuild_runs.append(time.monotonic() - started)
            self.say(f"  run {run + 1}: baseline GROUP BY {baseline_runs[-1]:.2f} s ({baseline_rows:,} rows), "
                     f"rebuild {rebuild_runs[-1]:.2f} s ({rebuilt_rows:,} rows)")  # fmt: skip
        baseline, rebuild = min(baseline_runs), min(rebuild_runs)
        self.say(
            f"REBUILD: {Dossier.objects.count():,} dossiers, {len(periods)} periods: baseline {baseline:.2f} s, "
            f"rebuild {rebuild:.2f} s, ratio {rebuild / baseline:.2f}x (target <= 1.5x)"
        )

    # -- 2. API latency ---------------------------------------------------------------------------

    def bench_api(self, province: Unit) -> None:
        if not LeafCounts.objects.exists():
            stats.rebuild_all()
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
        for name, url in endpoints:
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            for mode in ("uncached", "cached"):
                timings = []
                for _ in range(self.options["requests"]):
                    if mode == "uncached":
                        reports._SCORERS.clear()
                    started = time.perf_counter()
                    client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                self.say(
                    f"API {name} [{mode}]: p50 {percentile(timings, 0.5):.1f} ms, "
                    f"p95 {percentile(timings, 0.95):.1f} ms over {len(timings)} requests"
                )

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
