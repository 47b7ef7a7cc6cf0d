"""Demo data: reference rows, demo users and a year of believable dossiers for one province.

The dossiers are simulated in memory and written with ``bulk_create`` so that a realistic volume loads in
seconds, but every stored value is derived with the same functions the services use (due dates, version
lookup, pause arithmetic, classification, event constructors). A seeded database therefore looks exactly
like one filled through the API; statistics and the index computed over it mean something.

The simulation is driven by one ``random.Random(seed)`` and an explicit "now", so the same seed and now
give the same dossiers (receipt codes aside: they come from :func:`new_dossier_code`, which is random by
design).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.accounts.tokens import issue_token
from apps.catalogue.models import (
    Level,
    OnlineLevel,
    OnlineOffering,
    Procedure,
    ProcedureComponent,
    ProcedureVersion,
)
from apps.core.actors import Actor
from apps.core.errors import DomainError, ErrorCode
from apps.dossiers import events
from apps.dossiers.applicant import ApplicantKind, fold
from apps.dossiers.documents import DocumentIn, DocumentRow, check_complete, derived_flags, resolve
from apps.dossiers.flags import Flag
from apps.dossiers.models import (
    Channel,
    Dossier,
    DossierDocument,
    DossierEvent,
    EventKind,
    Rating,
    SupplementRequest,
)
from apps.dossiers.services.documents import document_models, from_documents_note
from apps.dossiers.services.receipt import compute_legal_due, new_dossier_code
from apps.dossiers.status import OPEN_STATUSES, Status, can_transition
from apps.dossiers.timeliness import BUSINESS_TZ, Timeliness, classify, is_overdue_now, local_date
from apps.organisation.models import Unit, UnitKind
from apps.workcalendar.deadlines import WorkingCalendar
from apps.workcalendar.services import (
    DEFAULT_FIRST_YEAR,
    DEFAULT_LAST_YEAR,
    calendar_for_unit,
    ensure_default_calendar,
)

ACTOR = Actor.of_system("seed_demo")
DEMO_PASSWORD = "demo"
REFERENCE_FIXTURES = ("units.json", "procedures.json")

# Share of dossiers received at province level (departments and the centre); the rest go to communes.
PROVINCE_SHARE = 0.20
# Where province-level procedures are handled, by field; a field without a match goes round the others.
DEPARTMENT_BY_FIELD = {
    "DAT-DAI": "06",
    "MOI-TRUONG": "06",
    "NONG-NGHIEP": "06",
    "HO-TICH": "03",
    "CHUNG-THUC": "03",
    "DKKD": "04",
    "TAI-CHINH": "04",
    "XAY-DUNG": "07",
    "GIAO-THONG": "07",
    "LAO-DONG": "02",
    "GIAO-DUC": "08",
    "Y-TE": "09",
}
# Land dominates province volumes, certifications and civil status dominate communes (docs/domain.md).
FIELD_WEIGHT = {
    Level.PROVINCE: {"DAT-DAI": 5.0, "DKKD": 1.5, "GIAO-THONG": 1.5},
    Level.COMMUNE: {"CHUNG-THUC": 3.0, "HO-TICH": 3.0, "DAT-DAI": 1.5},
}
# Online submissions arrive around the clock but mostly in the day and evening.
ONLINE_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 8, 6, 7, 9, 9, 8, 7, 6, 6, 6, 5, 3, 2)

FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
    "Ngô", "Dương", "Lý",
)  # fmt: skip
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân", "Công")
GIVEN_NAMES = (
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Linh",
    "Long", "Mai", "Minh", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang",
    "Tuấn", "Việt", "Yến",
)  # fmt: skip
COMPANY_WORDS = ("Phát Đạt", "Hùng Vương", "Đất Tổ", "Sông Lô", "Việt Trì", "Thành Công", "An Phú")
STREETS = ("Hùng Vương", "Trần Phú", "Lê Lợi", "Nguyễn Tất Thành", "Hai Bà Trưng", "Quang Trung")
# Birth-registration province codes of demo applicants: mostly the province itself (Phú Thọ, 025), some
# neighbours and the two big cities.
DEMO_BIRTH_PROVINCES = ("025", "025", "025", "025", "026", "015", "019", "001", "079")
# Why a clerk accepted a dossier without one of its mandatory documents (recorded with it).
MISSING_DOCUMENT_REASONS = (
    "Công dân cam kết nộp bản chính khi nhận kết quả",
    "Giấy tờ đang được cơ quan khác cấp lại, có giấy hẹn",
    "Đã tra cứu được thông tin trên Cơ sở dữ liệu quốc gia về dân cư",
)
# Documents some applicants hand in besides the procedure's list.
EXTRA_DOCUMENTS = ("Giấy ủy quyền", "Bản sao giấy khai sinh", "Văn bản xác nhận của thôn, tổ dân phố")
# Share of dossiers received without one mandatory document (and the reason why); of optional documents
# brought; of dossiers with an extra document besides the list.
MISSING_SHARE, OPTIONAL_SHARE, EXTRA_SHARE = 0.04, 0.5, 0.05
SUPPLEMENT_REASONS = (
    "Thiếu bản sao giấy tờ tùy thân",
    "Tờ khai chưa đủ chữ ký",
    "Bản vẽ chưa đúng mẫu",
    "Thiếu giấy tờ chứng minh quyền sử dụng đất",
    "Thông tin tờ khai không khớp dữ liệu dân cư",
)


# --------------------------------------------------------------------------- reference data and users


def _fixture_needs_loading(path: Path) -> bool:
    """Load a fixture only when some of its rows are missing.

    ``seed_demo --if-empty`` runs at every start; reloading would silently undo an administrator's
    edits to procedures or units in the demo.
    """
    rows = json.loads(path.read_text(encoding="utf-8"))
    wanted: dict[str, set] = {}
    for row in rows:
        if "pk" not in row:
            return True
        wanted.setdefault(row["model"], set()).add(row["pk"])
    for label, pks in wanted.items():
        model = django_apps.get_model(label)
        if model.objects.filter(pk__in=pks).count() != len(pks):
            return True
    return False


def calendar_years(now: dt.datetime, days: int) -> tuple[int, int]:
    """Years the calendar must cover: every receipt day, and due dates up to a year after now."""
    first = (now - dt.timedelta(days=days)).astimezone(BUSINESS_TZ).year
    last = now.astimezone(BUSINESS_TZ).year + 1
    return min(first, DEFAULT_FIRST_YEAR), max(last, DEFAULT_LAST_YEAR)


def ensure_reference_data(first_year: int, last_year: int) -> list[str]:
    """Units, procedures and the working calendar; returns the fixtures that had to be loaded."""
    loaded = []
    for name in REFERENCE_FIXTURES:
        path = Path(settings.BASE_DIR) / "fixtures" / name
        if _fixture_needs_loading(path):
            call_command("loaddata", str(path), verbosity=0)
            loaded.append(name)
    ensure_default_calendar(first_year, last_year)
    return loaded


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    unit_code: str
    token: str
    superuser: bool = False


def _demo_user_specs(province: str) -> list[tuple[str, Role, str, bool]]:
    return [
        ("admin", Role.ADMINISTRATOR, province, True),
        ("supervisor", Role.SUPERVISOR, province, False),
        ("clerk", Role.CLERK, f"{province}.100", False),
        ("officer", Role.OFFICER, f"{province}.07", False),
        ("centre", Role.CLERK, f"{province}.TTHCC", False),
    ]


def ensure_demo_users(province: str = "H44") -> list[DemoUser]:
    """Create the demo accounts or put them back as documented (password ``demo``, unit, role).

    Each run issues every demo user a fresh token (tokens are stored hashed, so an old one cannot be shown
    again); tokens printed by earlier runs keep working until they expire, as the password stays ``demo``.
    """
    result = []
    units = {u.code: u for u in Unit.objects.filter(code__in=[s[2] for s in _demo_user_specs(province)])}
    for username, role, unit_code, superuser in _demo_user_specs(province):
        unit = units.get(unit_code)
        if unit is None:
            raise DomainError(
                ErrorCode.UNKNOWN_UNIT, f"Unit {unit_code} for demo user {username} is missing."
            )
        user = User.objects.filter(username=username).first() or User(username=username)
        user.unit = unit
        user.role = role
        user.is_superuser = superuser
        user.is_staff = superuser
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        token, _ = issue_token(user)
        result.append(DemoUser(username, role, unit_code, token, superuser))
    return result


# --------------------------------------------------------------------------- unit profiles


@dataclass
class UnitProfile:
    """How well one unit performs; the spread between units is what rankings and the index show."""

    unit: Unit
    weight: float
    on_time: float
    online_share: float
    digitized: float
    portal: float
    reuse: float
    eid_online: float
    eid_counter: float
    e_result: float
    signed: float
    personal_storage: float
    paid_online: float

    @classmethod
    def draw(cls, unit: Unit, rng: random.Random, weight: float) -> UnitProfile:
        return cls(
            unit=unit,
            weight=weight,
            on_time=rng.uniform(0.60, 0.99),
            online_share=rng.uniform(0.30, 0.90),
            digitized=rng.uniform(0.70, 0.99),
            portal=rng.uniform(0.90, 0.995),
            reuse=rng.uniform(0.15, 0.70),
            eid_online=rng.uniform(0.60, 0.97),
            eid_counter=rng.uniform(0.05, 0.40),
            e_result=rng.uniform(0.75, 0.99),
            signed=rng.uniform(0.80, 0.995),
            personal_storage=rng.uniform(0.30, 0.85),
            paid_online=rng.uniform(0.50, 0.95),
        )


@dataclass
class _ProcedureInfo:
    procedure: Procedure
    versions: list[ProcedureVersion]  # newest first, as ``valid_on`` orders them
    department: UnitProfile | None = None

    def version_on(self, day: dt.date) -> ProcedureVersion | None:
        """In-memory twin of :meth:`Procedure.version_on` (one query per dossier would dominate)."""
        for version in self.versions:
            if version.valid_from <= day and (version.valid_to is None or version.valid_to >= day):
                return version
        return None


@dataclass
class SeedSummary:
    created: int = 0
    by_status: Counter = field(default_factory=Counter)
    ended: int = 0
    on_time: int = 0
    overdue_open: int = 0
    events: int = 0
    supplements: int = 0
    elapsed: float = 0.0

    def line(self) -> str:
        statuses = ", ".join(f"{Status(s).label} {n:,}" for s, n in sorted(self.by_status.items()))
        share = f"{100 * self.on_time / self.ended:.1f}%" if self.ended else "n/a"
        rate = self.created / self.elapsed if self.elapsed else 0
        return (
            f"Seeded {self.created:,} dossiers ({statuses}; {self.overdue_open:,} open ones overdue), "
            f"{self.events:,} events, {self.supplements:,} supplement requests; on time {share} of "
            f"{self.ended:,} ended; {self.elapsed:.1f} s ({rate:,.0f}/s)."
        )


@dataclass
class _Plan:
    dossier: Dossier
    supplements: list[SupplementRequest]
    events: list[DossierEvent]
    documents: list[DocumentRow] = field(default_factory=list)


# --------------------------------------------------------------------------- the generator


class DemoGenerator:
    """Draws one dossier after another for a province, each with its whole history up to ``now``."""

    def __init__(self, *, province_code: str, seed: int, now: dt.datetime, days: int) -> None:
        self.rng = random.Random(seed)
        # Applicants' contact details come from their own stream, so adding them left every other draw
        # (and the statistics the demo shows) as it was.
        self.people = random.Random(seed * 7919 + 1)
        # So do the documents received (which components, scanned or taken from the data store).
        self.papers = random.Random(seed * 104_729 + 2)
        self.documents_note = from_documents_note()  # the flag events' note, translated once per run
        self.now = now
        self.days = days
        self.today = now.astimezone(BUSINESS_TZ).date()
        self._codes: set[str] = set()
        # The follow-up task only marks events dispatched today, so seeded events are stored as already
        # dispatched instead of queueing one task per event. Anything that later hangs off dispatch
        # (live aggregates) must be rebuilt after seeding rather than fed event by event.
        self.dispatched_at: dt.datetime = timezone.now()
        self._calendars: dict[str, WorkingCalendar] = {}
        province = Unit.objects.filter(code=province_code, parent__isnull=True).first()
        if province is None:
            raise DomainError(ErrorCode.UNKNOWN_UNIT, f"Province {province_code} is not loaded.")
        self.province_name = province.name
        units = list(Unit.objects.filter(parent=province, is_active=True).order_by("code"))
        rng = self.rng
        departments = [u for u in units if u.kind == UnitKind.DEPARTMENT]
        communes = [u for u in units if u.kind == UnitKind.COMMUNE]
        centres = [u for u in units if u.kind == UnitKind.CENTRE]
        if not departments or not communes:
            raise DomainError(
                ErrorCode.UNKNOWN_UNIT,
                f"Province {province_code} has no departments or communes in the loaded units.",
            )
        # Some communes are far busier than others (city wards vs mountain communes); the demo clerk's
        # ward is the provincial capital, so it is made one of the busiest on purpose.
        self.communes = [UnitProfile.draw(u, rng, rng.lognormvariate(0, 0.9)) for u in communes]
        for profile in self.communes:
            if profile.unit.code == f"{province_code}.100":
                profile.weight = max(p.weight for p in self.communes) * 1.5
        self.departments = [UnitProfile.draw(u, rng, rng.lognormvariate(0, 0.6)) for u in departments]
        self.centre = UnitProfile.draw(centres[0], rng, 1.0) if centres else None
        self._commune_weights = [p.weight for p in self.communes]
        self._load_procedures(province_code)
        self.components: dict[int, list[ProcedureComponent]] = {}
        for component in ProcedureComponent.objects.order_by("version_id", "position"):
            self.components.setdefault(component.version_id, []).append(component)
        # Online dossiers only where the receiving unit offers the procedure online (the register).
        self.offered_from: dict[tuple[int, int], dt.date] = {
            (unit_id, procedure_id): valid_from
            for unit_id, procedure_id, valid_from in OnlineOffering.objects.filter(
                unit__path__startswith=province.path
            ).values_list("unit_id", "procedure_id", "valid_from")
        }

    def _load_procedures(self, province_code: str) -> None:
        rng = self.rng
        by_procedure: dict[int, list[ProcedureVersion]] = {}
        for version in ProcedureVersion.objects.select_related("procedure", "field").order_by(
            "procedure__code", "-valid_from"
        ):
            by_procedure.setdefault(version.procedure_id, []).append(version)
        departments = {p.unit.code: p for p in self.departments}
        spare = iter(self.departments * 100)
        self.procedures: dict[str, list[_ProcedureInfo]] = {Level.PROVINCE: [], Level.COMMUNE: []}
        self.procedure_weights: dict[str, list[float]] = {Level.PROVINCE: [], Level.COMMUNE: []}
        for versions in by_procedure.values():
            latest = versions[0]
            if latest.level not in self.procedures:
                continue
            info = _ProcedureInfo(latest.procedure, versions)
            if latest.level == Level.PROVINCE:
                suffix = DEPARTMENT_BY_FIELD.get(latest.field.code)
                info.department = departments.get(f"{province_code}.{suffix}") or next(spare)
            weight = rng.lognormvariate(0, 0.5) * FIELD_WEIGHT[latest.level].get(latest.field.code, 1.0)
            self.procedures[latest.level].append(info)
            self.procedure_weights[latest.level].append(weight)
        if not self.procedures[Level.COMMUNE] or not self.procedures[Level.PROVINCE]:
            raise DomainError(ErrorCode.UNKNOWN_PROCEDURE, "Procedures of both levels must be loaded.")

    def calendar(self, unit: Unit) -> WorkingCalendar:
        root = unit.root_code
        if root not in self._calendars:
            self._calendars[root] = calendar_for_unit(unit)
        return self._calendars[root]

    # ----------------------------------------------------------------------- receipt

    def _pick_units(self, level: str, info: _ProcedureInfo) -> tuple[UnitProfile, UnitProfile]:
        """(receiving, handling). ~5% are handled elsewhere: reception regardless of boundaries."""
        rng = self.rng
        if level == Level.COMMUNE:
            receiving = rng.choices(self.communes, self._commune_weights)[0]
            handling = receiving
            if rng.random() < 0.05:
                handling = rng.choices(self.communes, self._commune_weights)[0]
            return receiving, handling
        department = info.department
        assert department is not None
        if self.centre is not None and rng.random() < 0.30:
            # The provincial centre receives for the departments and settles most of it at its desks.
            return self.centre, (department if rng.random() < 0.17 else self.centre)
        return department, department

    def _office_instant(self, calendar: WorkingCalendar, day: dt.date) -> dt.datetime:
        """A counter receipt: inside office hours, with a few minutes early, at lunch or after closing."""
        rng = self.rng
        hours = calendar.hours
        ms, me = _seconds(hours.morning_start), _seconds(hours.morning_end)
        as_, ae = _seconds(hours.afternoon_start), _seconds(hours.afternoon_end)
        if rng.random() < 0.03:
            second = rng.choice(
                (rng.randint(ms - 1800, ms - 1), rng.randint(me, as_ - 1), rng.randint(ae, ae + 1800))
            )
        else:
            k = rng.randrange(me - ms + ae - as_)
            second = ms + k if k < me - ms else as_ + k - (me - ms)
        return _local_midnight(day, calendar.tz) + dt.timedelta(seconds=second)

    def _online_instant(self, calendar: WorkingCalendar, day: dt.date) -> dt.datetime:
        hour = self.rng.choices(range(24), ONLINE_HOUR_WEIGHTS)[0]
        second = hour * 3600 + self.rng.randrange(3600)
        return _local_midnight(day, calendar.tz) + dt.timedelta(seconds=second)

    def _received_at(self, calendar: WorkingCalendar, channel: int) -> dt.datetime:
        rng = self.rng
        for _ in range(50):
            day = self.today - dt.timedelta(days=rng.randrange(self.days))
            if channel == Channel.ONLINE:
                at = self._online_instant(calendar, day)
            else:
                # Desks rarely open on days off (some centres keep a Saturday-morning desk).
                if not calendar.is_working_day(day) and rng.random() > 0.02:
                    continue
                at = self._office_instant(calendar, day)
            if at <= self.now:
                return at
        return self.now - dt.timedelta(minutes=rng.randint(1, 600))

    def _applicant(self, version: ProcedureVersion) -> str:
        rng = self.rng
        if version.audience != "citizen" and rng.random() < 0.5:
            return f"Công ty TNHH {rng.choice(COMPANY_WORDS)} {rng.randint(1, 99)}"
        return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"

    def _applicant_details(self, name: str, unit: Unit, day: dt.date) -> dict[str, str]:
        """The applicant's columns besides the name: an organisation gets a tax code, a person an identity
        number; both a phone, and an address in the receiving unit's province."""
        people = self.people
        street = f"Số {people.randint(1, 300)}, đường {people.choice(STREETS)}"
        values = {
            "applicant_name_folded": fold(name),
            "applicant_phone": f"0{people.choice('35789')}{people.randint(0, 99_999_999):08d}",
            "applicant_province": self.province_name,
            "applicant_commune": unit.name if unit.parent_id else "",
            "applicant_street": street,
        }
        if name.startswith("Công ty"):
            values["applicant_kind"] = ApplicantKind.ORGANISATION
            values["applicant_tax_code"] = f"26{people.randint(0, 99_999_999):08d}"
        else:
            born = day.year - people.randint(18, 80)
            century = (born - 1900) // 100 * 2 + people.randint(0, 1)
            values["applicant_id_number"] = (
                f"{people.choice(DEMO_BIRTH_PROVINCES)}{century}{born % 100:02d}{people.randint(0, 999_999):06d}"
            )
        return values

    def new_code(self, unit: Unit, day: dt.date) -> str:
        """A service-made receipt code, never twice in one run (a clash would abort a whole batch)."""
        while True:
            code = new_dossier_code(unit, day)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def plan(self) -> _Plan:
        """One dossier, received somewhere in the period, with its history up to now."""
        rng = self.rng
        for _ in range(100):
            level = Level.PROVINCE if rng.random() < PROVINCE_SHARE else Level.COMMUNE
            info = rng.choices(self.procedures[level], self.procedure_weights[level])[0]
            receiving, handling = self._pick_units(level, info)
            offered_from = self.offered_from.get((receiving.unit.pk, info.procedure.pk))
            if offered_from is not None and rng.random() < receiving.online_share:
                channel = Channel.ONLINE
            else:
                channel = Channel.POSTAL if rng.random() < 0.04 else Channel.COUNTER
            received_at = self._received_at(self.calendar(receiving.unit), channel)
            day = received_at.astimezone(BUSINESS_TZ).date()
            version = info.version_on(day)
            if version is not None and not (
                channel == Channel.ONLINE and (version.online_level == OnlineLevel.NONE or day < offered_from)
            ):
                return self._simulate(info, version, receiving, handling, channel, received_at, day)
        raise DomainError(ErrorCode.NO_PROCEDURE_VERSION, "No procedure version covers the demo period.")

    # ----------------------------------------------------------------------- life of a dossier

    def _simulate(
        self,
        info: _ProcedureInfo,
        version: ProcedureVersion,
        receiving: UnitProfile,
        handling: UnitProfile,
        channel: int,
        received_at: dt.datetime,
        day: dt.date,
    ) -> _Plan:
        calendar = self.calendar(handling.unit)
        dossier = Dossier(
            code=self.new_code(receiving.unit, day),
            procedure=info.procedure,
            procedure_version=version,
            receiving_unit=receiving.unit,
            handling_unit=handling.unit,
            channel=channel,
            applicant_name=(name := self._applicant(version)),
            **self._applicant_details(name, receiving.unit, day),
            status=Status.RECEIVED,
            received_at=received_at,
            received_on=day,
            status_changed_at=received_at,
            fee_amount=version.fee,
            created_by_system=ACTOR.system,
        )
        legal = compute_legal_due(
            version, handling_unit=handling.unit, received_at=received_at, channel=channel
        )
        dossier.legal_due_at = legal
        dossier.effective_due_at = legal
        dossier.due_on = local_date(legal)
        history = [events.received(dossier, at=received_at, actor=ACTOR)]
        supplements: list[SupplementRequest] = []
        life = _Life(self, dossier, calendar, history, supplements)
        steps = self._steps(dossier, calendar, handling, legal)
        obligation_at = life.run(steps)
        documents = self._facts(life, receiving, handling, obligation_at)
        history.sort(key=lambda e: e.occurred_at)  # stable: a status change stays before a flag at its time
        for event in history:
            event.dispatched_at = self.dispatched_at
        return _Plan(dossier, supplements, history, documents)

    def _steps(
        self, dossier: Dossier, calendar: WorkingCalendar, handling: UnitProfile, legal: dt.datetime | None
    ) -> list[tuple[str, int, int]]:
        """The planned path in *active* working minutes from receipt (pauses excluded).

        Finishing within the legal working time means finishing before the effective due date whatever
        the pauses, so the unit's on-time propensity translates directly into timeliness.
        Returns (action, active minute, pause length or 0).
        """
        rng = self.rng
        received_at = dossier.received_at
        assert received_at is not None
        allowed = calendar.working_minutes_between(received_at, legal) if legal else 3 * 480
        allowed = max(allowed, 30)
        draw = rng.random()
        supplements = 2 if draw < 0.01 else 1 if draw < 0.07 else 0
        late = supplements >= 2 or rng.random() >= handling.on_time
        draw = rng.random()
        end = Status.WITHDRAWN if draw < 0.015 else Status.STOPPED if draw < 0.025 else Status.FINISHED
        if end != Status.FINISHED:
            used = max(3, int(allowed * rng.uniform(0.05, 1.3)))
        elif not late:
            used = max(3, min(int(allowed * rng.betavariate(2.2, 1.6)), allowed - 1))
        elif rng.random() < 0.15:  # stuck: these stay open and overdue for weeks
            used = allowed + rng.randint(5 * 480, 60 * 480)
        else:
            used = allowed + max(1, int(allowed * rng.uniform(0.02, 0.5))) + rng.randint(0, 2 * 480)
        start = max(1, min(int(used * rng.uniform(0.02, 0.15)), 480, used - 1))
        middle = ["supplement"] * supplements
        obligation = end == Status.FINISHED and dossier.fee_amount > 0 and rng.random() < 0.30
        if obligation:
            middle.append("obligation")
            if rng.random() < 0.5:
                middle.append("resume")
        while len(middle) > used - start - 1:
            middle.pop()
        points = sorted(rng.sample(range(start + 1, used), len(middle)))
        steps = [("process", start, 0)]
        for action, point in zip(middle, points, strict=True):
            pause = rng.randint(60, 8 * 480) if action == "supplement" else 0
            steps.append((action, point, pause))
        if end != Status.FINISHED and supplements and rng.random() < 0.4:
            # The applicant gives up instead of completing: ends during the last pause.
            action, point, pause = steps[-1]
            if action == "supplement":
                steps[-1] = ("supplement_then_end", point, pause)
        steps.append((Status(end).name.lower(), used, 0))
        return steps

    def _facts(
        self, life: _Life, receiving: UnitProfile, handling: UnitProfile, obligation_at: dt.datetime | None
    ) -> list[DocumentRow]:
        """The documents received, index flags and the rating, each as the services would record them.

        Returns the documents (none when the version lists no components: the two digitization flags
        are then explicit actions, as before documents were recorded).
        """
        rng = self.rng
        dossier = life.dossier
        received_at = dossier.received_at
        assert received_at is not None
        online = dossier.channel == Channel.ONLINE

        def minutes(low: int, high: int) -> dt.timedelta:
            return dt.timedelta(minutes=rng.randint(low, high))

        # Whether every document was scanned and whether any was taken from the data store: drawn from the
        # main stream where the two flags were, delays included, so every later draw stays as it was.
        scanned_after = minutes(1, 30) if rng.random() < receiving.digitized else None
        if rng.random() < (receiving.eid_online if online else receiving.eid_counter):
            life.flag(Flag.APPLICANT_EID_VERIFIED, received_at + minutes(1, 5))
        reused_after = minutes(2, 40) if rng.random() < receiving.reuse else None
        components = self.components.get(dossier.procedure_version_id, [])
        documents: list[DocumentRow] = []
        if components:
            documents, reason = self._documents(
                components, scanned_after is not None, reused_after is not None
            )
            life.record_documents(documents, reason)
        else:
            if scanned_after is not None:
                life.flag(Flag.INPUTS_DIGITIZED, received_at + scanned_after)
            if reused_after is not None:
                life.flag(Flag.DATA_REUSED, received_at + reused_after)
        if rng.random() < receiving.portal:
            life.flag(Flag.PORTAL_SYNCED, received_at + minutes(5, 180))
        if dossier.fee_amount > 0 and rng.random() < receiving.paid_online:
            paid_at = obligation_at + minutes(10, 600) if obligation_at else received_at + minutes(2, 30)
            life.flag(Flag.PAID_ONLINE, paid_at)
            if rng.random() < 0.9:
                life.flag(Flag.FEE_DATA_SYNCED, paid_at + minutes(1, 10))
        finished_at = dossier.finished_at
        if finished_at is None:
            return documents
        if rng.random() < handling.signed:
            life.flag(Flag.RESULT_SIGNED, finished_at + minutes(1, 10))
        if rng.random() < handling.e_result:
            issued_at = finished_at + minutes(11, 30)
            life.flag(Flag.ELECTRONIC_RESULT_ISSUED, issued_at)
            if rng.random() < handling.personal_storage:
                life.flag(Flag.PERSONAL_STORAGE_SYNCED, issued_at + minutes(1, 60))
        if rng.random() < 0.30:
            late = dossier.timeliness == Timeliness.LATE
            unhappy = rng.random() < (0.12 if late else 0.025)
            rating = Rating.DISSATISFIED if unhappy else Rating.SATISFIED
            after = dossier.returned_at or finished_at
            life.rate(rating, after + minutes(10, 72 * 60))
        return documents

    def _documents(
        self, components: list[ProcedureComponent], scanned: bool, reused: bool
    ) -> tuple[list[DocumentRow], str]:
        """What an applicant plausibly brought: the mandatory components (now and then one missing, with
        the clerk's reason), about half the optional ones, rarely another document. Checked by the intake
        rules (:mod:`apps.dossiers.documents`), so a demo dossier is one the counter would accept.

        ``scanned``: every document was scanned (else at least one was not); ``reused``: one or two were
        taken from the data store (digitized by nature). The flags then follow from these records.
        Returns the rows and the reason a mandatory one is missing ("" when none is).
        """
        papers = self.papers
        mandatory = [c for c in components if c.mandatory]
        chosen = [c for c in components if c.mandatory or papers.random() < OPTIONAL_SHARE]
        reason = ""
        if len(chosen) > 1 and mandatory and papers.random() < MISSING_SHARE:
            chosen.remove(papers.choice(mandatory))
            reason = papers.choice(MISSING_DOCUMENT_REASONS)
        items = [{"component": c.position} for c in chosen]
        if papers.random() < EXTRA_SHARE:
            items.append({"name": papers.choice(EXTRA_DOCUMENTS)})
        digitized = [scanned or papers.random() < 0.5 for _ in items]
        candidates = list(range(len(items)))
        if not scanned:  # at least one stayed on paper (and so was not taken from the data store)
            paper = papers.randrange(len(items))
            digitized[paper] = False
            candidates.remove(paper)
        taken: set[int] = set()
        if reused and candidates:
            taken = set(papers.sample(candidates, min(len(candidates), papers.randint(1, 2))))
        documents = [
            DocumentIn(**item, digitized=digitized[i] or i in taken, reused=i in taken)
            for i, item in enumerate(items)
        ]
        rows = resolve(components, documents)
        check_complete(components, rows, reason)  # raises on a generator bug, as intake would refuse
        return rows, reason


class _Life:
    """Applies planned steps to the in-memory dossier exactly as the transition services do.

    Each step mutates the same fields in the same order as its service and builds its event with the
    same constructor from :mod:`apps.dossiers.events`; a step that would lie after ``now`` ends the
    simulation, leaving the dossier open where it is.
    """

    def __init__(
        self,
        generator: DemoGenerator,
        dossier: Dossier,
        calendar: WorkingCalendar,
        history: list[DossierEvent],
        supplements: list[SupplementRequest],
    ) -> None:
        self.generator = generator
        self.rng = generator.rng
        self.now = generator.now
        self.dossier = dossier
        self.calendar = calendar
        self.history = history
        self.supplements = supplements

    def _at(self, active: int, paused: int) -> dt.datetime:
        assert self.dossier.received_at is not None
        return self.calendar.add_working_minutes(self.dossier.received_at, active + paused)

    def run(self, steps: list[tuple[str, int, int]]) -> dt.datetime | None:
        """Play the steps; returns when the financial obligation was raised (payment follows it)."""
        paused = 0
        obligation_at = None
        for action, point, pause in steps:
            at = self._at(point, paused)
            if at > self.now:
                return obligation_at
            if action == "process":
                self._change(Status.PROCESSING, at)
            elif action in ("supplement", "supplement_then_end"):
                self._request_supplement(at)
                if action == "supplement_then_end":
                    end_at = self.calendar.add_working_minutes(at, max(1, pause // 2))
                    if end_at > self.now:
                        return obligation_at
                    target = steps[-1][0]
                    self._end(Status.WITHDRAWN if target == "withdrawn" else Status.STOPPED, end_at)
                    return obligation_at
                completed_at = self.calendar.add_working_minutes(at, pause)
                if completed_at > self.now:
                    return obligation_at
                self._complete_supplement(completed_at)
                paused += pause
            elif action == "obligation":
                self._change(Status.FINANCIAL_OBLIGATION, at)
                obligation_at = at
            elif action == "resume":
                self._change(Status.PROCESSING, at)
            else:
                self._end(Status[action.upper()], at)
                if action == "finished" and self.rng.random() < 0.9:
                    online = self.dossier.channel == Channel.ONLINE
                    wait = self.rng.randint(5, 120) if online else self.rng.randint(30, 3 * 480)
                    returned_at = self.calendar.add_working_minutes(at, wait)
                    if returned_at <= self.now:
                        self.dossier.returned_at = returned_at
                        self._change(Status.RESULT_RETURNED, returned_at)
        return obligation_at

    def _change(
        self,
        target: Status,
        at: dt.datetime,
        kind: EventKind = EventKind.STATUS_CHANGED,
        data: dict | None = None,
    ) -> None:
        dossier = self.dossier
        if not can_transition(dossier.status, target) or at < dossier.status_changed_at:
            raise AssertionError(f"seed_demo planned an impossible step {dossier.status} -> {target} at {at}")
        previous = dossier.status
        dossier.status = target
        dossier.status_changed_at = at
        self.history.append(
            events.status_changed(dossier, kind, at=at, actor=ACTOR, from_status=previous, data=data)
        )

    def _request_supplement(self, at: dt.datetime) -> None:
        dossier = self.dossier
        dossier.supplement_count += 1
        dossier.paused_since = at
        reason = self.rng.choice(SUPPLEMENT_REASONS)
        self.supplements.append(
            SupplementRequest(
                dossier=dossier, number=dossier.supplement_count, requested_at=at, reason=reason
            )
        )
        data = {"number": dossier.supplement_count, "reason": reason}
        self._change(Status.SUPPLEMENT_REQUESTED, at, EventKind.SUPPLEMENT_REQUESTED, data)

    def _close_open_pause(self, at: dt.datetime) -> None:
        dossier = self.dossier
        for request in self.supplements:
            if request.completed_at is None:
                request.completed_at = at
        dossier.paused_since = None
        if dossier.legal_due_at is not None:
            pauses = [(r.requested_at, r.completed_at) for r in self.supplements]
            dossier.effective_due_at = self.calendar.effective_due_at(dossier.legal_due_at, pauses)
            dossier.due_on = local_date(dossier.effective_due_at)

    def _complete_supplement(self, at: dt.datetime) -> None:
        dossier = self.dossier
        self._close_open_pause(at)
        data = {
            "number": dossier.supplement_count,
            "effective_due_at": dossier.effective_due_at.isoformat() if dossier.effective_due_at else None,
        }
        self._change(Status.PROCESSING, at, EventKind.SUPPLEMENT_COMPLETED, data)

    def _end(self, target: Status, at: dt.datetime) -> None:
        dossier = self.dossier
        if target == Status.FINISHED:
            dossier.finished_at = at
        if dossier.paused_since is not None:
            self._close_open_pause(at)
        if dossier.ended_at is None:
            dossier.ended_at = at
            dossier.ended_on = local_date(at)
            dossier.processing_minutes = self._net_working_minutes()
        dossier.timeliness = classify(
            ended_at=dossier.ended_at,
            due_at=dossier.effective_due_at,
            supplement_count=dossier.supplement_count,
        )
        self._change(target, at, data={"timeliness": dossier.timeliness})

    def _net_working_minutes(self) -> int | None:
        dossier = self.dossier
        if dossier.received_at is None or dossier.ended_at is None:
            return None
        paused = sum(
            self.calendar.working_minutes_between(r.requested_at, r.completed_at)
            for r in self.supplements
            if r.completed_at is not None
        )
        return max(0, self.calendar.working_minutes_between(dossier.received_at, dossier.ended_at) - paused)

    def record_documents(self, rows: list[DocumentRow], missing_reason: str) -> None:
        """The documents received at the counter; the digitization flags follow from them at receipt,
        one flag event each, as :func:`apps.dossiers.services.documents.store` writes them."""
        dossier = self.dossier
        dossier.missing_documents_reason = missing_reason
        note = self.generator.documents_note
        for flag, value in derived_flags(rows).items():
            if getattr(dossier, flag) != value:
                setattr(dossier, flag, value)
                self.history.append(
                    events.flag_set(
                        dossier, flag=flag, value=value, at=dossier.received_at, actor=ACTOR, note=note
                    )
                )

    def flag(self, flag: Flag, at: dt.datetime) -> None:
        if at > self.now or getattr(self.dossier, flag):
            return
        setattr(self.dossier, flag, True)
        self.history.append(events.flag_set(self.dossier, flag=flag, value=True, at=at, actor=ACTOR))

    def rate(self, rating: Rating, at: dt.datetime) -> None:
        if at > self.now:
            return
        self.dossier.rating = rating
        self.history.append(events.rated(self.dossier, rating=rating, at=at, actor=ACTOR))


# --------------------------------------------------------------------------- writing


def _write(plans: list[_Plan], generator: DemoGenerator) -> None:
    """One batch: dossiers first (their pks come back from the insert), then pauses and events."""
    _avoid_stored_codes(plans, generator)
    Dossier.objects.bulk_create([p.dossier for p in plans])
    DossierDocument.objects.bulk_create(
        [d for p in plans for d in document_models(p.dossier.pk, p.documents)], batch_size=2000
    )
    SupplementRequest.objects.bulk_create([s for p in plans for s in p.supplements])
    DossierEvent.objects.bulk_create([e for p in plans for e in p.events])


def _avoid_stored_codes(plans: list[_Plan], generator: DemoGenerator) -> None:
    """Receipt codes are random; a clash with an existing dossier would abort the whole batch."""
    by_code = {p.dossier.code: p.dossier for p in plans}
    codes = list(by_code)
    for start in range(0, len(codes), 500):
        for code in Dossier.objects.filter(code__in=codes[start : start + 500]).values_list(
            "code", flat=True
        ):
            dossier = by_code[code]
            assert dossier.received_on is not None
            dossier.code = generator.new_code(dossier.receiving_unit, dossier.received_on)


def seed_dossiers(
    *,
    count: int,
    province_code: str,
    days: int,
    seed: int,
    batch: int,
    now: dt.datetime,
    progress: Callable[[int, int, float], None] | None = None,
) -> SeedSummary:
    """Generate and store ``count`` dossiers; one transaction per batch keeps memory and locks bounded."""
    started = time.perf_counter()
    generator = DemoGenerator(province_code=province_code, seed=seed, now=now, days=days)
    summary = SeedSummary()
    for size in _batches(count, batch):
        generator.dispatched_at = timezone.now()
        plans = [generator.plan() for _ in range(size)]
        with transaction.atomic():
            _write(plans, generator)
        _count(summary, plans, now)
        summary.elapsed = time.perf_counter() - started
        if progress is not None:
            progress(summary.created, count, summary.elapsed)
    summary.elapsed = time.perf_counter() - started
    return summary


def _batches(count: int, batch: int) -> Iterator[int]:
    done = 0
    while done < count:
        size = min(batch, count - done)
        done += size
        yield size


def _count(summary: SeedSummary, plans: list[_Plan], now: dt.datetime) -> None:
    for plan in plans:
        dossier = plan.dossier
        summary.created += 1
        summary.by_status[dossier.status] += 1
        summary.events += len(plan.events)
        summary.supplements += len(plan.supplements)
        if dossier.ended_at is not None:
            summary.ended += 1
            summary.on_time += dossier.timeliness != Timeliness.LATE
        elif dossier.status in OPEN_STATUSES and is_overdue_now(
            now=now,
            due_at=dossier.effective_due_at,
            paused_since=dossier.paused_since,
            supplement_count=dossier.supplement_count,
        ):
            summary.overdue_open += 1


# --------------------------------------------------------------------------- helpers


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)
