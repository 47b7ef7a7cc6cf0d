"""Each petition service writes its change and one event atomically, and keeps the stored facts right."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.actors import Actor
from apps.core.errors import ConflictError, DomainError, ErrorCode
from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier
from apps.dossiers.timeliness import Timeliness
from apps.petitions import services
from apps.petitions.models import Petition, PetitionEvent, PetitionEventKind
from apps.petitions.status import PetitionStatus as S
from tests.helpers import vn

pytestmark = pytest.mark.django_db

ACTOR = Actor.of_system("test")
RECEIVED = vn(2026, 3, 2, 9)  # due: reject Wed 4 Mar 09:00, info Mon 9 Mar 09:00, reply Mon 23 Mar 09:00


def _kinds(petition: Petition) -> list[tuple[str, str, str]]:
    return list(petition.events.order_by("id").values_list("kind", "from_status", "to_status"))


def test_receipt_writes_the_petition_and_its_event(receive):
    petition = receive(RECEIVED, note="by phone")
    assert petition.status == S.RECEIVED
    assert petition.code.startswith("PA-P1.100-260302-")
    assert _kinds(petition) == [("received", "", "received")]
    event = petition.events.get()
    assert event.note == "by phone"
    assert event.data["reply_due_at"] == vn(2026, 3, 23, 9).isoformat()


def _start(p, at):
    return services.start_handling(p, actor=ACTOR, at=at)


# steps before the action, action, target status, timestamp field set, answered with
SERVICES = [
    pytest.param([], services.reject_petition, S.REJECTED, "rejected_at", "reject", id="reject"),
    pytest.param([], services.request_info, S.INFO_REQUESTED, "info_requested_at", "request_info", id="ask"),
    pytest.param([], services.start_handling, S.IN_PROGRESS, "started_at", "", id="start"),
    pytest.param([_start], services.resolve_petition, S.RESOLVED, "resolved_at", "resolve", id="resolve"),
    pytest.param(
        [lambda p, at: services.request_info(p, actor=ACTOR, at=at)],
        services.start_handling,
        S.IN_PROGRESS,
        "info_received_at",
        "",
        id="resume",
    ),
]


@pytest.mark.parametrize(("before", "service", "target", "stamp", "answered_with"), SERVICES)
def test_each_service_writes_change_and_event(receive, before, service, target, stamp, answered_with):
    petition = receive(RECEIVED)
    for step in before:
        petition = step(petition, vn(2026, 3, 3, 9))
    previous = petition.status
    at = vn(2026, 3, 3, 10)
    petition = service(petition, actor=ACTOR, at=at, note="done")
    stored = Petition.objects.get(pk=petition.pk)
    assert stored.status == target
    assert stored.status_changed_at == at
    assert getattr(stored, stamp) == at
    assert stored.answered_with == answered_with
    last = stored.events.order_by("-id").first()
    assert (last.kind, last.from_status, last.to_status, last.note) == (
        "status_changed",
        previous,
        target,
        "done",
    )
    assert last.occurred_at == at


@pytest.mark.parametrize(("before", "service", "target", "stamp", "answered_with"), SERVICES)
def test_a_failing_event_write_rolls_the_change_back(
    receive, monkeypatch, before, service, target, stamp, answered_with
):
    petition = receive(RECEIVED)
    for step in before:
        petition = step(petition, vn(2026, 3, 3, 9))
    status_before, events_before = petition.status, petition.events.count()

    def boom(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PetitionEvent, "save", boom)
    with pytest.raises(RuntimeError):
        service(petition, actor=ACTOR, at=vn(2026, 3, 3, 10))
    monkeypatch.undo()
    stored = Petition.objects.get(pk=petition.pk)
    assert stored.status == status_before
    assert getattr(stored, stamp) is None
    assert stored.events.count() == events_before


def test_an_illegal_transition_changes_nothing(receive):
    petition = receive(RECEIVED)
    with pytest.raises(ConflictError) as raised:
        services.resolve_petition(petition, actor=ACTOR, at=vn(2026, 3, 3, 10))
    assert raised.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert Petition.objects.get(pk=petition.pk).status == S.RECEIVED
    assert petition.events.count() == 1


# how the petition is closed, when, expected class (received Mon 2 Mar 09:00)
TIMELINESS = [
    pytest.param("reject", vn(2026, 3, 3, 16), Timeliness.EARLY, id="rejected next day (limit Wed 09:00)"),
    pytest.param("reject", vn(2026, 3, 4, 8), Timeliness.ON_TIME, id="rejected on the due morning"),
    pytest.param("reject", vn(2026, 3, 4, 10), Timeliness.LATE, id="rejected after 2 working days"),
    pytest.param("ask", vn(2026, 3, 6, 10), Timeliness.EARLY, id="asked on day 4 (limit Mon 9 Mar)"),
    pytest.param("ask", vn(2026, 3, 9, 10), Timeliness.LATE, id="asked after 5 working days"),
    pytest.param("resolve", vn(2026, 3, 20, 10), Timeliness.EARLY, id="resolved on day 14"),
    pytest.param("resolve", vn(2026, 3, 23, 9), Timeliness.ON_TIME, id="resolved at the due instant"),
    pytest.param("resolve", vn(2026, 3, 23, 9, 1), Timeliness.LATE, id="resolved a minute late"),
    # A late rejection is late although 15 working days have not passed: each answer has its own limit.
    pytest.param("reject", vn(2026, 3, 5, 9), Timeliness.LATE, id="late rejection within 15 days"),
]


def _close(petition: Petition, how: str, at: dt.datetime) -> Petition:
    if how == "reject":
        return services.reject_petition(petition, actor=ACTOR, at=at)
    if how == "ask":
        return services.request_info(petition, actor=ACTOR, at=at)
    petition = services.start_handling(petition, actor=ACTOR, at=RECEIVED)
    return services.resolve_petition(petition, actor=ACTOR, at=at)


@pytest.mark.parametrize(("how", "at", "expected"), TIMELINESS)
def test_timeliness_is_fixed_by_the_closing_answer(receive, how, at, expected):
    petition = _close(receive(RECEIVED), how, at)
    stored = Petition.objects.get(pk=petition.pk)
    assert stored.timeliness == expected
    assert (stored.ended_at, stored.ended_on) == (at, at.date())


def test_resuming_after_an_information_request_reopens_the_petition(receive):
    petition = services.request_info(receive(RECEIVED), actor=ACTOR, at=vn(2026, 3, 3, 9))
    assert petition.timeliness == Timeliness.EARLY and petition.ended_on == dt.date(2026, 3, 3)
    petition = services.start_handling(petition, actor=ACTOR, at=vn(2026, 3, 10, 9))
    assert (petition.timeliness, petition.ended_at, petition.ended_on, petition.answered_with) == (
        "",
        None,
        None,
        "",
    )
    assert petition.info_requested_at == vn(2026, 3, 3, 9)  # the history keeps the request
    # The 15-working-day limit fixed at receipt judges the resolution.
    petition = services.resolve_petition(petition, actor=ACTOR, at=vn(2026, 3, 24, 9))
    assert petition.timeliness == Timeliness.LATE


class TestTimes:
    def test_future_receipt_is_refused(self, receive):
        with pytest.raises(DomainError) as raised:
            receive(vn(2099, 1, 1, 9))
        assert (raised.value.code, raised.value.field) == (ErrorCode.RECEIVED_IN_FUTURE, "received_at")

    def test_naive_time_is_refused(self, receive):
        with pytest.raises(DomainError) as raised:
            receive(dt.datetime(2026, 3, 2, 9))
        assert raised.value.code == ErrorCode.VALIDATION_ERROR

    def test_an_answer_before_the_previous_change_is_refused(self, receive):
        petition = receive(RECEIVED)
        with pytest.raises(DomainError) as raised:
            services.reject_petition(petition, actor=ACTOR, at=vn(2026, 3, 2, 8))
        assert raised.value.code == ErrorCode.EVENT_BEFORE_PREVIOUS
        assert petition.events.count() == 1

    def test_outside_the_calendar(self, receive):
        with pytest.raises(DomainError) as raised:
            receive(vn(2023, 6, 1, 9))
        assert raised.value.code == ErrorCode.OUTSIDE_CALENDAR
        assert not Petition.objects.exists()


class TestReceiptFacts:
    def test_duplicate_code(self, receive):
        receive(RECEIVED, code="PA-1")
        with pytest.raises(DomainError) as raised:
            receive(RECEIVED, code="PA-1")
        assert (raised.value.code, raised.value.field) == (ErrorCode.DUPLICATE_PETITION, "code")

    def test_repeat_of_implies_a_repeat(self, receive):
        first = receive(RECEIVED)
        again = receive(vn(2026, 3, 20, 9), repeat_of=first)
        assert again.is_repeat and again.repeat_of == first
        assert again.events.get().data["repeat_of"] == first.code

    def test_a_repeat_cannot_precede_its_original(self, receive):
        first = receive(RECEIVED)
        with pytest.raises(DomainError) as raised:
            receive(vn(2026, 3, 1, 9), repeat_of=first)
        assert raised.value.field == "repeat_of"

    def test_side_effects_wait_for_the_commit(self, receive, django_capture_on_commit_callbacks, monkeypatch):
        marked = []
        monkeypatch.setattr(services, "unit_periods_changed", lambda ids, first: marked.append((ids, first)))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            petition = receive(RECEIVED)
        event = petition.events.get()
        assert marked == [((petition.unit_id,), dt.date(2026, 3, 2))]
        assert event.dispatched_at is None and len(callbacks) == 1
        callbacks[0]()
        event.refresh_from_db()
        assert event.dispatched_at is not None


class TestRating:
    def test_only_a_final_answer_can_be_rated(self, receive):
        petition = services.request_info(receive(RECEIVED), actor=ACTOR, at=vn(2026, 3, 3, 9))
        with pytest.raises(ConflictError) as raised:
            services.rate_petition(petition, "dissatisfied", actor=ACTOR)
        assert raised.value.code == ErrorCode.PETITION_NOT_ANSWERED

    def test_rating_writes_an_event_once(self, receive):
        petition = services.reject_petition(receive(RECEIVED), actor=ACTOR, at=vn(2026, 3, 3, 9))
        petition = services.rate_petition(petition, "dissatisfied", actor=ACTOR, at=vn(2026, 3, 5, 9))
        services.rate_petition(petition, "dissatisfied", actor=ACTOR)
        stored = Petition.objects.get(pk=petition.pk)
        assert (stored.rating, stored.rated_at) == ("dissatisfied", vn(2026, 3, 5, 9))
        assert [k for k, _, _ in _kinds(stored)] == ["received", "status_changed", "rated"]


class TestDossierLink:
    @pytest.fixture
    def two(self, calendar, tree, procedure):
        return [
            dossier_services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c1"], actor=ACTOR, received_at=vn(2026, 3, 2, 8)
            )
            for _ in range(2)
        ]

    @staticmethod
    def flags(*dossiers: Dossier) -> list[bool]:
        return [Dossier.objects.get(pk=d.pk).has_petition for d in dossiers]

    def test_link_at_receipt_sets_the_flag(self, receive, two):
        petition = receive(RECEIVED, dossier=two[0])
        assert self.flags(*two) == [True, False]
        assert petition.events.get().data["dossier"] == two[0].code

    def test_link_move_and_unlink(self, receive, two):
        a, b = two
        petition = receive(RECEIVED)
        services.link_dossier(petition, a, actor=ACTOR)
        assert self.flags(a, b) == [True, False]
        services.link_dossier(petition, b, actor=ACTOR)  # moving clears the previous dossier
        assert self.flags(a, b) == [False, True]
        services.link_dossier(petition, None, actor=ACTOR)
        assert self.flags(a, b) == [False, False]
        assert [k for k, _, _ in _kinds(petition)] == [
            "received",
            PetitionEventKind.DOSSIER_LINKED,
            PetitionEventKind.DOSSIER_LINKED,
            PetitionEventKind.DOSSIER_UNLINKED,
        ]

    def test_another_petition_keeps_the_flag(self, receive, two):
        a, _ = two
        first = receive(RECEIVED, dossier=a)
        second = receive(RECEIVED, dossier=a)
        services.link_dossier(first, None, actor=ACTOR)
        assert self.flags(a) == [True]
        services.link_dossier(second, None, actor=ACTOR)
        assert self.flags(a) == [False]

    def test_relinking_the_same_dossier_records_nothing(self, receive, two):
        petition = receive(RECEIVED, dossier=two[0])
        services.link_dossier(petition, two[0], actor=ACTOR)
        assert petition.events.count() == 1

    def test_the_dossiers_statistics_are_marked(self, receive, two, monkeypatch):
        changed = []
        monkeypatch.setattr(services, "dossier_changed", lambda dossier: changed.append(dossier.pk))
        petition = receive(RECEIVED, dossier=two[0])
        services.link_dossier(petition, two[1], actor=ACTOR)
        assert changed == [two[0].pk, two[0].pk, two[1].pk]
