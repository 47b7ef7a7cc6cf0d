"""Benchmark of ticket event ingest over the API against a raw insert, in one run (docs/benchmarks.md).

    DEBUG=true DATABASE_URL=postgres://…/scratch python manage.py bench_queue_ingest [--tickets 2000]

Every path writes the same visits (issued, called, started, finished: four events per ticket) for
``--tickets`` tickets of its own at a bench centre (created on first use, with 10 counters and staff):

1. **Baseline**: the same tickets and events fully prepared in memory (every column computed
   beforehand) and written with ``bulk_create`` in one transaction: the floor of what storing them costs.
2. ``record_event`` called in a loop (the service, one transaction per event, no HTTP).
3. ``POST /api/v1/queue/events/``, one request per event, through the whole Django stack in-process
   (middleware, API-key authentication, scope check, throttle, serializer, JSON), without a socket.
4. ``POST /api/v1/queue/events/bulk/`` with ``--batch`` events per request, same stack.

With ``--figures N``, N finished tickets (one every 2 minutes from 1 Jan 2026) are stored and the live
figures query (apps/queues/figures.py) is timed for the year, quarter, month and week of the last one.

The rows written are deleted at the end (the bench units, counters, staff and client stay for the next
run). Use a scratch database all the same.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.actors import Actor
from apps.dossiers.timeliness import BUSINESS_TZ, local_date
from apps.integrations.models import ApiKey, IdempotencyRecord, MachineClient, Scope
from apps.integrations.services.clients import create_client, issue_key
from apps.organisation.models import Unit, UnitKind
from apps.organisation.services import save_unit
from apps.queues import figures, services
from apps.queues.models import Counter, Ticket, TicketEvent
from apps.queues.status import TicketStatus
from apps.statistics.periods import PeriodKind, containing

PROVINCE, CENTRE, CLIENT = "QBENCH", "QBENCH.TT", "bench-kiosk"
COUNTERS = 10


class Command(BaseCommand):
    help = "Ticket event ingest: raw bulk insert vs the service vs the API, one event and bulk."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=2000, help="Tickets per path (4 events each).")
        parser.add_argument("--batch", type=int, default=1000, help="Events per bulk request.")
        parser.add_argument(
            "--figures", type=int, default=0,
            help="Also time the live figures query over this many bench tickets (one every 2 minutes).",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        if not {"testserver", "*"} & set(settings.ALLOWED_HOSTS):
            raise CommandError("The in-process client talks to 'testserver': add it to ALLOWED_HOSTS.")
        n, batch = options["tickets"], options["batch"]
        if n < 1 or not 1 <= batch <= services.MAX_ITEMS:
            raise CommandError(f"--tickets ≥ 1 and 1 ≤ --batch ≤ {services.MAX_ITEMS}.")
        vendor = connection.vendor
        self.stdout.write(
            f"bench_queue_ingest on {vendor} ({connection.settings_dict['NAME']}): {n:,} tickets × 4 events per path"
        )
        self.prepare()
        base = timezone.now() - dt.timedelta(days=2)
        results = []
        try:
            results.append(("baseline: bulk_create of prepared rows", *self.baseline(n, base)))
            results.append(("record_event() per event (service)", *self.service(n, base)))
            results.append(("POST /queue/events/ per event (API)", *self.api_single(n, base)))
            results.append((f"POST /queue/events/bulk/ ×{batch} (API)", *self.api_bulk(n, base, batch)))
        finally:
            self.cleanup()
        if options["figures"]:
            self.read_figures(options["figures"])
        floor = results[0][2] / results[0][1]
        self.stdout.write(f"\n{'path':<42} {'events':>8} {'seconds':>8} {'events/s':>10} {'× baseline':>11}")
        for name, events, seconds in results:
            rate = events / seconds
            self.stdout.write(f"{name:<42} {events:>8,} {seconds:>8.2f} {rate:>10,.0f} {rate * floor:>11.3f}")

    # ---- set-up ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        province = Unit.objects.filter(code=PROVINCE).first() or save_unit(
            Unit(code=PROVINCE, name="Bench province", kind=UnitKind.PROVINCE)
        )
        self.centre = Unit.objects.filter(code=CENTRE).first() or save_unit(
            Unit(code=CENTRE, name="Bench centre", kind=UnitKind.CENTRE, parent=province)
        )
        self.counters = [
            Counter.objects.get_or_create(unit=self.centre, number=i, defaults={"name": f"Desk {i}"})[0]
            for i in range(1, COUNTERS + 1)
        ]
        user_model = get_user_model()
        self.staff = []
        for i in range(1, COUNTERS + 1):
            user = user_model.objects.filter(username=f"qbench{i}").first()
            if user is None:
                user = user_model(username=f"qbench{i}", unit=self.centre, role=Role.CLERK)
                user.set_unusable_password()
                user.save()
            self.staff.append(user)
        client = MachineClient.objects.filter(name=CLIENT).first() or create_client(
            name=CLIENT, unit=self.centre, scopes=[Scope.WRITE_TICKETS], rate_limit_per_minute=0
        )
        _key, plaintext = issue_key(client, label="bench")
        self.http = Client(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
        self.cleanup(keys=False)

    def cleanup(self, *, keys: bool = True) -> None:
        TicketEvent.objects.filter(ticket__unit__code=CENTRE).delete()
        Ticket.objects.filter(unit__code=CENTRE).delete()
        IdempotencyRecord.objects.filter(client__name=CLIENT).delete()
        if keys:
            ApiKey.objects.filter(client__name=CLIENT, label="bench").delete()

    def visit(self, prefix: str, i: int, base: dt.datetime) -> list[dict]:
        """The four events of ticket ``i``: a 3–17 minute wait, a 5–40 minute service."""
        issued = base + dt.timedelta(seconds=20 * i)
        called = issued + dt.timedelta(seconds=180 + (i * 37) % 840)
        started = called + dt.timedelta(seconds=30)
        finished = started + dt.timedelta(seconds=300 + (i * 53) % 2100)
        ticket, counter = f"{prefix}-{i}", 1 + i % COUNTERS
        return [
            {"ticket": ticket, "event": "issued", "at": issued, "unit": CENTRE, "number": f"A{i % 1000:03d}"},
            {
                "ticket": ticket,
                "event": "called",
                "at": called,
                "counter": counter,
                "staff": f"qbench{counter}",
            },
            {"ticket": ticket, "event": "started", "at": started},
            {"ticket": ticket, "event": "finished", "at": finished},
        ]

    # ---- the paths ------------------------------------------------------------------------------

    def baseline(self, n: int, base: dt.datetime) -> tuple[int, float]:
        tickets, events = [], []
        for i in range(n):
            issued, called, started, finished = (e["at"] for e in self.visit("raw", i, base))
            counter, staff = self.counters[i % COUNTERS], self.staff[i % COUNTERS]
            wait, handling = int((called - issued).total_seconds()), int((finished - started).total_seconds())
            ticket = Ticket(
                unit=self.centre, source_system=CLIENT, external_id=f"raw-{i}", number=f"A{i % 1000:03d}",
                status=TicketStatus.FINISHED, status_changed_at=finished, issued_at=issued,
                issued_on=local_date(issued), first_called_at=called, last_called_at=called, call_count=1,
                started_at=started, finished_at=finished, counter=counter, staff=staff, wait_seconds=wait,
                wait_minutes=services.minutes_of(wait), handling_seconds=handling,
                handling_minutes=services.minutes_of(handling),
            )  # fmt: skip
            tickets.append(ticket)
            for kind, at, before, after in (
                ("issued", issued, "", "waiting"), ("called", called, "waiting", "called"),
                ("started", started, "called", "serving"), ("finished", finished, "serving", "finished"),
            ):  # fmt: skip
                events.append(TicketEvent(ticket=ticket, kind=kind, occurred_at=at, from_status=before,
                                          to_status=after, actor_system=CLIENT))  # fmt: skip
        started_at = time.perf_counter()
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=1000)
            for event in events:
                event.ticket_id = event.ticket.pk
            TicketEvent.objects.bulk_create(events, batch_size=2000)
        return len(events), time.perf_counter() - started_at

    def service(self, n: int, base: dt.datetime) -> tuple[int, float]:
        actor, count = Actor.of_system(CLIENT), 0
        started_at = time.perf_counter()
        for i in range(n):
            for event in self.visit("svc", i, base):
                services.record_event(
                    services.EventData(**event),
                    source_system=CLIENT,
                    scope_path=self.centre.path,
                    actor=actor,
                )
                count += 1
        return count, time.perf_counter() - started_at

    def read_figures(self, n: int) -> None:
        """Time ``queue_figures`` (by staff) for a year, quarter, month and week over ``n`` stored tickets."""
        rng, rows = random.Random(1), []
        first = dt.datetime(2026, 1, 1, 8, tzinfo=BUSINESS_TZ)
        for i in range(n):
            issued = first + dt.timedelta(minutes=2 * i)
            wait, handling = int(60 * rng.lognormvariate(1.8, 0.8)), int(60 * rng.lognormvariate(2.5, 0.6))
            rows.append(Ticket(
                unit=self.centre, source_system="bench-figures", external_id=str(i), status=TicketStatus.FINISHED,
                status_changed_at=issued, issued_at=issued, issued_on=local_date(issued),
                counter=self.counters[i % COUNTERS], staff=self.staff[i % COUNTERS], wait_seconds=wait,
                wait_minutes=services.minutes_of(wait), handling_seconds=handling,
                handling_minutes=services.minutes_of(handling),
            ))  # fmt: skip
        with transaction.atomic():
            Ticket.objects.bulk_create(rows, batch_size=5000)
        try:
            self._time_figures(n, local_date(rows[-1].issued_at))
        finally:
            self.cleanup()

    def _time_figures(self, n: int, last: dt.date) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
        self.stdout.write(f"\nlive figures over {n:,} stored tickets (best of 3):")
        for kind in (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.WEEK):
            period, best = containing(kind, last), float("inf")
            for _ in range(3):
                started_at = time.perf_counter()
                result = figures.queue_figures(self.centre, period, by="staff")
                best = min(best, time.perf_counter() - started_at)
            waiting = result["total"]["waiting"]
            self.stdout.write(
                f"  {period.key:<9} {result['total']['tickets']:>9,} tickets {1000 * best:>8.1f} ms "
                f"(median wait {waiting['median_minutes']} min, p90 {waiting['p90_minutes']} min)"
            )

    def _post(self, path: str, body) -> dict:
        response = self.http.post(
            path, json.dumps(body, default=str), content_type="application/json", secure=True
        )
        if response.status_code not in (200, 201):
            raise CommandError(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        return response.json()

    def api_single(self, n: int, base: dt.datetime) -> tuple[int, float]:
        count = 0
        started_at = time.perf_counter()
        for i in range(n):
            for event in self.visit("one", i, base):
                self._post("/api/v1/queue/events/", {**event, "at": event["at"].isoformat()})
                count += 1
        return count, time.perf_counter() - started_at

    def api_bulk(self, n: int, base: dt.datetime, batch: int) -> tuple[int, float]:
        events = [{**e, "at": e["at"].isoformat()} for i in range(n) for e in self.visit("bulk", i, base)]
        started_at = time.perf_counter()
        for start in range(0, len(events), batch):
            body = self._post("/api/v1/queue/events/bulk/", {"items": events[start : start + batch]})
            if body["counts"]["rejected"]:
                raise CommandError(f"bulk rejected items: {body['items'][:3]}")
        return len(events), time.perf_counter() - started_at
