"""Demo counter queues: area types, targets, counters, counter staff and a year of queue tickets.

Run by ``seed_demo`` after the dossiers. Tickets are simulated in memory and bulk-inserted with their
events (already dispatched) and dossier links, but every stored value is derived as the services derive
it (:func:`apps.queues.services.minutes_of`, the local day of issue, the state table), so the figures
over a seeded database mean what they would over tickets posted through the API. Each counter dossier
received at a unit with counters had a ticket; a third more tickets are visits without a dossier
(enquiries, results collected); some people leave before their call or do not come when called.

Waits are drawn log-normal around 6 minutes (about 87 % within 15, a tail past half an hour on busy
mornings), handling around 12 minutes (about 94 % within 30). Idempotent: existing counters, staff and
area types are kept, and dossiers that already have a ticket get none.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apps.accounts.models import Role
from apps.catalogue.models import Field
from apps.dossiers.models import Channel, Dossier
from apps.dossiers.status import Status
from apps.dossiers.timeliness import BUSINESS_TZ, local_date
from apps.integrations.models import MachineClient, Scope
from apps.integrations.services.clients import create_client
from apps.organisation.models import AreaType, Unit, UnitKind
from apps.queues.models import Counter, QueueTargets, Ticket, TicketEvent
from apps.queues.services import minutes_of
from apps.queues.status import TicketEventKind, TicketStatus, check_event
from apps.workcalendar.services import calendar_for_unit

KIOSK = "demo-kiosk"
# The provincial centre's desks, by the fields they mainly serve.
CENTRE_DESKS = (
    ("DAT-DAI", "Đất đai"), ("DAT-DAI", "Đất đai"), ("DKKD", "Đăng ký kinh doanh"), ("XAY-DUNG", "Xây dựng"),
    ("GIAO-THONG", "Giao thông vận tải"), ("TAI-CHINH", "Tài chính"), ("LAO-DONG", "Lao động"),
    ("", "Trả kết quả"),
)  # fmt: skip
WALK_IN_DAYS = 120
BUSY_COMMUNES = 6  # communes with their own desks, besides the demo clerk's ward
EXTRA_VISITS = 0.35  # visits without a dossier, per ticket with one
# Of the visits without a dossier: some leave before their call, some are not there when called.
LEFT_BEFORE_CALL = 0.02
NO_SHOW = 0.05


@dataclass
class QueueSummary:
    units_typed: int = 0
    counters: int = 0
    staff: int = 0
    tickets: int = 0
    states: Tally = field(default_factory=Tally)
    within_wait: int = 0
    waited: int = 0
    linked: int = 0

    def line(self) -> str:
        share = f"{100 * self.within_wait / self.waited:.0f}%" if self.waited else "n/a"
        states = ", ".join(f"{TicketStatus(s).label} {n:,}" for s, n in sorted(self.states.items()))
        return (
            f"Seeded {self.tickets:,} queue tickets ({states}; {self.linked:,} linked to dossiers; waits within "
            f"15 min {share}); {self.counters} new counters, {self.staff} new staff users, "
            f"{self.units_typed} units given an area type."
        )


def _area_types(province: Unit, rng: random.Random) -> int:
    """Departments and the centre urban; communes mostly rural, some urban wards, some disadvantaged."""
    changed = 0
    for unit in Unit.objects.filter(parent=province, area_type=""):
        if unit.kind != UnitKind.COMMUNE or unit.code == f"{province.code}.100":
            unit.area_type = AreaType.URBAN
        else:
            unit.area_type = rng.choices(
                (AreaType.URBAN, AreaType.RURAL, AreaType.DISADVANTAGED), (0.2, 0.6, 0.2)
            )[0]
        unit.save(update_fields=["area_type"])
        changed += 1
    return changed


def _counters(province: Unit, busiest: list[Unit]) -> tuple[dict[int, list[Counter]], int]:
    fields = {f.code: f for f in Field.objects.all()}
    before = Counter.objects.count()
    centre = Unit.objects.filter(parent=province, kind=UnitKind.CENTRE).first()
    if centre is not None:
        for number, (code, name) in enumerate(CENTRE_DESKS, start=1):
            Counter.objects.get_or_create(
                unit=centre,
                number=number,
                defaults={"name": f"Quầy {number}: {name}", "field": fields.get(code)},
            )
    for unit in busiest:
        for number in (1, 2, 3) if unit.code == f"{province.code}.100" else (1, 2):
            Counter.objects.get_or_create(unit=unit, number=number, defaults={"name": f"Quầy {number}"})
    by_unit: dict[int, list[Counter]] = {}
    for counter in Counter.objects.filter(unit__path__startswith=province.path, is_active=True):
        by_unit.setdefault(counter.unit_id, []).append(counter)
    return by_unit, Counter.objects.count() - before


def _staff(
    province: Unit, counters: dict[int, list[Counter]], rng: random.Random, now: dt.datetime
) -> tuple[dict, int]:
    """Staff users in proportion to each unit's yearly dossiers (one per 500–2,000), at least one per desk."""
    user_model = get_user_model()
    year_ago = now - dt.timedelta(days=365)
    received = Tally(
        dict(
            Dossier.objects.filter(receiving_unit__path__startswith=province.path, received_at__gte=year_ago)
            .values_list("receiving_unit_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    existing = set(user_model.objects.filter(username__startswith="cb.").values_list("username", flat=True))
    new = []
    wanted: dict[int, list[str]] = {}
    for unit in Unit.objects.filter(path__startswith=province.path, is_active=True).exclude(
        kind=UnitKind.PROVINCE
    ):
        size = max(
            1, len(counters.get(unit.pk, ())), min(12, round(received[unit.pk] / rng.uniform(500, 2000)))
        )
        names = [f"cb.{unit.code.lower()}.{i}" for i in range(1, size + 1)]
        wanted[unit.pk] = names
        role = Role.OFFICER if unit.kind == UnitKind.DEPARTMENT else Role.CLERK
        for name in names:
            if name not in existing:
                user = user_model(
                    username=name, unit=unit, role=role, first_name="Cán bộ", last_name=name[3:]
                )
                user.set_unusable_password()
                new.append(user)
    user_model.objects.bulk_create(new, batch_size=500)
    users = {u.username: u for u in user_model.objects.filter(username__startswith="cb.")}
    return {pk: [users[n] for n in names if n in users] for pk, names in wanted.items()}, len(new)


def _lognormal_seconds(rng: random.Random, median_minutes: float, sigma: float, cap_minutes: int) -> int:
    return min(cap_minutes * 60, max(20, int(60 * rng.lognormvariate(math.log(median_minutes), sigma))))


class _Visits:
    def __init__(
        self, rng: random.Random, now: dt.datetime, counters: dict, staff: dict, client: str
    ) -> None:
        self.rng, self.now, self.counters, self.staff, self.client = rng, now, counters, staff, client
        self.tickets: list[Ticket] = []
        self.events: list[TicketEvent] = []
        self.links: list[tuple[Ticket, int]] = []
        self.numbers: Tally = Tally()
        self.dispatched_at = timezone.now()  # seeded events need no follow-up (as seeded dossier events)
        self.existing = set(Ticket.objects.filter(source_system=client).values_list("external_id", flat=True))

    def visit(self, unit_id: int, served_at: dt.datetime, dossier: Dossier | None, external_id: str) -> None:
        """One ticket whose service covers ``served_at`` (a dossier's receipt, or any visit)."""
        if external_id in self.existing:
            return
        self.existing.add(external_id)
        rng = self.rng
        hour = served_at.astimezone(BUSINESS_TZ).hour
        # The morning rush (8–10 h) and Monday mornings wait longer.
        busy = 8 <= hour < 10 or (served_at.astimezone(BUSINESS_TZ).weekday() == 0 and hour < 11)
        wait = _lognormal_seconds(rng, 8.5 if busy else 5, 0.8, 150)
        handling = _lognormal_seconds(rng, 12, 0.6, 90)
        started = served_at - dt.timedelta(seconds=rng.randint(0, max(1, handling // 2)))
        called = started - dt.timedelta(seconds=rng.randint(10, 90))
        issued = called - dt.timedelta(seconds=wait)
        desk = rng.choice(self.counters[unit_id])
        people = self.staff.get(unit_id) or [None]
        clerk = people[(desk.number - 1) % len(people)]
        day = local_date(issued)
        self.numbers[(unit_id, day)] += 1
        ticket = Ticket(
            unit_id=unit_id, source_system=self.client, external_id=external_id,
            number=f"{chr(64 + min(desk.number, 26))}{self.numbers[(unit_id, day)]:03d}",
            field_id=desk.field_id, procedure_id=dossier.procedure_id if dossier else None,
            status=TicketStatus.WAITING, status_changed_at=issued, issued_at=issued, issued_on=day,
        )  # fmt: skip
        fate = rng.random() if dossier is None else 1.0  # a dossier received means the visit was served
        if fate < LEFT_BEFORE_CALL:
            plan = [(TicketEventKind.NO_SHOW, issued + dt.timedelta(seconds=wait // 2))]
        elif fate < LEFT_BEFORE_CALL + NO_SHOW:
            plan = [
                (TicketEventKind.CALLED, called),
                (TicketEventKind.NO_SHOW, called + dt.timedelta(minutes=3)),
            ]
        else:
            plan = [
                (TicketEventKind.CALLED, called),
                (TicketEventKind.STARTED, started),
                (TicketEventKind.FINISHED, started + dt.timedelta(seconds=handling)),
            ]
        self._event(ticket, TicketEventKind.ISSUED, issued, "")
        for kind, at in plan:
            if at > self.now:  # the visit is still going on
                break
            self._apply(ticket, kind, at, desk, clerk)
        self.tickets.append(ticket)
        if dossier is not None and ticket.status == TicketStatus.FINISHED:
            self.links.append((ticket, dossier.pk))

    def _apply(self, ticket: Ticket, kind: str, at: dt.datetime, desk: Counter, clerk) -> None:
        """The service's field rules (apps/queues/services.py), on an unsaved ticket."""
        target = check_event(ticket.status, kind)
        previous = ticket.status
        if kind == TicketEventKind.CALLED:
            ticket.counter, ticket.staff = desk, clerk
            ticket.first_called_at = ticket.last_called_at = at
            ticket.call_count = 1
            ticket.wait_seconds = int((at - ticket.issued_at).total_seconds())
            ticket.wait_minutes = minutes_of(ticket.wait_seconds)
        elif kind == TicketEventKind.STARTED:
            ticket.started_at = at
        elif kind == TicketEventKind.FINISHED:
            ticket.finished_at = at
            ticket.handling_seconds = int((at - (ticket.started_at or ticket.last_called_at)).total_seconds())
            ticket.handling_minutes = minutes_of(ticket.handling_seconds)
        elif kind == TicketEventKind.NO_SHOW:
            ticket.no_show_at = at
        ticket.status, ticket.status_changed_at = target, at
        self._event(ticket, kind, at, previous)

    def _event(self, ticket: Ticket, kind: str, at: dt.datetime, previous: str) -> None:
        self.events.append(TicketEvent(
            ticket=ticket, kind=kind, occurred_at=at, from_status=previous, to_status=ticket.status,
            counter=ticket.counter if kind in (TicketEventKind.CALLED, TicketEventKind.STARTED) else None,
            staff=ticket.staff if kind != TicketEventKind.ISSUED else None, actor_system=self.client,
            dispatched_at=self.dispatched_at,
        ))  # fmt: skip

    def write(self) -> None:
        Ticket.objects.bulk_create(self.tickets, batch_size=1000)
        for event in self.events:
            event.ticket_id = event.ticket.pk
        TicketEvent.objects.bulk_create(self.events, batch_size=2000)
        through = Ticket.dossiers.through
        through.objects.bulk_create(
            [through(ticket_id=t.pk, dossier_id=d) for t, d in self.links], batch_size=2000
        )


def _walk_ins(
    visits: _Visits, counters: dict[int, list[Counter]], now: dt.datetime, rng: random.Random
) -> None:
    """Visits without a dossier on every working day of the last months: enquiries, results collected,
    payments; the centre sees 10–30 a day, a ward's desks a few. They make "this week" worth looking at."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in=list(counters))}
    today = local_date(now)
    for unit_id, unit in units.items():
        calendar = calendar_for_unit(unit)
        busy = (10, 30) if unit.kind == UnitKind.CENTRE else (2, 8)
        for back in range(WALK_IN_DAYS):
            day = today - dt.timedelta(days=back)
            if not calendar.is_working_day(day):
                continue
            opening = dt.datetime.combine(day, dt.time(7, 30), tzinfo=BUSINESS_TZ)
            for index in range(rng.randint(*busy)):
                # Mornings are busier: two of three visits before the lunch break.
                minute = rng.randint(10, 240) if rng.random() < 0.66 else rng.randint(370, 560)
                served_at = opening + dt.timedelta(minutes=minute)
                if served_at <= now:
                    visits.visit(unit_id, served_at, None, f"w-{unit.code}-{day:%y%m%d}-{index}")


def seed_queues(
    *, province_code: str, seed: int, now: dt.datetime, progress: Callable[[str], None] | None = None
) -> QueueSummary:
    """Area types, targets, counters, staff and the tickets of counter visits, for one province."""
    rng = random.Random(seed + 9)
    summary = QueueSummary()
    province = Unit.objects.get(code=province_code, parent__isnull=True)
    with transaction.atomic():
        summary.units_typed = _area_types(province, rng)
        QueueTargets.objects.get_or_create(unit=province)
        if not MachineClient.objects.filter(name=KIOSK).exists():
            create_client(name=KIOSK, unit=province, scopes=[Scope.WRITE_TICKETS, Scope.READ_SCORES],
                          description="Demo queue kiosks and counter displays")  # fmt: skip
        communes = (
            Dossier.objects.filter(receiving_unit__parent=province, receiving_unit__kind=UnitKind.COMMUNE)
            .values_list("receiving_unit_id").annotate(n=Count("id")).order_by("-n")[:BUSY_COMMUNES]
        )  # fmt: skip
        busiest = list(Unit.objects.filter(pk__in=[pk for pk, _n in communes]) | Unit.objects.filter(
            code=f"{province_code}.100"))  # fmt: skip
        counters, summary.counters = _counters(province, busiest)
        staff, summary.staff = _staff(province, counters, rng, now)
    if progress:
        progress(f"  counters at {len(counters)} units, staff at {len(staff)} units")
    dossiers = (
        Dossier.objects.filter(receiving_unit_id__in=list(counters), channel=Channel.COUNTER, queue_tickets__isnull=True)
        .exclude(status__in=(Status.REGISTERED, Status.REFUSED_AT_INTAKE))
        .only("id", "code", "receiving_unit_id", "received_at", "procedure_id")
        .order_by("received_at", "id")
    )  # fmt: skip
    visits = _Visits(rng, now, counters, staff, KIOSK)
    for dossier in dossiers.iterator(chunk_size=2000):
        visits.visit(dossier.receiving_unit_id, dossier.received_at, dossier, f"d-{dossier.code}")
        if rng.random() < EXTRA_VISITS:
            later = dossier.received_at + dt.timedelta(minutes=rng.randint(5, 120))
            if later <= now:
                visits.visit(dossier.receiving_unit_id, later, None, f"v-{dossier.code}")
    _walk_ins(visits, counters, now, rng)
    with transaction.atomic():
        visits.write()
    for ticket in visits.tickets:
        summary.tickets += 1
        summary.states[ticket.status] += 1
        if ticket.wait_minutes is not None:
            summary.waited += 1
            summary.within_wait += ticket.wait_minutes <= 15
    summary.linked = len(visits.links)
    return summary
