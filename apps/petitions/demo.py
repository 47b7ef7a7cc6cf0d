"""Demo petitions (PAKN), written through the petition services as a clerk would, for ``seed_demo``.

About one petition per fifty dossiers, at communes mostly (busier ones more), some at departments and
the centre; about 40 % about a dossier of that unit. Their lives vary as they do in practice: most are
taken up and resolved within the 15 working days, some late, a few rejected within the 2 days, some
answered with a request for information (most of those resumed and resolved once it arrives), the
recent ones still open; about 60 % of final answers are rated, the late ones more often dissatisfied;
a few repeat an earlier petition. Every step is a service call with its time, so deadlines, classes,
history and statistics marks are what the API would have written.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from apps.core.actors import Actor
from apps.dossiers.models import Dossier
from apps.dossiers.status import Status
from apps.organisation.models import Unit, UnitKind
from apps.petitions import services
from apps.petitions.models import Petition, PetitionChannel, PetitionRating
from apps.petitions.status import PetitionStatus
from apps.workcalendar.services import calendar_for_unit

ACTOR = Actor.of_system("seed_demo")
WORKING_DAY = 480  # minutes
SUBJECTS = (
    ("Chậm trả kết quả hồ sơ", "Hồ sơ đã quá hẹn nhưng chưa nhận được kết quả."),
    ("Cán bộ yêu cầu bổ sung giấy tờ không có trong quy định", "Đề nghị làm rõ thành phần hồ sơ."),
    ("Thái độ phục vụ tại bộ phận một cửa", "Cán bộ tiếp nhận chưa hướng dẫn đầy đủ."),
    ("Phí, lệ phí thu chưa đúng", "Đề nghị kiểm tra mức thu lệ phí."),
    ("Không nộp được hồ sơ trực tuyến", "Cổng dịch vụ công báo lỗi khi thanh toán."),
    ("Kiến nghị đơn giản hóa thủ tục", "Đề nghị bỏ yêu cầu bản sao có chứng thực."),
    ("Thời gian chờ tại quầy quá lâu", "Chờ hơn một giờ mới được gọi số."),
    ("Sai thông tin trên giấy chứng nhận", "Đề nghị đính chính họ tên trên kết quả."),
)
CHANNELS = (
    (PetitionChannel.PORTAL, 0.45), (PetitionChannel.COUNTER, 0.2), (PetitionChannel.PHONE, 0.2),
    (PetitionChannel.EMAIL, 0.08), (PetitionChannel.POSTAL, 0.07),
)  # fmt: skip
NAMES = ("Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Minh Tuấn", "Phạm Thu Hà", "Hoàng Đức Long", "Vũ Thị Lan")


@dataclass
class PetitionSummary:
    created: int = 0
    statuses: Tally = field(default_factory=Tally)
    timeliness: Tally = field(default_factory=Tally)
    linked: int = 0
    repeats: int = 0
    rated: int = 0

    def line(self) -> str:
        statuses = ", ".join(f"{PetitionStatus(s).label} {n}" for s, n in sorted(self.statuses.items()))
        classes = ", ".join(f"{k} {n}" for k, n in sorted(self.timeliness.items()) if k)
        return (
            f"Seeded {self.created} petitions ({statuses}; answers {classes or 'none'}; {self.linked} about a "
            f"dossier, {self.repeats} repeats, {self.rated} rated)."
        )


class _Petitioner:
    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng, self.now = rng, now

    def after(self, calendar, start: dt.datetime, low: float, high: float) -> dt.datetime:
        """A moment ``low``–``high`` working days after ``start``."""
        return calendar.add_working_minutes(start, int(self.rng.uniform(low, high) * WORKING_DAY))

    def live(self, petition: Petition, summary: PetitionSummary) -> Petition:
        """Play the petition's life through the services, stopping at ``now``."""
        rng, now = self.rng, self.now
        calendar = calendar_for_unit(petition.unit)
        start = petition.received_at
        path = rng.random()
        if path < 0.07:
            at = self.after(calendar, start, 0.2, 1.6 if rng.random() < 0.85 else 3.5)
            if at <= now:
                petition = services.reject_petition(
                    petition, actor=ACTOR, at=at, answer="Không thuộc thẩm quyền."
                )
        elif path < 0.19:
            at = self.after(calendar, start, 0.5, 4.5 if rng.random() < 0.85 else 7)
            if at > now:
                return petition
            petition = services.request_info(
                petition, actor=ACTOR, at=at, answer="Đề nghị cung cấp thêm thông tin."
            )
            back = self.after(calendar, at, 1, 6)
            if rng.random() < 0.7 and back <= now:
                petition = services.start_handling(
                    petition, actor=ACTOR, at=back, note="Đã nhận thông tin bổ sung."
                )
                done = self.after(calendar, back, 1, 8)
                if done <= now:
                    petition = services.resolve_petition(
                        petition, actor=ACTOR, at=done, answer="Đã giải quyết."
                    )
        elif path < 0.96:
            taken = self.after(calendar, start, 0.1, 2)
            if taken > now:
                return petition
            petition = services.start_handling(petition, actor=ACTOR, at=taken)
            # Most within the 15 working days, a tail beyond.
            done = (
                self.after(calendar, start, 3, 14.5)
                if rng.random() < 0.82
                else self.after(calendar, start, 15.5, 30)
            )
            done = max(done, taken + dt.timedelta(minutes=1))
            if done <= now:
                petition = services.resolve_petition(
                    petition, actor=ACTOR, at=done, answer="Đã trả lời công dân."
                )
        if petition.status in (PetitionStatus.RESOLVED, PetitionStatus.REJECTED) and rng.random() < 0.6:
            rated_at = petition.status_changed_at + dt.timedelta(hours=rng.randint(2, 72))
            if rated_at <= now:
                unhappy = 0.5 if petition.timeliness == "late" else 0.12
                rating = PetitionRating.DISSATISFIED if rng.random() < unhappy else PetitionRating.SATISFIED
                petition = services.rate_petition(petition, rating, actor=ACTOR, at=rated_at)
                summary.rated += 1
        return petition


def seed_petitions(
    *, province_code: str, count: int, days: int, seed: int, now: dt.datetime,
    progress: Callable[[int, int], None] | None = None,
) -> PetitionSummary:  # fmt: skip
    """``count`` petitions received over the last ``days`` days in the province, in one transaction."""
    rng = random.Random(seed + 17)
    summary = PetitionSummary()
    province = Unit.objects.get(code=province_code, parent__isnull=True)
    volume = dict(
        Dossier.objects.filter(handling_unit__parent=province).values_list("handling_unit_id")
        .annotate(n=Count("id")).order_by()
    )  # fmt: skip
    units = [u for u in Unit.objects.filter(parent=province, is_active=True) if u.kind != UnitKind.PROVINCE]
    weights = [(volume.get(u.pk, 0) + 1) * (1.0 if u.kind == UnitKind.COMMUNE else 0.6) for u in units]
    earlier: dict[int, list[Petition]] = {}
    petitioner = _Petitioner(rng, now)
    with transaction.atomic():
        for number in range(1, count + 1):
            unit = rng.choices(units, weights)[0]
            calendar = calendar_for_unit(unit)
            received_at = None
            for _ in range(30):
                day = (now - dt.timedelta(days=rng.randrange(days))).astimezone(calendar.tz).date()
                if calendar.is_working_day(day) or rng.random() < 0.1:
                    moment = dt.datetime.combine(day, dt.time(7, 30), tzinfo=calendar.tz)
                    received_at = moment + dt.timedelta(minutes=rng.randrange(600))
                    if received_at <= now:
                        break
                received_at = None
            if received_at is None:
                continue
            dossier = None
            if rng.random() < 0.4:
                dossier = (
                    Dossier.objects.filter(handling_unit=unit, received_at__lt=received_at)
                    .exclude(status__in=(Status.REGISTERED, Status.REFUSED_AT_INTAKE))
                    .order_by("-received_at").first()
                )  # fmt: skip
            repeat_of = None
            candidates = [p for p in earlier.get(unit.pk, []) if p.received_at < received_at]
            if candidates and rng.random() < 0.08:
                repeat_of = rng.choice(candidates)
            subject, content = rng.choice(SUBJECTS)
            petition = services.receive_petition(
                unit=unit, subject=subject, content=content, actor=ACTOR, received_at=received_at,
                channel=rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0],
                petitioner_name=rng.choice(NAMES), dossier=dossier, repeat_of=repeat_of,
            )  # fmt: skip
            petition = petitioner.live(petition, summary)
            earlier.setdefault(unit.pk, []).append(petition)
            summary.created += 1
            summary.statuses[petition.status] += 1
            summary.timeliness[petition.timeliness] += 1
            summary.linked += dossier is not None
            summary.repeats += repeat_of is not None
            if progress is not None and (number % 25 == 0 or number == count):
                progress(number, count)
    return summary
