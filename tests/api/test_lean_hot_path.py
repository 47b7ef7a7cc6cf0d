"""The lean hot path (issue 11): the list payload written without per-row reflection, a create that
answers from what it wrote in at most 8 queries, and ``?overdue=true`` ordered by due date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.accounts.models import User
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.api.serializers import DossierListOut, DossierOut, list_rows
from apps.dossiers.applicant import clean_applicant
from apps.dossiers.flags import Flag
from apps.dossiers.models import Channel, Dossier
from apps.dossiers.selectors import with_related
from apps.dossiers.status import Status
from apps.dossiers.timeliness import is_overdue_now
from casetracker.celery import app as celery_app
from tests.factories import ProcedureVersionFactory
from tests.helpers import FROZEN_NOW, set_eager, vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")
LIST = "/api/v1/dossiers/"


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


def receive(procedure, unit, at, applicant=None, **kwargs):
    if applicant is not None:
        applicant, errors = clean_applicant(applicant)
        assert not errors
    return services.receive_dossier(
        applicant=applicant, procedure=procedure, receiving_unit=unit, actor=SYSTEM, received_at=at, **kwargs
    )


@pytest.fixture
def varied(calendar, tree, procedure):
    """Dossiers that exercise every kind of list value: masked identity and phone, an organisation, an
    external id, a fee, flags, a rating, a paused clock, an end with its timeliness, a registration."""
    person = receive(
        procedure,
        tree["c1"],
        vn(2026, 11, 2, 9),
        applicant={
            "name": "Nguyễn Văn An",
            "id_number": "001099012389",
            "phone": "0912345678",
            "email": "an@example.vn",
            "province": "Hà Nội",
            "commune": "Phường Ba Đình",
            "street": "12 Phố Huế",
        },
        source_system="portal",
        external_id="X-1",
        fee_amount=Decimal(120000),
    )
    services.set_flag(person, Flag.PORTAL_SYNCED, actor=SYSTEM, value=True)
    firm = receive(
        procedure,
        tree["c2"],
        vn(2026, 11, 3, 14, 30),
        channel=Channel.POSTAL,
        applicant={"kind": "organisation", "name": "Công ty TNHH Minh Phát", "tax_code": "0101234567"},
    )
    services.request_supplement(firm, actor=SYSTEM, at=vn(2026, 11, 4, 9), reason="thiếu bản sao")
    done = receive(procedure, tree["c1"], vn(2026, 11, 9, 8), channel=Channel.ONLINE)
    services.finish(done, actor=SYSTEM, at=vn(2026, 11, 20, 16))
    services.rate_dossier(Dossier.objects.get(pk=done.pk), "satisfied", actor=SYSTEM)
    services.register_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM)
    return Dossier.objects.all()


def _masked(applicant: dict) -> dict:
    def mask(value: str, keep_start: int, keep_end: int) -> str:
        if not value:
            return ""
        return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]

    return {
        **applicant,
        "id_number": mask(applicant["id_number"], 4, 2),
        "phone": mask(applicant["phone"], 4, 3),
    }


@pytest.mark.parametrize("language", ["en", "vi"])
def test_list_items_equal_the_detail_field_by_field(varied, admin, language):
    response = admin.get(LIST, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    items = response.json()["results"]
    assert len(items) == varied.count() == 4
    for item in items:
        assert list(item) == DossierOut.Meta.fields  # the documented list fields, in their order
        detail = admin.get(f"{LIST}{item['code']}/", HTTP_ACCEPT_LANGUAGE=language).json()
        for name, value in item.items():
            expected = _masked(detail[name]) if name == "applicant" else detail[name]
            assert value == expected, (item["code"], name)
    with translation.override(language):
        assert {i["status_name"] for i in items} == {str(Status(i["status"]).label) for i in items}
        assert {i["channel_name"] for i in items} == {str(Channel(i["channel"]).label) for i in items}


def test_the_lean_list_writes_what_the_generic_serializer_writes(varied, admin):
    """The fast path against DRF's own path over the same instances, value for value."""
    dossiers = list(with_related(Dossier.objects.all()).order_by("id"))
    rows = list(list_rows(Dossier.objects.order_by("id")))
    assert [row.pk for row in rows] == [d.pk for d in dossiers]
    assert DossierListOut(rows, many=True).data == DossierOut(dossiers, many=True).data


def test_list_pages_cost_the_same_queries_whatever_their_rows(calendar, tree, procedure, admin):
    receive(procedure, tree["c1"], vn(2026, 11, 2, 9))
    with CaptureQueriesContext(connection) as one:
        assert len(admin.get(LIST).json()["results"]) == 1
    other = ProcedureVersionFactory().procedure
    for day in range(2, 14):
        receive(other if day % 2 else procedure, tree["c1" if day % 3 else "c2"], vn(2026, 11, day, 9))
    with CaptureQueriesContext(connection) as many:
        assert len(admin.get(LIST).json()["results"]) == 13
    assert len(many.captured_queries) == len(one.captured_queries)
    page = next(q["sql"] for q in many.captured_queries if 'FROM "dossiers_dossier"' in q["sql"])
    assert '"dossiers_dossier"."notes"' not in page  # only the columns the list writes are read
    assert '"organisation_unit"."name"' not in page


@pytest.fixture
def queued_tasks(monkeypatch):
    """As in production with a broker: the on-commit kicks are sent to it, not run inside the request."""
    sent: list[str] = []
    set_eager(False)
    monkeypatch.setattr(celery_app, "send_task", lambda name, *args, **kwargs: sent.append(name))
    yield sent
    set_eager(True)


@pytest.mark.django_db(transaction=True)
def test_a_create_costs_at_most_eight_queries_and_answers_what_a_read_shows(
    calendar, tree, procedure, users, client_for, queued_tasks, django_assert_max_num_queries
):
    """The create is the request's only transaction here, as in production (no test transaction around
    it). Counted: the procedure with its versions, BEGIN, the calendar's revision, the receipt number,
    the dossier, its event, the statistics' dirty marks, COMMIT. The receiving unit is the clerk's own,
    already read with the user (authentication is not counted; the calendar's days are cached per
    process, so a first create warms them)."""
    clerk = client_for(User.objects.select_related("unit").get(username="clerk_c1"))
    warm = clerk.post(LIST, {"procedure": procedure.code, "receiving_unit": "P1.100"}, format="json")
    assert warm.status_code == 201
    body = {
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "applicant": {"name": "Trần Thị Bình", "phone": "0912 345 678", "id_number": "001099012389"},
        "notes": "hồ sơ giấy",
        "received_at": "2026-11-23T09:15:30.123456+07:00",
    }
    with django_assert_max_num_queries(8):
        created = clerk.post(LIST, body, format="json")
    assert created.status_code == 201, created.json()
    assert queued_tasks  # the event's follow-up and the statistics drain were kicked, not run here
    written = created.json()
    assert written["events"][0]["kind"] == "received" and written["applicant"]["phone"] == "0912345678"
    assert clerk.get(f"{LIST}{written['code']}/").json() == written


def test_every_create_answer_equals_the_detail_read_after_it(calendar, tree, procedure, users, client_for):
    """Registration, a chosen code with an external id, and documents whose digitization sets flags."""
    version = procedure.versions.get()
    version.components.create(position=1, name="Tờ khai", form="original", mandatory=True)
    clerk = client_for(users["admin_p1"])
    bodies = [
        {"procedure": procedure.code, "receiving_unit": "P1.100", "status": 1, "applicant_name": "Lê Văn C"},
        {
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "handling_unit": "P1.01",
            "code": "P1.100-OWN-1",
            "source_system": "",
            "external_id": "E-77",
            "channel": 3,
            "fee_amount": "0",
            "missing_documents_reason": "nộp sau",
            "documents": [],
        },
        {
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "documents": [{"component": 1, "digitized": True, "reused": True}],
        },
    ]
    for body in bodies:
        created = clerk.post(LIST, body, format="json")
        assert created.status_code == 201, created.json()
        assert clerk.get(f"{LIST}{created.json()['code']}/").json() == created.json()
    last = created.json()
    assert last["inputs_digitized"] and last["data_reused"] and len(last["events"]) == 3
    assert last["documents"][0]["name"] == "Tờ khai"


def test_an_unknown_procedure_or_one_without_a_version_still_answers_400(tree, users, client_for, calendar):
    clerk = client_for(users["clerk_c1"])
    unknown = clerk.post(LIST, {"procedure": "9.999", "receiving_unit": "P1.100"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "unknown_procedure"
    future = ProcedureVersionFactory(valid_from=dt.date(2027, 1, 1)).procedure
    early = clerk.post(LIST, {"procedure": future.code, "receiving_unit": "P1.100"}, format="json")
    assert early.status_code == 400 and early.json()["errors"][0]["code"] == "no_procedure_version"


@pytest.fixture
def queue(calendar, tree, procedure):
    """Open dossiers due at different times, paused ones on both sides of their due date, a second
    supplement request, ended and registered ones: each is overdue now or not."""
    made = [receive(procedure, tree["c1"], vn(2026, 10, day, 9)) for day in (5, 2, 20, 12, 9)]
    made += [receive(procedure, tree["c2"], vn(2026, 11, 20, 9)), receive(procedure, tree["c3"], FROZEN_NOW)]
    services.request_supplement(made[3], actor=SYSTEM, at=vn(2026, 10, 13, 9))  # paused before due
    services.request_supplement(made[4], actor=SYSTEM, at=vn(2026, 10, 20, 9))  # paused after due
    twice = made[5]  # due in the future, but a second supplement request makes it late
    services.request_supplement(twice, actor=SYSTEM, at=vn(2026, 11, 20, 10))
    services.complete_supplement(twice, actor=SYSTEM, at=vn(2026, 11, 20, 11))
    services.request_supplement(twice, actor=SYSTEM, at=vn(2026, 11, 20, 12))
    services.finish(made[1], actor=SYSTEM, at=vn(2026, 10, 30, 9))  # ended late: not overdue now
    services.register_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM)
    return made


def test_overdue_lists_exactly_the_open_overdue_dossiers_by_due_date(queue, admin):
    expected = sorted(
        (
            d
            for d in Dossier.objects.all()
            if d.status in (2, 4, 5, 6)
            and is_overdue_now(
                now=FROZEN_NOW,
                due_at=d.effective_due_at,
                paused_since=d.paused_since,
                supplement_count=d.supplement_count,
            )
        ),
        key=lambda d: (d.effective_due_at is None, d.effective_due_at, d.pk),
    )
    assert len(expected) == 4  # the two running late, the one paused after due, the second request
    seen, url = [], f"{LIST}?overdue=true&page_size=3"
    while url:
        page = admin.get(url).json()
        seen += [item["code"] for item in page["results"]]
        url = page["next"]
    assert seen == [d.code for d in expected]
    newest_first = admin.get(f"{LIST}?overdue=true&ordering=-received_at").json()["results"]
    assert [i["code"] for i in newest_first] == [
        d.code for d in sorted(expected, key=lambda d: (d.received_at, d.pk), reverse=True)
    ]


def test_a_create_draws_past_several_numbers_clients_took(calendar, tree, procedure):
    """Without a savepoint around the insert, a clash rolls the whole attempt back (its number too): the
    next attempt must still draw past every taken number, and leave no partial rows behind."""
    day = FROZEN_NOW - dt.timedelta(hours=1)
    for number in (1, 2, 3):
        receive(procedure, tree["c1"], day, code=f"P1.100-261123-0000{number}")
    drawn = receive(procedure, tree["c1"], day)
    assert drawn.code == "P1.100-261123-00004"
    assert Dossier.objects.count() == 4
    assert drawn.events.count() == 1 and len(drawn.events.all()) == 1
    assert receive(procedure, tree["c1"], day).code == "P1.100-261123-00005"
