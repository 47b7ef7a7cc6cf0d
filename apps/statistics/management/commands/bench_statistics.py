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
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from apps.catalogue.models import Procedure
from apps.core.actors import Actor
from apps.core.measuring import bench_admin, freeze_gc, get_ok, percentile, require_postgresql, spread
from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit
from apps.statistics import services as stats
from apps.statistics.bench_data import insert_synthetic_dossiers
from apps.statistics.benchmarking import (
    child_of,
    last_month,
    measure_rebuild_round,
    prepare_scores,
    profile_scoring,
    rankings_url,
    score_url,
    time_scores,
)
from apps.statistics.models import LeafCounts
from apps.statistics.periods import PeriodKind, containing
from apps.workcalendar.services import ensure_default_calendar

# The rebuild's SELECT timed a second way over the same rows: the definition the default is derived from.
COMPARED = {"by_join": True}
COMPARED_NAME = "each dossier joined with every period"


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
        require_postgresql()
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
            low, mid, high = spread(values)
            self.say(f"| {name} | {low:.2f} | {mid:.2f} | {high:.2f} |")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    # -- data --------------------------------------------------------------------------------------

    def prepare(self) -> Unit:
        if not Unit.objects.exists():
            call_command("loaddata", "units", "procedures", verbosity=0)
        ensure_default_calendar(2024, timezone.localdate().year + 1)
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
        for run in range(self.options["runs"]):
            measured = measure_rebuild_round(compare=COMPARED)
            self.say(f"  run {run + 1}: project baseline {measured.project:.2f} s ({measured.project_rows:,} rows; "
                     f"{COMPARED_NAME} instead: {measured.compared:.2f} s), plain GROUP BY "
                     f"{measured.plain:.2f} s ({measured.plain_rows:,} rows), rebuild {measured.rebuild:.2f} s "
                     f"({measured.leaf_rows:,} leaf rows, {measured.unit_rows:,} unit rows), VACUUM ANALYZE "
                     f"{measured.vacuum:.2f} s")  # fmt: skip
            self.record("rebuild, leaves + roll-up + ANALYZE (s)", measured.rebuild)
            self.record("VACUUM after the rebuild (s)", measured.vacuum)
            self.record("project baseline: counting SELECT into a temp table (s)", measured.project)
            self.record("plain per-unit x month GROUP BY, 4 counts (s)", measured.plain)
            self.record(f"counting SELECT, {COMPARED_NAME} instead (s)", measured.compared)
            self.record("rebuild / project baseline (x)", measured.over_project)
            self.record("rebuild / plain GROUP BY (x)", measured.over_plain)
        ratio = statistics.median(self.figures["rebuild / project baseline (x)"])
        plain_ratio = statistics.median(self.figures["rebuild / plain GROUP BY (x)"])
        self.say(
            f"REBUILD: {Dossier.objects.count():,} dossiers, {measured.periods} periods, all serial: rebuild "
            f"{statistics.median(self.figures['rebuild, leaves + roll-up + ANALYZE (s)']):.2f} s, ratio "
            f"{ratio:.2f}x the project baseline (target <= 1.5x), {plain_ratio:.2f}x the plain GROUP BY "
            "(target <= 2.5x)"
        )

    # -- 2. API latency ---------------------------------------------------------------------------

    def bench_api(self, province: Unit) -> None:
        # Scores read the online-offering and publication registers (demo-sized contents when empty),
        # the aggregates and the snapshots beat's nightly task files: reads never store snapshots.
        prepare_scores(self.say)
        client = Client()
        client.force_login(bench_admin())
        month = last_month()
        endpoints = [
            ("score (province, last month)", score_url(province, month)),
            ("score (commune, last month)", score_url(child_of(province), month)),
            ("rankings (province children, last month)", rankings_url(province, month)),
            ("rankings (province children, this week)", rankings_url(province)),
        ]
        for _name, url in endpoints:
            get_ok(client, url)
        if self.options["freeze_gc"]:
            self.say(f"  gc.freeze(): {freeze_gc():,} objects left out of later collections")
        for _round in range(self.options["runs"]):
            self.profile_scoring(province)
            for name, url in endpoints:
                for mode in ("uncached", "cached"):
                    timings = time_scores(client, url, self.options["requests"], uncached=mode == "uncached")
                    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
                    self.record(f"API {name} [{mode}] p50 (ms)", p50)
                    self.record(f"API {name} [{mode}] p95 (ms)", p95)
                    self.say(
                        f"API {name} [{mode}]: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(timings)} requests"
                    )

    def profile_scoring(self, province: Unit) -> None:
        """Where an uncached ranking's time goes: the selector's read, then the pure scoring of the children."""
        profile = profile_scoring(province, max(5, self.options["requests"] // 4))
        self.record("read of the province subtree (roll-up, petitions, facts) p50 (ms)", profile.read)
        self.record(f"Python scoring of the {profile.children} children p50 (ms)", profile.scoring)
        self.say(f"PROFILE: subtree read p50 {profile.read:.1f} ms; scoring {profile.children} children "
                 f"p50 {profile.scoring:.1f} ms")  # fmt: skip

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
