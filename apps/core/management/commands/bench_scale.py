"""Read paths at scale, on whatever a scratch PostgreSQL database holds (e.g. after ``generate_bulk``).

Times the dossier list through the API as a client sees it (first page, a page deep in the cursor chain,
one commune's list, the overdue list) and reports the table sizes per million dossiers, so the figures in
docs/scaling.md and docs/benchmarks.md can be reproduced on any size.
"""

from __future__ import annotations

import resource
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client

from apps.accounts.models import Role, User
from apps.core.bulk_dossiers import table_sizes
from apps.core.measuring import percentile
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit, UnitKind


class Command(BaseCommand):
    help = "Time the dossier list API (first, deep, per-unit and overdue pages) and report table sizes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=30, help="Requests per measured page.")
        parser.add_argument("--province", default="H44")
        parser.add_argument("--depth", type=int, default=20, help="Cursor pages followed for the deep page.")

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")
        if options["requests"] < 1:
            raise CommandError("--requests must be positive.")
        dossiers = Dossier.objects.count()
        self.say(f"dossiers: {dossiers:,}")
        admin, _ = User.objects.get_or_create(
            username="bench-admin",
            defaults={"is_superuser": True, "is_staff": True, "role": Role.ADMINISTRATOR},
        )
        client = Client()
        client.force_login(admin)
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
            timings = []
            for _ in range(options["requests"]):
                started = time.perf_counter()
                self.get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
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
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        return response.json()

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
