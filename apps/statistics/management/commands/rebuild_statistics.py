"""Rebuild every statistics leaf from the dossier rows, or check the live ones against a rebuild.

The nightly beat task does the same rebuild; this is for an operator after a restore, an import run with
the workers stopped, or to verify the live aggregates (``--check`` changes nothing and exits 1 when they
differ).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Min

from apps.statistics import services
from apps.statistics.models import LeafCounts
from apps.statistics.periods import NAMED_KINDS


class Command(BaseCommand):
    help = "Rebuild all statistics leaves from the dossiers (or --check them against a rebuild)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the live leaves with a full rebuild computed and rolled back; exit 1 if they differ.",
        )

    def handle(self, *args, check: bool = False, **options) -> None:
        from apps.dossiers.models import Dossier

        started = time.monotonic()
        facts = Dossier.objects.filter(received_on__isnull=False).aggregate(
            dossiers=Count("id"), first=Min("received_on"), last=Max("received_on")
        )
        if facts["first"] is None:
            self.stdout.write("No received dossiers: every statistic is empty.")
        else:
            last = max(services.today(), facts["last"])
            periods = services.named_periods_between(facts["first"], last)
            by_kind = ", ".join(
                f"{sum(1 for p in periods if p.kind == kind)} {kind.value}s" for kind in NAMED_KINDS
            )
            self.stdout.write(
                f"{facts['dossiers']} received dossiers from {facts['first']} to {facts['last']}; "
                f"{len(periods)} periods up to {last} ({by_kind})."
            )
        self.stdout.write(f"{services.pending_marks()} dirty marks pending.")
        if check:
            self._check(started)
        else:
            self._rebuild(started)

    def _rebuild(self, started: float) -> None:
        before = LeafCounts.objects.count()
        self.stdout.write(f"Rebuilding ({before} leaf rows now)…")
        rows = services.rebuild_all()
        self.stdout.write(f"Rebuilt {rows} leaf rows in {time.monotonic() - started:.1f} s.")
        drained = services.drain_dirty()
        if drained:
            self.stdout.write(f"Recomputed {drained} unit-periods changed during the rebuild.")
        self.stdout.write(self.style.SUCCESS("Statistics rebuilt."))

    def _check(self, started: float) -> None:
        self.stdout.write("Comparing the live leaves with a full rebuild (rolled back)…")
        differing = services.differences_from_rebuild()
        self.stdout.write(f"{differing} leaf rows differ ({time.monotonic() - started:.1f} s).")
        if differing:
            raise CommandError(
                f"{differing} leaf rows differ from a full rebuild; run rebuild_statistics to repair them."
            )
        self.stdout.write(self.style.SUCCESS("The live statistics equal a full rebuild."))
