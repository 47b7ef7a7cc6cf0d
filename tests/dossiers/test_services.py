"""Dossier services: each change writes the dossier and its event together, with the clock rules."""

from decimal import Decimal
from unittest import mock

import pytest

from apps.core.actors import Actor
from apps.core.errors import ConflictError, DomainError
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.dossiers.models import Channel, Dossier, DossierEvent, EventKind, Rating
from apps.dossiers.status import Status
from apps.dossiers.timeliness import Timeliness
from tests.factories import ProcedureVersionFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
CLERK = Actor.of_system("test-suite")


@pytest.fixture
def received(calendar, tree, procedure):
    # Friday 13 Feb 2026, 16:30, three working days across Tết ⇒ due Wednesday 25 Feb 16:30.
    return services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=CLERK, received_at=vn(2026, 2, 13, 16, 30)
    )


def kinds(dossier):
    return list(dossier.events.order_by("id").values_list("kind", flat=True))


def test_receipt_fixes_the_legal_due_date_and_writes_one_event(received):
    assert received.status == Status.RECEIVED
    assert received.legal_due_at == vn(2026, 2, 25, 16, 30)
    assert received.effective_due_at == received.legal_due_at
    assert received.received_on.isoformat() == "2026-02-13"
    assert received.fee_amount == Decimal(50000)
    assert received.handling_unit == received.receiving_unit
    assert kinds(received) == [EventKind.RECEIVED]
    event = received.events.get()
    assert event.actor_system == "test-suite" and event.to_status == Status.RECEIVED


def test_receipt_uses_the_version_in_force_on_the_receipt_day(calendar, tree):
    old = ProcedureVersionFactory(valid_from="2024-01-01", valid_to="2025-12-31", time_limit=Decimal(10))
    new = ProcedureVersionFactory(procedure=old.procedure, valid_from="2026-01-01", time_limit=Decimal(2))
    before = services.receive_dossier(
        procedure=old.procedure, receiving_unit=tree["c1"], actor=CLERK, received_at=vn(2025, 12, 30, 9)
    )
    after = services.receive_dossier(
        procedure=old.procedure, receiving_unit=tree["c1"], actor=CLERK, received_at=vn(2026, 1, 5, 9)
    )
    assert before.procedure_version == old
    assert after.procedure_version == new
    assert after.legal_due_at == vn(2026, 1, 7, 9)  # Mon + 2 working days


def test_online_dossier_gets_the_shorter_online_limit(calendar, tree):
    version = ProcedureVersionFactory(time_limit=Decimal(5), online_time_limit=Decimal(1))
    counter = services.receive_dossier(
        procedure=version.procedure, receiving_unit=tree["c1"], actor=CLERK, received_at=vn(2026, 3, 2, 9)
    )
    online = services.receive_dossier(
        procedure=version.procedure,
        receiving_unit=tree["c1"],
        actor=CLERK,
        channel=Channel.ONLINE,
        received_at=vn(2026, 3, 2, 9),
    )
    assert counter.legal_due_at == vn(2026, 3, 9, 9)
    assert online.legal_due_at == vn(2026, 3, 3, 9)


def test_receipt_in_the_future_is_refused(calendar, tree, procedure):
    with pytest.raises(DomainError) as caught:
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=CLERK, received_at=vn(2099, 1, 1, 9)
        )
    assert (caught.value.code, caught.value.field) == ("received_in_future", "received_at")
    assert not Dossier.objects.exists()


def test_supplement_pause_extends_the_effective_due_date_only(received):
    d = services.start_processing(received, actor=CLERK, at=vn(2026, 2, 23, 8, 0))
    d = services.request_supplement(d, actor=CLERK, at=vn(2026, 2, 23, 9, 0), reason="missing ID copy")
    assert d.status == Status.SUPPLEMENT_REQUESTED and d.paused_since == vn(2026, 2, 23, 9, 0)
    # Paused from Mon 09:00 to Tue 09:00: one working day (8 h) of pause.
    d = services.complete_supplement(d, actor=CLERK, at=vn(2026, 2, 24, 9, 0))
    assert d.paused_since is None
    assert d.legal_due_at == vn(2026, 2, 25, 16, 30)
    assert d.effective_due_at == vn(2026, 2, 26, 16, 30)
    assert d.supplement_requests.get().completed_at == vn(2026, 2, 24, 9, 0)
    d = services.finish(d, actor=CLERK, at=vn(2026, 2, 26, 10, 0))
    assert d.timeliness == Timeliness.ON_TIME  # late against the legal date, on time with the pause
    assert kinds(d) == [
        EventKind.RECEIVED,
        EventKind.STATUS_CHANGED,
        EventKind.SUPPLEMENT_REQUESTED,
        EventKind.SUPPLEMENT_COMPLETED,
        EventKind.STATUS_CHANGED,
    ]


def test_second_supplement_request_is_recorded_and_makes_the_dossier_late(received):
    d = services.request_supplement(received, actor=CLERK, at=vn(2026, 2, 23, 8))
    d = services.complete_supplement(d, actor=CLERK, at=vn(2026, 2, 23, 9))
    d = services.request_supplement(d, actor=CLERK, at=vn(2026, 2, 23, 10), reason="still missing")
    assert d.supplement_count == 2
    assert list(d.supplement_requests.values_list("number", flat=True)) == [1, 2]
    assert d.events.filter(kind=EventKind.SUPPLEMENT_REQUESTED).last().data["number"] == 2
    d = services.complete_supplement(d, actor=CLERK, at=vn(2026, 2, 23, 11))
    d = services.finish(d, actor=CLERK, at=vn(2026, 2, 23, 14))  # two days before the due date
    assert d.timeliness == Timeliness.LATE


@pytest.mark.parametrize(
    ("finished_at", "expected"),
    [
        (vn(2026, 2, 24, 10), Timeliness.EARLY),  # Tuesday
        (vn(2026, 2, 25, 16, 30), Timeliness.ON_TIME),  # the due instant
        (vn(2026, 2, 26, 8), Timeliness.LATE),  # Thursday
    ],
)
def test_finishing_fixes_end_time_and_class(received, finished_at, expected):
    d = services.finish(received, actor=CLERK, at=finished_at)
    assert (d.status, d.ended_at, d.finished_at, d.timeliness) == (
        Status.FINISHED,
        finished_at,
        finished_at,
        expected,
    )
    d = services.return_result(d, actor=CLERK, at=vn(2026, 3, 2, 9))
    assert d.status == Status.RESULT_RETURNED
    assert d.ended_at == finished_at  # the finishing time stays the end of processing
    assert d.returned_at == vn(2026, 3, 2, 9)


def test_withdrawal_during_a_pause_closes_the_pause(received):
    d = services.request_supplement(received, actor=CLERK, at=vn(2026, 2, 23, 8))
    d = services.withdraw(d, actor=CLERK, at=vn(2026, 3, 20, 8))
    assert d.status == Status.WITHDRAWN and d.paused_since is None
    assert d.supplement_requests.get().completed_at == vn(2026, 3, 20, 8)
    assert d.timeliness == Timeliness.EARLY  # the clock never ran past the due date


def test_illegal_transition_changes_nothing(received):
    d = services.finish(received, actor=CLERK, at=vn(2026, 2, 24, 9))
    with pytest.raises(ConflictError):
        services.request_supplement(d, actor=CLERK)
    d.refresh_from_db()
    assert d.status == Status.FINISHED and d.supplement_count == 0
    assert d.events.count() == 2


def test_start_processing_refuses_an_open_supplement(received):
    d = services.request_supplement(received, actor=CLERK, at=vn(2026, 2, 23, 8))
    with pytest.raises(ConflictError, match="chờ bổ sung") as caught:  # "waits for a supplement"
        services.start_processing(d, actor=CLERK)
    assert caught.value.code == "illegal_transition" and caught.value.field == "status"


def test_event_time_before_the_previous_change_is_refused(received):
    with pytest.raises(DomainError) as caught:
        services.start_processing(received, actor=CLERK, at=vn(2026, 2, 13, 9))
    assert caught.value.code == "event_before_previous"


def test_change_and_event_are_one_transaction(received):
    failing = mock.patch("apps.dossiers.services.transitions.record", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        services.start_processing(received, actor=CLERK, at=vn(2026, 2, 23, 8))
    received.refresh_from_db()
    assert received.status == Status.RECEIVED
    assert received.events.count() == 1


def test_registration_then_acceptance_starts_the_clock(calendar, tree, procedure):
    d = services.register_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=CLERK, registered_at=vn(2026, 3, 2, 20)
    )
    assert d.status == Status.REGISTERED and d.legal_due_at is None and d.channel == Channel.ONLINE
    d = services.accept_registered_dossier(d, actor=CLERK, at=vn(2026, 3, 3, 8))
    assert d.status == Status.RECEIVED
    assert d.legal_due_at == vn(2026, 3, 6, 8)
    assert kinds(d) == [EventKind.REGISTERED, EventKind.RECEIVED]


def test_refusal_at_intake(calendar, tree, procedure):
    d = services.register_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=CLERK)
    d = services.refuse_at_intake(d, actor=CLERK)
    assert d.status == Status.REFUSED_AT_INTAKE


def test_flags_and_rating_are_events_and_idempotent(received):
    d = services.set_flag(received, Flag.INPUTS_DIGITIZED, actor=CLERK)
    d = services.set_flag(d, Flag.INPUTS_DIGITIZED, actor=CLERK)  # no change, no event
    d = services.rate_dossier(d, Rating.DISSATISFIED, actor=CLERK)
    d.refresh_from_db()
    assert d.inputs_digitized is True and d.rating == Rating.DISSATISFIED
    flag_events = d.events.filter(kind=EventKind.FLAG_SET)
    assert [e.data for e in flag_events] == [{"flag": "inputs_digitized", "value": True}]
    assert d.events.filter(kind=EventKind.RATED).get().data == {"rating": "dissatisfied"}


def test_reassignment_keeps_the_due_date(received, tree):
    due = received.legal_due_at
    d = services.assign_handling_unit(received, tree["dept"], actor=CLERK)
    assert d.handling_unit == tree["dept"] and d.legal_due_at == due
    assert d.events.last().data == {"from": "P1.100", "to": "P1.01"}


@pytest.mark.parametrize(
    "end",
    [
        lambda d: services.finish(d, actor=CLERK, at=vn(2026, 11, 20, 15)),
        lambda d: services.withdraw(d, actor=CLERK, at=vn(2026, 11, 20, 15)),
    ],
    ids=["finished", "withdrawn"],
)
def test_an_ended_dossier_stays_with_the_unit_that_handled_it(received, tree, end):
    ended = end(received)
    events = ended.events.count()
    with pytest.raises(ConflictError) as refused:
        services.assign_handling_unit(ended, tree["dept"], actor=CLERK, at=vn(2026, 11, 20, 16))
    assert (refused.value.code, refused.value.field) == ("illegal_transition", "status")
    ended.refresh_from_db()
    assert ended.handling_unit == tree["c1"] and ended.events.count() == events
    # naming the unit it is already at is a no-op, as for an open dossier (an idempotent re-send)
    assert services.assign_handling_unit(ended, tree["c1"], actor=CLERK).events.count() == events


def test_events_are_append_only(received):
    event = received.events.get()
    event.note = "rewritten"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


def test_follow_up_task_runs_after_commit(calendar, tree, procedure, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        d = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=CLERK)
    assert len(callbacks) == 2  # the event's follow-up task and the statistics refresh
    assert DossierEvent.objects.get(dossier=d).dispatched_at is not None


def test_no_task_is_scheduled_when_the_change_fails(received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ConflictError):
        services.return_result(received, actor=CLERK)
    assert callbacks == []
