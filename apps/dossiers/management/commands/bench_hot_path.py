"""Benchmark of the dossier hot path (issue 11, "a lean hot path"; figures in docs/benchmarks.md).

Side by side in one run, each measure repeated (``--runs``, default 3) and shown as min / median / max:

1. List serialization, ms per row: DRF's generic ``DossierOut`` over model instances (every column of
   the dossier and its four related rows, as the list read them before) against the lean
   ``DossierListOut`` over list rows (the columns it writes, as named tuples), fetch included, and the
   serialization alone.
2. ``POST /dossiers/`` by a clerk at their unit: statements (BEGIN/COMMIT included) and ms; the
   follow-up kicks are queued as with a broker, not run in the request.
3. ``?overdue=true`` first page for a province supervisor: due-date order with the partial index of
   open dossiers, the same without it (dropped in a transaction rolled back), and newest first (the
   order this list had before).
4. The indexes of ``dossiers_dossier``; ``--explain`` prints the plans of the queries they serve.

It writes dossiers (synthetic rows, source_system "bench"; the timed creates are deleted again): point
DATABASE_URL at a scratch database. Runs on PostgreSQL (rows generated in SQL) and SQLite (rows generated here).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from apps.catalogue.models import ProcedureVersion
from apps.core.measuring import get_ok, spread, time_requests
from apps.dossiers.benchmarking import (
    OVERDUE_URL,
    PARTIAL_INDEX,
    api_client,
    bench_clerk,
    bench_supervisor,
    clerk_unit,
    create_body,
    dossier_indexes,
    kicks_to_a_broker,
    list_ms_per_row,
    remove_dossiers,
    time_create,
)
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import in_unit_subtree, open_by_due, overdue_now_q
from apps.dossiers.status import OPEN_STATUSES, Status
from apps.organisation.models import Unit, UnitKind
from apps.workcalendar.services import ensure_default_calendar

Samples = list[float]


def _spread(samples: Samples) -> str:
    return " ".join(f"{value:9.3f}" for value in spread(samples))


class Command(BaseCommand):
    help = "Time list serialization, a create, the overdue first page and count the dossier indexes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dossiers", type=int, default=200_000, help="Make sure at least this many.")
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--rows", type=int, default=500, help="Rows serialized per list run.")
        parser.add_argument("--province", default="H44")
        parser.add_argument("--batch", type=int, default=50_000)
        parser.add_argument("--explain", action="store_true", help="Print the plans of the indexed queries.")

    def handle(self, *args, **options) -> None:
        runs = options["runs"]
        if runs < 1 or options["rows"] < 1:
            raise CommandError("--runs and --rows must be at least 1.")
        self._ensure_data(options)
        province = Unit.objects.get(code=options["province"])
        total = Dossier.objects.count()
        open_count = Dossier.objects.filter(status__in=OPEN_STATUSES).count()
        overdue_count = Dossier.objects.filter(overdue_now_q()).count()
        self.stdout.write(
            f"{connection.vendor}: {total:,} dossiers, {open_count:,} open, {overdue_count:,} overdue now; "
            f"{runs} runs, min / median / max"
        )
        self._say("list serialization …")
        lists = self._list_serialization(options["rows"], runs)
        self._say("POST /dossiers/ …")
        creates, statements = self._creates(province, runs)
        self._say("?overdue=true first page …")
        overdue = self._overdue(province, runs)
        indexes = dossier_indexes()

        self.stdout.write("")
        self.stdout.write(f"{'measure':58s} {'min':>9s} {'median':>9s} {'max':>9s}")
        for label, samples in lists:
            self.stdout.write(f"{label:58s} {_spread(samples)}")
        generic, lean = lists[0][1], lists[1][1]
        ratio = statistics.median(generic) / statistics.median(lean)
        self.stdout.write(
            f"  list per row: generic ÷ lean (medians, fetch included) {ratio:.1f}×  (target ≤ 0.3 ms)"
        )
        self.stdout.write(f"{'POST /dossiers/ ms':58s} {_spread(creates)}")
        self.stdout.write(
            f"{'POST /dossiers/ statements (BEGIN/COMMIT included)':58s} "
            f"{min(statements):9d} {int(statistics.median(statements)):9d} {max(statements):9d}  (target ≤ 8)"
        )
        for label, samples in overdue:
            self.stdout.write(f"{label:58s} {_spread(samples)}")
        self.stdout.write(f"indexes on dossiers_dossier: {len(indexes)}")
        for name, columns in indexes:
            self.stdout.write(f"  {name}: {', '.join(columns)}")
        if options["explain"]:
            self._explain(province)

    def _say(self, text: str) -> None:
        self.stdout.write(f"  {text}")
        self.stdout.flush()

    # ---- data -----------------------------------------------------------------------------------

    def _ensure_data(self, options: dict) -> None:
        if not Unit.objects.exists():
            call_command("loaddata", "units", "procedures", verbosity=0)
        ensure_default_calendar(2024, timezone.localdate().year + 1)
        province = Unit.objects.filter(code=options["province"]).first()
        if province is None:
            raise CommandError(f"Unknown province {options['province']!r}.")
        have, want = Dossier.objects.count(), options["dossiers"]
        started = time.monotonic()
        while have < want:
            batch = min(options["batch"], want - have)
            if connection.vendor == "postgresql":
                from apps.statistics.bench_data import insert_synthetic_dossiers

                insert_synthetic_dossiers(
                    province=province,
                    count=batch,
                    first_day=timezone.localdate() - dt.timedelta(days=365),
                    days=365,
                    seed=(have % 997) / 1000,
                )
            else:
                _insert_rows_here(province, batch, first=have)
            have += batch
            self._say(f"{have:,}/{want:,} dossiers ({time.monotonic() - started:.0f} s)")

    # ---- 1. list serialization ------------------------------------------------------------------

    @staticmethod
    def _list_serialization(rows: int, runs: int) -> list[tuple[str, Samples]]:
        results: dict[str, Samples] = {}
        for _ in range(runs):
            generic, lean = list_ms_per_row(rows, lean=False), list_ms_per_row(rows, lean=True)
            for label, value in (
                ("list ms/row, generic DossierOut, all columns", generic.total),
                ("list ms/row, lean DossierListOut, list rows", lean.total),
                ("  serialization alone ms/row, generic", generic.serialization),
                ("  serialization alone ms/row, lean", lean.serialization),
            ):
                results.setdefault(label, []).append(value)
        return list(results.items())

    # ---- 2. create ------------------------------------------------------------------------------

    @staticmethod
    def _creates(province: Unit, runs: int) -> tuple[Samples, list[int]]:
        unit = clerk_unit(province)
        client = api_client(bench_clerk(unit))
        body = create_body(unit)
        with kicks_to_a_broker():
            made = [time_create(client, body) for _ in range(runs + 1)]  # the first warms the calendar
        remove_dossiers([create.code for create in made])
        return [c.ms for c in made[1:]], [c.statements for c in made[1:]]

    # ---- 3. overdue -----------------------------------------------------------------------------

    @staticmethod
    def _overdue(province: Unit, runs: int) -> list[tuple[str, Samples]]:
        client = api_client(bench_supervisor(province))
        newest = f"{OVERDUE_URL}&ordering=-received_at"
        get_ok(client, OVERDUE_URL)  # warm the connection
        results = {
            "overdue page ms, by due date, partial index": time_requests(client, OVERDUE_URL, runs),
            "overdue page ms, newest first (the order before)": time_requests(client, newest, runs),
        }
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(PARTIAL_INDEX)}")
            results["overdue page ms, by due date, partial index dropped"] = time_requests(
                client, OVERDUE_URL, runs
            )
            transaction.set_rollback(True)  # the index comes back
        return list(results.items())

    def _explain(self, province: Unit) -> None:
        """The plan of each query an index of dossiers_dossier serves (the ones pruned included)."""
        scoped = in_unit_subtree(Dossier.objects.all(), province)
        some = Dossier.objects.order_by("id").first()
        newest = Dossier.objects.order_by("-id").first()  # a timed create: a unit-and-day code
        queries = {
            "?overdue=true, by due date (dossier_open_due_idx)": scoped.filter(overdue_now_q()).order_by(
                "effective_due_at", "id"
            )[:51],
            "desk queue, open_by_due (dossier_open_due_idx)": open_by_due(
                Dossier.objects.filter(handling_unit_id=some.handling_unit_id)
            )[:50],
            "unit subtree newest first (recv/hand unit idx)": scoped.order_by("-received_at", "-id")[:51],
            "PROTECT check of a unit (handling_unit_id =)": Dossier.objects.filter(
                handling_unit_id=some.handling_unit_id
            ).values("id")[:1],
            "PROTECT check of a unit (receiving_unit_id =)": Dossier.objects.filter(
                receiving_unit_id=some.receiving_unit_id
            ).values("id")[:1],
            "?procedure= newest first (dossier_procedure_idx)": Dossier.objects.filter(
                procedure_id=some.procedure_id
            ).order_by("-received_at")[:51],
            "?code_prefix= (unique code's pattern index)": Dossier.objects.filter(
                code__startswith=newest.code[:-2]
            ).order_by("-received_at", "-id")[:51],
            "status filter, ended (?status=10)": Dossier.objects.filter(
                status=Status.RESULT_RETURNED
            ).order_by("-received_at", "-id")[:51],
        }
        for label, queryset in queries.items():
            self.stdout.write(f"\nEXPLAIN {label}")
            self.stdout.write(queryset.explain())


def _insert_rows_here(province: Unit, count: int, *, first: int) -> None:
    """Synthetic dossiers for SQLite (PostgreSQL uses apps/statistics/bench_data.py): the same shape,
    drawn in Python and written with bulk_create."""
    units = list(Unit.objects.subtree_of(province).filter(kind__in=[UnitKind.COMMUNE, UnitKind.DEPARTMENT]))
    versions = list(ProcedureVersion.objects.filter(valid_to__isnull=True))
    if not units or not versions:
        raise CommandError("Load the units and procedures fixtures first.")
    rng = random.Random(first)
    now = timezone.now()
    start = now - dt.timedelta(days=365)
    made = []
    for n in range(first, first + count):
        version, unit = rng.choice(versions), units[int(rng.random() ** 2 * len(units))]
        received = start + dt.timedelta(seconds=rng.random() * 365 * 86400)
        due = received + dt.timedelta(days=rng.randint(1, 10))
        end = received + (due - received) * (0.2 + rng.random() * 1.1)
        ended = end if rng.random() < 0.9 and end <= now else None
        made.append(
            Dossier(
                code=f"BENCH-HP-{n}",
                source_system="bench",
                procedure_id=version.procedure_id,
                procedure_version=version,
                receiving_unit=unit,
                handling_unit=unit,
                channel=rng.choice((1, 2, 2, 3)),
                status=Status.RESULT_RETURNED if ended else Status.PROCESSING,
                received_at=received,
                received_on=received.date(),
                legal_due_at=due,
                effective_due_at=due,
                due_on=due.date(),
                status_changed_at=received,
                ended_at=ended,
                returned_at=ended,
                ended_on=ended.date() if ended else None,
                timeliness=("late" if ended > due else "on_time") if ended else "",
                fee_amount=version.fee,
                created_by_system="bench",
            )
        )
        if len(made) == 2000:
            Dossier.objects.bulk_create(made)
            made = []
    Dossier.objects.bulk_create(made)
