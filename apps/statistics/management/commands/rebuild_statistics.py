"""Rebuild every statistics leaf from the dossier rows, or check the live ones against a rebuild.

The nightly beat task does the same rebuild; this is for an operator after a restore, an import run with
the workers stopped, or to verify the live aggregates (``--check`` changes nothing and exits 1 when they
differ).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.statistics import services
from apps.statistics.models import LeafCounts
from apps.statistics.periods import NAMED_KINDS, PeriodKind

# How the summary names each kind's count of periods ("12 weeks"), in the active language.
KIND_NAMES = {
    PeriodKind.WEEK: gettext_lazy("weeks"),
    PeriodKind.MONTH: gettext_lazy("months"),
    PeriodKind.QUARTER: gettext_lazy("quarters"),
    PeriodKind.YEAR: gettext_lazy("years"),
}


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  (argparse wants a str, in the active language)
        return _("Rebuild all statistics leaves from the dossiers (or --check them against a rebuild).")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help=gettext_lazy(
                "Compare the live leaves with a full rebuild computed and rolled back; exit 1 if they differ."
            ),
        )

    def handle(self, *args, check: bool = False, **options) -> None:
        from apps.dossiers.models import Dossier

        started = time.monotonic()
        facts = Dossier.objects.filter(received_on__isnull=False).aggregate(
            dossiers=Count("id"), first=Min("received_on"), last=Max("received_on")
        )
        if facts["first"] is None:
            self.stdout.write(_("No received dossiers: every statistic is empty."))
        else:
            last = max(services.today(), facts["last"])
            periods = services.named_periods_between(facts["first"], last)
            by_kind = ", ".join(
                f"{sum(1 for p in periods if p.kind == kind)} {KIND_NAMES[kind]}" for kind in NAMED_KINDS
            )
            self.stdout.write(
                _(
                    "%(dossiers)s received dossiers from %(first)s to %(last)s; %(periods)s periods up to "
                    "%(until)s (%(by_kind)s)."
                )
                % {
                    "dossiers": facts["dossiers"],
                    "first": facts["first"],
                    "last": facts["last"],
                    "periods": len(periods),
                    "until": last,
                    "by_kind": by_kind,
                }
            )
        self.stdout.write(_("%(marks)s dirty marks pending.") % {"marks": services.pending_marks()})
        if check:
            self._check(started)
        else:
            self._rebuild(started)

    def _rebuild(self, started: float) -> None:
        before = LeafCounts.objects.count()
        self.stdout.write(_("Rebuilding (%(rows)s leaf rows now)…") % {"rows": before})
        rows = services.rebuild_all()
        seconds = f"{time.monotonic() - started:.1f}"
        self.stdout.write(
            _("Rebuilt %(rows)s leaf rows in %(seconds)s s.") % {"rows": rows, "seconds": seconds}
        )
        drained = services.drain_dirty()  # also stores the running periods' scores (current_scores.py)
        if drained:
            self.stdout.write(
                _("Recomputed %(pairs)s unit-periods changed during the rebuild.") % {"pairs": drained}
            )
        self.stdout.write(self.style.SUCCESS(_("Statistics rebuilt.")))

    def _check(self, started: float) -> None:
        self.stdout.write(_("Comparing the live leaves with a full rebuild (rolled back)…"))
        differing = services.differences_from_rebuild()
        seconds = f"{time.monotonic() - started:.1f}"
        self.stdout.write(
            _("%(rows)s leaf rows differ (%(seconds)s s).") % {"rows": differing, "seconds": seconds}
        )
        if differing:
            raise CommandError(
                _("%(rows)s leaf rows differ from a full rebuild; run rebuild_statistics to repair them.")
                % {"rows": differing}
            )
        self.stdout.write(self.style.SUCCESS(_("The live statistics equal a full rebuild.")))
