"""Issue 11's table of targets, every row measured side by side in one run on PostgreSQL.

On whatever the database holds (e.g. after ``generate_bulk``; no dossier is added: the timed creates are
deleted again), ``--runs`` rounds (default 3) of each figure, printed as one table: measured | min |
median | max | target | met? (met is judged on the median). In this order, so that nothing measured
later pays for what came before:

1. The hot path, as the province's supervisor and a clerk at its first commune: the dossier list in ms
   per row (fetch + the lean serializer), one ``POST /dossiers/`` (statements, BEGIN/COMMIT included),
   the ``?overdue=true`` first page (p50) and whether its plan uses ``dossier_open_due_idx``, and the
   indexes of ``dossiers_dossier``.
2. The statistics rebuild, the project's own (``services.rebuild_all``, what ``rebuild_statistics`` runs),
   against its own SELECT and a plain GROUP BY, all serial; the leaf table's dead rows and analyse time
   after the rebuild and its VACUUM; and, against the same plain GROUP BY, two floors under any rebuild:
   the per-dossier counts alone (one grouped scan, no period logic) and the rebuilt leaves written again
   without counting them.
3. Score and rankings of the province, uncached, p95 over ``--requests``, after the nightly snapshot task
   and, as gunicorn's ``post_worker_init`` does, ``gc.freeze()`` once the warm-up requests are done:
   last month (a closed month's ranking reads the children's snapshots) and this month (the running
   period's scores the drain stores; and, for comparison, the same ranking scored live).

The shared measuring functions live in apps/core/measuring.py, apps/dossiers/benchmarking.py and
apps/statistics/benchmarking.py (bench_hot_path and bench_statistics use them too).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from apps.core.measuring import freeze_gc, get_ok, percentile, require_postgresql, spread, time_requests
from apps.dossiers import benchmarking as dossier_bench
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit, UnitKind
from apps.statistics import benchmarking as stats_bench
from apps.statistics.services import today
from apps.statistics.snapshots import BACKFILL
from apps.workcalendar.services import ensure_default_calendar

DEAD_SHARE = 0.01  # "dead rows ≈ 0": at most 1 % of the live rows
SAMPLED = 10_000  # the newest dossiers that pick the busiest province


def _ratio(limit: float) -> dict:
    """How a ratio row with an upper limit prints and is judged."""
    return {"target": f"≤ {limit}×", "meets": lambda v: v <= limit, "digits": 2, "suffix": "×"}


@dataclass
class Row:
    """One measured figure: its values over the rounds, how they print and what meets the target."""

    name: str
    target: str = "—"
    meets: Callable[[float], bool] | None = None
    digits: int = 1
    suffix: str = ""
    yes_no: bool = False
    values: list[float] = field(default_factory=list)

    def show(self, value: float) -> str:
        if self.yes_no:
            return "yes" if value else "no"
        return f"{value:,.{self.digits}f}{self.suffix}"

    def cells(self) -> list[str]:
        if not self.values:
            return ["not measured"] * 3 + [self.target, "—"]
        low, mid, high = spread(self.values)
        met = "—" if self.meets is None else ("yes" if self.meets(mid) else "NO")
        return [self.show(low), self.show(mid), self.show(high), self.target, met]


class Command(BaseCommand):
    help = (
        "Measure every row of issue 11's targets in one run (PostgreSQL): min / median / max of the rounds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=3, help="Rounds of every figure.")
        parser.add_argument(
            "--requests", type=int, default=30, help="Requests per round behind each p50 / p95."
        )
        parser.add_argument("--rows", type=int, default=500, help="Dossiers per timed list.")
        parser.add_argument(
            "--backfill",
            type=int,
            default=BACKFILL,
            help="Closed weeks and months the snapshot task files before the score figures (default: "
            "the nightly task's; fewer only for a quick run, since rankings then score more periods live).",
        )
        parser.add_argument(
            "--province",
            help="Code of the province to read as (default: the one handling most of the newest dossiers).",
        )

    def handle(self, *args, **options) -> None:
        require_postgresql()
        runs, requests, rows = options["runs"], options["requests"], options["rows"]
        self.requests, self.list_rows = requests, rows
        if min(runs, requests, rows, options["backfill"]) < 1:
            raise CommandError("--runs, --requests, --rows and --backfill must be at least 1.")
        dossiers = Dossier.objects.count()
        if not dossiers:
            raise CommandError(
                "No dossiers to measure: load some first (manage.py generate_bulk --dossiers N)."
            )
        province = self.province(options["province"])
        children = Unit.objects.filter(parent=province).count()
        ensure_default_calendar(2024, today().year + 1)
        self.rows = self.define_rows(children, rows)
        self.load, self.started = os.getloadavg(), time.monotonic()
        self.progress(f"{dossiers:,} dossiers; reading as province {province.code} ({children} children)")
        frozen = 0
        try:
            self.hot_path(province, runs)
            self.rebuild(runs)
            frozen = self.scores(province, runs, requests, options["backfill"])
        finally:
            gc.unfreeze()  # the calling process (a test) is left as it was
        self.report(province, dossiers, children, runs, requests, frozen)

    # -- set-up ------------------------------------------------------------------------------------

    def province(self, code: str | None) -> Unit:
        """The named province, or the one whose subtree handles most of the newest dossiers."""
        if code:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                raise CommandError(f"No unit with code {code!r}.")
            return unit
        newest = Dossier.objects.order_by("-id").values_list("handling_unit__path", flat=True)[:SAMPLED]
        roots = Counter(path.split("/", 1)[0] for path in newest)
        provinces = Unit.objects.filter(parent__isnull=True, kind=UnitKind.PROVINCE, code__in=roots)
        found = max(provinces, key=lambda unit: roots[unit.code], default=None)
        if found is None:
            raise CommandError("No province handles the dossiers: name one with --province.")
        return found

    def define_rows(self, children: int, rows: int) -> dict[str, Row]:
        """Issue 11's rows in its order; ``meets`` says whether a median meets the target."""
        under_50 = {"target": "< 50", "meets": lambda v: v < 50}
        yes = {"target": "yes", "meets": bool, "yes_no": True}
        return {
            "score": Row("score of the province, last month, uncached, p95 (ms)", **under_50),
            "rankings": Row(
                f"rankings of its {children} children, last month, uncached, p95 (ms), gc frozen", **under_50
            ),
            "score_now": Row(
                "score of the province, this month (the drain's stored scores), uncached, p95 (ms)",
                **under_50,
            ),
            "rankings_now": Row(
                f"rankings of its {children} children, this month (the drain's stored scores), uncached,"
                " p95 (ms)",
                **under_50,
            ),
            "rankings_now_live": Row(
                f"rankings of its {children} children, this month, stored scores set aside (scored live),"
                " p95 (ms): the fallback"
            ),
            "plain": Row("full rebuild ÷ plain serial per-unit × month GROUP BY, 4 counts", **_ratio(2.5)),
            "write": Row(
                "writing the rebuilt leaves alone (fresh table + its 2 indexes, no counting) ÷ the same"
                " plain GROUP BY: the floor under any rebuild of these leaves",
                digits=2,
                suffix="×",
            ),
            "counting": Row(
                "the per-dossier counts alone (one grouped scan: each per-dossier figure the rebuild sums,"
                " by unit × procedure × week of receipt) ÷ the same plain GROUP BY: a floor under its counting",
                digits=2,
                suffix="×",
            ),
            "project": Row(
                "rebuild ÷ the project's own baseline (its SELECT), serial, like for like", **_ratio(1.5)
            ),
            "list": Row(
                f"dossier list, ms per row (fetch + serialization, {rows} rows)",
                target="≤ 0.3",
                meets=lambda v: v <= 0.3,
                digits=3,
            ),
            "overdue": Row("`?overdue=true` first page, p50 (ms)"),
            "overdue_plan": Row(f"`?overdue=true` plan uses {dossier_bench.PARTIAL_INDEX}", **yes),
            "post": Row(
                "single POST /dossiers/ statements (BEGIN/COMMIT included)",
                target="≤ 8",
                meets=lambda v: v <= 8,
                digits=0,
            ),
            "indexes": Row("dossiers_dossier indexes (listed below)", target="each justified", digits=0),
            # its ``meets`` is set once the live rows are known (rebuild)
            "dead": Row(
                "leaf table n_dead_tup after the rebuild's VACUUM",
                target=f"≈ 0 (≤ {DEAD_SHARE:.0%} of live)",
                digits=0,
            ),
            "analysed": Row("leaf table analysed by the rebuild (last_analyze / last_autoanalyze)", **yes),
        }

    # -- 1. hot path ---------------------------------------------------------------------------------

    def hot_path(self, province: Unit, runs: int) -> None:
        unit = dossier_bench.clerk_unit(province)
        clerk = dossier_bench.api_client(dossier_bench.bench_clerk(unit))
        body = dossier_bench.create_body(unit)
        supervisor = Client()
        supervisor.force_login(dossier_bench.bench_supervisor(province))
        get_ok(supervisor, dossier_bench.OVERDUE_URL)  # warm the connection and the calendar's cache
        made: list[str] = []
        self.posts: list[float] = []
        try:
            with dossier_bench.kicks_to_a_broker():
                made.append(dossier_bench.time_create(clerk, body).code)  # warm the per-process caches
                dossier_bench.list_ms_per_row(self.list_rows, lean=True)  # and the list's (display names)
                for run in range(1, runs + 1):
                    self.progress(
                        f"hot path {run}/{runs}: " + self.hot_path_round(clerk, body, supervisor, made)
                    )
        finally:
            dossier_bench.remove_dossiers(made)

    def hot_path_round(self, clerk: APIClient, body: dict, supervisor: Client, made: list[str]) -> str:
        """One round of the hot-path rows; the create's receipt code goes to ``made`` (deleted later)."""
        rows = self.rows
        listed = dossier_bench.list_ms_per_row(self.list_rows, lean=True)
        rows["list"].values.append(listed.total)
        create = dossier_bench.time_create(clerk, body)
        made.append(create.code)
        self.posts.append(create.ms)
        rows["post"].values.append(create.statements)
        overdue = dossier_bench.OVERDUE_URL
        page = percentile(time_requests(supervisor, overdue, self.requests), 0.5)
        rows["overdue"].values.append(page)
        uses = dossier_bench.plan_uses_index(supervisor, overdue)
        rows["overdue_plan"].values.append(uses)
        self.indexes = dossier_bench.dossier_indexes()
        rows["indexes"].values.append(len(self.indexes))
        return (
            f"list {listed.total:.3f} ms/row, POST {create.statements} statements ({create.ms:.1f} ms), "
            f"overdue page {page:.1f} ms ({'with' if uses else 'WITHOUT'} {dossier_bench.PARTIAL_INDEX}), "
            f"{len(self.indexes)} indexes"
        )

    # -- 2. rebuild ------------------------------------------------------------------------------------

    def rebuild(self, runs: int) -> None:
        self.rounds = []
        for run in range(1, runs + 1):
            self.progress(f"rebuild {run}/{runs}: baselines, then services.rebuild_all and its VACUUM …")
            measured = stats_bench.measure_rebuild_round()
            self.rounds.append(measured)
            self.rows["plain"].values.append(measured.over_plain)
            self.rows["write"].values.append(measured.write_over_plain)
            self.rows["counting"].values.append(measured.counting_over_plain)
            self.rows["project"].values.append(measured.over_project)
            self.rows["dead"].values.append(measured.leaves_after_vacuum.dead)
            self.rows["analysed"].values.append(measured.analysed)
            self.progress(
                f"  rebuild {measured.rebuild:.2f} s ({measured.leaf_rows:,} leaf rows), project baseline "
                f"{measured.project:.2f} s, plain GROUP BY {measured.plain:.2f} s, "
                f"the per-dossier counts alone {measured.counting:.2f} s, "
                f"the leaves written alone {measured.write:.2f} s, "
                f"VACUUM {measured.vacuum:.2f} s; leaf dead rows {measured.leaves_after_rebuild.dead:,} "
                f"before VACUUM, {measured.leaves_after_vacuum.dead:,} after"
            )
        live = statistics.median(r.leaves_after_vacuum.live for r in self.rounds)
        self.rows["dead"].meets = lambda dead: dead <= DEAD_SHARE * live

    # -- 3. score and rankings ---------------------------------------------------------------------------

    def scores(self, province: Unit, runs: int, requests: int, backfill: int) -> int:
        stats_bench.prepare_scores(self.progress, backfill=backfill)
        client = Client()
        client.force_login(dossier_bench.bench_supervisor(province))
        month = stats_bench.last_month()
        urls = {
            "score": stats_bench.score_url(province, month),
            "rankings": stats_bench.rankings_url(province, month),
            "score_now": stats_bench.score_url(province, stats_bench.this_month()),
            "rankings_now": stats_bench.rankings_url(province, stats_bench.this_month()),
        }
        for _ in range(3):  # warm-up, as a worker's first requests
            for url in urls.values():
                get_ok(client, url)
        frozen = freeze_gc()
        self.progress(f"gc.freeze() after the warm-up, as gunicorn's post_worker_init: {frozen:,} objects")
        self.profiles = []
        for run in range(1, runs + 1):
            self.profiles.append(stats_bench.profile_scoring(province, max(5, requests // 4)))
            for key, url in urls.items():
                p95 = percentile(stats_bench.time_scores(client, url, requests, uncached=True), 0.95)
                self.rows[key].values.append(p95)
            live = stats_bench.time_scores_set_aside(client, urls["rankings_now"], requests)
            self.rows["rankings_now_live"].values.append(percentile(live, 0.95))
            self.progress(
                f"scores {run}/{runs}: score p95 {self.rows['score'].values[-1]:.1f} ms, "
                f"rankings p95 {self.rows['rankings'].values[-1]:.1f} ms; this month: "
                f"{self.rows['score_now'].values[-1]:.1f} / {self.rows['rankings_now'].values[-1]:.1f} ms "
                f"(scored live: {self.rows['rankings_now_live'].values[-1]:.1f} ms)"
            )
        return frozen

    # -- output ----------------------------------------------------------------------------------------

    def progress(self, text: str) -> None:
        self.stderr.write(f"[{time.monotonic() - self.started:7.1f} s] {text}")
        self.stderr.flush()

    def report(
        self, province: Unit, dossiers: int, children: int, runs: int, requests: int, frozen: int
    ) -> None:
        say = self.stdout.write
        version = connection.pg_version
        say(
            f"\nTARGETS (issue 11): {dossiers:,} dossiers, province {province.code} ({children} children), "
            f"PostgreSQL {version // 10000}.{version % 10000}, Python {sys.version.split()[0]}; "
            f"min / median / max of {runs} rounds, p50 / p95 over {requests} requests a round; "
            f"met? judged on the median; load average {self.load[0]:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)"
        )
        say("| measured | min | median | max | target | met? |")
        say("|---|---|---|---|---|---|")
        for row in self.rows.values():
            say("| " + " | ".join([row.name, *row.cells()]) + " |")
        say("")
        context = {
            "rebuild: services.rebuild_all, leaves into a fresh table + its indexes + roll-up + ANALYZE + swap (s)": [
                r.rebuild for r in self.rounds
            ],
            "project baseline: the rebuild's SELECT into a temp table (s)": [r.project for r in self.rounds],
            "plain GROUP BY into a temp table (s)": [r.plain for r in self.rounds],
            "the per-dossier counts alone: one grouped scan by unit × procedure × week (s)": [
                r.counting for r in self.rounds
            ],
            "the rebuilt leaves written again alone: fresh table + its 2 indexes, no counting (s)": [
                r.write for r in self.rounds
            ],
            "VACUUM (ANALYZE) after the rebuild (s)": [r.vacuum for r in self.rounds],
            "leaf table n_dead_tup right after the rebuild, before VACUUM": [
                r.leaves_after_rebuild.dead for r in self.rounds
            ],
            "leaf table n_live_tup after VACUUM": [r.leaves_after_vacuum.live for r in self.rounds],
            "POST /dossiers/ (ms)": self.posts,
            "an uncached ranking's read of the subtree, p50 (ms)": [p.read for p in self.profiles],
            f"an uncached ranking's Python scoring of {children} children, p50 (ms)": [
                p.scoring for p in self.profiles
            ],
        }
        say("context, min / median / max:")
        for name, values in context.items():
            digits = 0 if all(isinstance(v, int) for v in values) else 2
            say(f"  {name}: " + " / ".join(f"{v:,.{digits}f}" for v in spread(values)))
        say(
            f"  uncached: the scorer cache emptied before each request; gc.freeze() after the warm-up as "
            f"gunicorn.conf.py's post_worker_init does ({frozen:,} objects frozen)"
        )
        after = Dossier.objects.count()
        say(f"  dossiers at the end: {after:,} ({after - dossiers:+,}: the timed creates were deleted again)")
        say(f"  indexes on dossiers_dossier ({len(self.indexes)}): " + ", ".join(n for n, _ in self.indexes))
