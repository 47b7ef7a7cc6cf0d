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

It writes dossiers (synthetic rows, source_system "bench", and the timed creates): point DATABASE_URL
at a scratch database. Runs on PostgreSQL (rows generated in SQL) and SQLite (rows generated here).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.catalogue.models import ProcedureVersion
from apps.dossiers.api.serializers import DossierListOut, DossierOut, list_rows
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import in_unit_subtree, open_by_due, overdue_now_q, with_related
from apps.dossiers.status import OPEN_STATUSES, Status
from apps.organisation.models import Unit, UnitKind
from apps.workcalendar.services import ensure_default_calendar
from casetracker.celery import app as celery_app

PARTIAL_INDEX = "dossier_open_due_idx"
Samples = list[float]


def _spread(samples: Samples) -> str:
    return f"{min(samples):9.3f} {statistics.median(samples):9.3f} {max(samples):9.3f}"


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
        indexes = self._indexes()

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

    def _list_serialization(self, rows: int, runs: int) -> list[tuple[str, Samples]]:
        ordered = Dossier.objects.order_by("-received_at", "-id")
        full = with_related(ordered)
        lean = list_rows(ordered)
        results: dict[str, Samples] = {}

        def per_row(label: str, make: Callable[[], object]) -> None:
            started = time.perf_counter()
            make()
            results.setdefault(label, []).append((time.perf_counter() - started) * 1000 / rows)

        for _ in range(runs):
            per_row(
                "list ms/row, generic DossierOut, all columns",
                lambda: DossierOut(list(full[:rows]), many=True).data,
            )
            per_row(
                "list ms/row, lean DossierListOut, list rows",
                lambda: DossierListOut(list(lean[:rows]), many=True).data,
            )
            loaded_full, loaded_lean = list(full[:rows]), list(lean[:rows])
            per_row(
                "  serialization alone ms/row, generic",
                lambda loaded=loaded_full: DossierOut(loaded, many=True).data,
            )
            per_row(
                "  serialization alone ms/row, lean",
                lambda loaded=loaded_lean: DossierListOut(loaded, many=True).data,
            )
        return list(results.items())

    # ---- 2. create ------------------------------------------------------------------------------

    def _creates(self, province: Unit, runs: int) -> tuple[Samples, list[int]]:
        unit = (
            Unit.objects.subtree_of(province).filter(kind=UnitKind.COMMUNE).order_by("code").first()
            or province
        )
        clerk, _ = User.objects.get_or_create(
            username="bench-hot-path-clerk", defaults={"role": Role.CLERK, "unit": unit}
        )
        clerk = User.objects.select_related("unit").get(pk=clerk.pk)  # as read by authentication
        client = APIClient()
        client.force_authenticate(clerk)
        procedure = ProcedureVersion.objects.filter(valid_to__isnull=True).select_related("procedure").first()
        body = {
            "procedure": procedure.procedure.code,
            "receiving_unit": unit.code,
            "applicant": {"name": "Nguyễn Văn Bình", "phone": "0912345678"},
            "source_system": "",
        }
        samples: Samples = []
        statements: list[int] = []
        previous_eager = celery_app.conf.task_always_eager
        previous_send = celery_app.send_task
        # A broker receives the on-commit kicks (the event's follow-up, the statistics drain); they
        # run in a worker, not in the request. Stubbed here so the run needs no broker.
        celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = False
        celery_app.send_task = lambda *args, **kwargs: None
        try:
            self._post(client, body)  # warms the calendar's per-process cache
            for _ in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    self._post(client, body)
                    samples.append((time.perf_counter() - started) * 1000)
                statements.append(len(queries.captured_queries))
        finally:
            celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = previous_eager
            celery_app.send_task = previous_send
        return samples, statements

    @staticmethod
    def _post(client: APIClient, body: dict) -> None:
        response = client.post("/api/v1/dossiers/", body, format="json")
        if response.status_code != 201:
            raise CommandError(f"create answered {response.status_code}: {response.content[:300]!r}")

    # ---- 3. overdue -----------------------------------------------------------------------------

    def _overdue(self, province: Unit, runs: int) -> list[tuple[str, Samples]]:
        supervisor, _ = User.objects.get_or_create(
            username="bench-hot-path-supervisor", defaults={"role": Role.SUPERVISOR, "unit": province}
        )
        client = APIClient()
        client.force_authenticate(User.objects.select_related("unit").get(pk=supervisor.pk))
        by_due, newest = (
            "/api/v1/dossiers/?overdue=true",
            "/api/v1/dossiers/?overdue=true&ordering=-received_at",
        )
        self._get(client, by_due)  # warm the connection
        results = {
            "overdue page ms, by due date, partial index": self._time(client, by_due, runs),
            "overdue page ms, newest first (the order before)": self._time(client, newest, runs),
        }
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(PARTIAL_INDEX)}")
            results["overdue page ms, by due date, partial index dropped"] = self._time(client, by_due, runs)
            transaction.set_rollback(True)  # the index comes back
        return list(results.items())

    def _time(self, client: APIClient, url: str, runs: int) -> Samples:
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            self._get(client, url)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    @staticmethod
    def _get(client: APIClient, url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")

    # ---- 4. indexes -----------------------------------------------------------------------------

    @staticmethod
    def _indexes() -> list[tuple[str, list[str]]]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, Dossier._meta.db_table)
        # Primary key and unique constraints are indexes too; foreign key and check constraints are not.
        return sorted(
            (name, info["columns"])
            for name, info in found.items()
            if (info["index"] or info["unique"] or info["primary_key"]) and not info["foreign_key"]
        )

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
