"""Append millions of synthetic dossiers and their history with COPY, then report the table sizes.

For the scale runs of docs/scaling.md and docs/benchmarks.md: point DATABASE_URL at a scratch PostgreSQL
database (the rows are marked source_system "bulk", the generator drops and rebuilds secondary indexes).
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from apps.core.bulk_dossiers import generate, table_sizes
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


class Command(BaseCommand):
    help = "Generate N synthetic dossiers (and their status events) with COPY on PostgreSQL; print sizes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, required=True, help="How many dossiers to append.")
        parser.add_argument(
            "--province", default="H44", help="Province whose communes/departments handle them."
        )
        parser.add_argument("--days", type=int, default=365, help="Receipts are spread over this many days.")
        parser.add_argument("--batch", type=int, default=500_000, help="Dossiers per COPY transaction.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--keep-indexes", action="store_true", help="Maintain indexes row by row instead."
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="Rebuild the statistics afterwards (timed)."
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")
        if options["dossiers"] < 1 or options["days"] < 1 or options["batch"] < 1:
            raise CommandError("--dossiers, --days and --batch must be positive.")
        if not Unit.objects.exists():
            call_command("loaddata", "units", "procedures", verbosity=0)
        from apps.workcalendar.services import ensure_default_calendar

        ensure_default_calendar(2024, timezone.localdate().year + 1)
        try:
            province = Unit.objects.get(code=options["province"])
        except Unit.DoesNotExist:
            raise CommandError(f"No unit with code {options['province']!r}.") from None
        started = time.monotonic()
        result = generate(
            province=province,
            count=options["dossiers"],
            days=options["days"],
            batch=options["batch"],
            seed=options["seed"],
            drop_indexes=not options["keep_indexes"],
            say=self._say,
        )
        total = time.monotonic() - started
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        self._say(
            f"GENERATED {result.dossiers:,} dossiers and {result.events:,} events in {total:.1f} s "
            f"({result.dossiers / total:,.0f} dossiers/s; {phases})"
        )
        if options["rebuild"]:
            from apps.statistics import services

            begun = time.monotonic()
            rows = services.rebuild_all()
            self._say(f"REBUILD statistics: {rows:,} leaf rows in {time.monotonic() - begun:.1f} s")
        self.report_sizes()

    def report_sizes(self) -> None:
        dossiers = Dossier.objects.count()
        sizes = table_sizes()
        per_million = 1_000_000 / max(dossiers, 1)
        self._say(f"SIZES at {dossiers:,} dossiers (pg_total_relation_size: heap + TOAST + indexes):")
        for name, size in sizes.items():
            if size >= 1024 * 1024:
                self._say(f"  {name}: {_mb(size)} ({_mb(int(size * per_million))} per million dossiers)")
        total = sum(sizes.values())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            database = cursor.fetchone()[0]
        self._say(
            f"  dossier + event + statistics tables: {_mb(total)} ({_mb(int(total * per_million))} per million); "
            f"whole database {_mb(database)}"
        )

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
