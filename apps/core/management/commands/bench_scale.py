"""Read paths at scale, on whatever a scratch PostgreSQL database holds (e.g. after ``generate_bulk``).

Times the dossier list through the API as a client sees it (first page, a page deep in the cursor chain,
one commune's list, the overdue list) and reports the table sizes per million dossiers, so the figures in
docs/scaling.md and docs/benchmarks.md can be reproduced on any size.
"""

from __future__ import annotations

import resource

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client

from apps.core.bulk_dossiers import table_sizes
from apps.core.measuring import bench_admin, get_ok, percentile, require_postgresql, time_requests
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit, UnitKind


class Command(BaseCommand):
    help = "Time the dossier list API (first, deep, per-unit and overdue pages) and report table sizes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=30, help="Requests per measured page.")
        parser.add_argument("--province", default="H44")
        parser.add_argument("--depth", type=int, default=20, help="Cursor pages followed for the deep page.")

    def handle(self, *args, **options) -> None:
        require_postgresql()
        if options["requests"] < 1:
            raise CommandError("--requests must be positive.")
        dossiers = Dossier.objects.count()
        self.say(f"dossiers: {dossiers:,}")
        client = Client()
        client.force_login(bench_admin())
        commune = (
            Unit.objects.subtree_of(Unit.objects.get(code=options["province"]))
            .filter(kind=UnitKind.COMMUNE)
            .order_by("pk")
            .first()
        )
        deep = "/api/v1/dossiers/"
        for _ in range(options["depth"]):
            deep = self.get(client, deep)["next"] or deep
        pages = [
            ("list, first page", "/api/v1/dossiers/"),
            (f"list, page {options['depth'] + 1} by cursor", deep),
            (f"list of one commune ({commune.code}), first page", f"/api/v1/dossiers/?unit={commune.code}"),
            ("overdue, first page", "/api/v1/dossiers/?overdue=true"),
            (f"overdue in {options['province']}, first page", f"/api/v1/dossiers/?overdue=true&unit={options['province']}"),
        ]  # fmt: skip
        for name, url in pages:
            rows = len(self.get(client, url)["results"])
            timings = time_requests(client, url, options["requests"])
            self.say(
                f"API {name}: {rows} rows, p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms,"
                f" min {min(timings):.1f}, max {max(timings):.1f} over {len(timings)} requests"
            )
        sizes = table_sizes()
        total = sum(sizes.values())
        per_million = 1_000_000 / max(dossiers, 1)
        for table, size in sizes.items():
            if size >= 1 << 20:
                self.say(
                    f"SIZE {table}: {size / 2**20:,.0f} MB ({size * per_million / 2**20:,.0f} MB per million)"
                )
        self.say(f"SIZE dossier + event + statistics tables: {total / 2**30:,.2f} GB ({total * per_million / 2**20:,.0f} MB per million)")  # fmt: skip
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.say(f"peak RSS of this process: {peak:,.0f} MB")

    def get(self, client: Client, url: str) -> dict:
        return get_ok(client, url).json()

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
