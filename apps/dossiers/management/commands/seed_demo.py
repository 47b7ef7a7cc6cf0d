"""``manage.py seed_demo``: reference data, demo users and a province's worth of dossiers.

The README's first command runs ``seed_demo --dossiers 3000 --if-empty`` at every start, so everything
before the dossiers is idempotent and cheap, and ``--if-empty`` never adds to an existing demo.
The generation itself lives in :mod:`apps.dossiers.demo`.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.catalogue.demo import seed_registers
from apps.core.errors import DomainError
from apps.dossiers import demo
from apps.dossiers.models import Dossier
from apps.statistics.services import rebuild_all


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _instant(value: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None or timezone.is_naive(parsed):
        raise ValueError(value)
    return parsed


_positive.__name__ = "positive integer"
_instant.__name__ = "ISO 8601 instant with offset"


class Command(BaseCommand):
    help = "Load reference data, create the demo users (password 'demo') and generate demo dossiers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=3000, help="How many dossiers (default 3000).")
        parser.add_argument("--province", default="H44", help="Province code (default H44, Phú Thọ).")
        parser.add_argument(
            "--days", type=_positive, default=365, help="Spread receipts over the last N days (default 365)."
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only ensure reference data and users when any dossier already exists.",
        )
        parser.add_argument("--batch", type=_positive, default=1000, help="Dossiers per transaction.")
        parser.add_argument(
            "--now",
            type=_instant,
            default=None,
            help="Pretend it is this instant (e.g. 2026-06-30T17:00:00+07:00), for reproducible data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = (options["now"] or timezone.now()).replace(microsecond=0)
        if now > timezone.now():
            raise CommandError("--now must not be in the future: no event may be.")
        count = options["dossiers"]
        if count < 0:
            raise CommandError("--dossiers must not be negative.")
        province = options["province"]
        try:
            loaded = demo.ensure_reference_data(*demo.calendar_years(now, options["days"]))
            if loaded:
                self.stdout.write(f"Loaded reference data: {', '.join(loaded)}.")
            registers = seed_registers(
                seed=options["seed"], today=timezone.localdate(now), progress=self.stdout.write
            )
            self.stdout.write(registers.line())
            users = demo.ensure_demo_users(province)
            existing = Dossier.objects.count()
            if options["if_empty"] and existing:
                self.stdout.write(f"{existing:,} dossiers already exist; none added (--if-empty).")
            elif count:
                self.stdout.write(f"Generating {count:,} dossiers for {province} (seed {options['seed']})...")
                summary = demo.seed_dossiers(
                    count=count,
                    province_code=province,
                    days=options["days"],
                    seed=options["seed"],
                    batch=options["batch"],
                    now=now,
                    progress=self._progress,
                )
                self.stdout.write(self.style.SUCCESS(summary.line()))
                self._seed_queues_and_petitions(province, count, now, options)
                # Bulk writes bypass the per-change dirty marking: rebuild the aggregates once instead.
                started = time.monotonic()
                rows = rebuild_all()
                self.stdout.write(
                    f"Rebuilt statistics: {rows:,} leaf rows in {time.monotonic() - started:.1f} s."
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self._users_table(users)

    def _seed_queues_and_petitions(self, province: str, count: int, now: dt.datetime, options: dict) -> None:
        """Counter queue tickets for the counter visits (apps/queues/demo.py) and petitions written
        through the petition services (apps/petitions/demo.py), about one per fifty dossiers."""
        from apps.petitions.demo import seed_petitions
        from apps.queues.demo import seed_queues

        self.stdout.write("Generating counters, counter staff and queue tickets...")
        queues = seed_queues(
            province_code=province, seed=options["seed"], now=now, progress=self.stdout.write
        )
        self.stdout.write(self.style.SUCCESS(queues.line()))
        petitions = max(10, count // 50)
        self.stdout.write(f"Generating {petitions:,} petitions through the petition services...")
        summary = seed_petitions(
            province_code=province, count=petitions, days=options["days"], seed=options["seed"], now=now,
            progress=lambda done, total: self.stdout.write(f"  {done:,}/{total:,} petitions"),
        )  # fmt: skip
        self.stdout.write(self.style.SUCCESS(summary.line()))

    def _progress(self, done: int, total: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed else 0
        self.stdout.write(f"  {done:,}/{total:,} dossiers ({100 * done // total}%) {rate:,.0f}/s")

    def _users_table(self, users: list[demo.DemoUser]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo users (password '{demo.DEMO_PASSWORD}'):")
        self.stdout.write(f"  {'username':<11} {'role':<16} {'unit':<10} token")
        for user in users:
            role = f"{user.role.value}{' *' if user.superuser else ''}"
            self.stdout.write(f"  {user.username:<11} {role:<16} {user.unit_code:<10} {user.token}")
        self.stdout.write("  (* superuser) Use: curl -H 'Authorization: Token <token>' .../api/v1/dossiers/")
        self.stdout.write(
            f"  Tokens are new on every run and expire after {settings.REST_KNOX['TOKEN_TTL']}; "
            "get another with POST /api/v1/auth/token/."
        )
