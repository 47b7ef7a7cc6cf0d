"""The outbox: what a write implies is recorded in its transaction, and the sweepers finish it.

Runs on the embedded default (SQLite) and on PostgreSQL; the broker is a closed port, so these need no
Redis. The real-process versions are in tests/stack/test_faults.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.utils import translation

from apps.core.actors import Actor
from apps.dossiers import services as dossiers
from apps.dossiers.models import DossierEvent
from apps.dossiers.services.dispatch import dispatch_pending as dispatch_dossier_events
from apps.petitions.dispatch import dispatch_pending as dispatch_petition_events
from apps.petitions.models import PetitionEvent
from apps.statistics import services as stats
from apps.statistics.models import DirtyLeaf, LeafCounts
from apps.statistics.periods import NAMED_KINDS
from tests.helpers import set_eager, vn
from tests.stack.broker import DEAD_BROKER, broker_at

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("outbox-test")


@pytest.fixture
def broker_down(settings):
    """Tasks are sent to a broker, which refuses connections."""
    settings.CELERY_BROKER_URL = DEAD_BROKER
    set_eager(False)
    with broker_at(DEAD_BROKER):
        yield
    set_eager(True)


def test_the_marks_are_in_the_transaction_of_the_change(
    calendar, tree, procedure, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # nothing runs after commit
        dossier = dossiers.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, 20, 9)
        )
    marks = set(DirtyLeaf.objects.values_list("unit_id", "period_kind"))
    assert marks == {(dossier.handling_unit_id, kind.value) for kind in NAMED_KINDS}


def test_a_rolled_back_change_marks_nothing(calendar, tree, procedure):
    with pytest.raises(RuntimeError), transaction.atomic():
        dossiers.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM)
        raise RuntimeError("abort")
    assert not DirtyLeaf.objects.exists()


def test_writes_answer_2xx_with_the_broker_down_and_the_sweepers_do_the_rest(
    calendar,
    tree,
    procedure,
    users,
    client_for,
    broker_down,
    django_capture_on_commit_callbacks,
    frozen_clock,
    caplog,
):
    clerk = client_for(users["clerk_c1"])
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        created = clerk.post(
            "/api/v1/dossiers/",
            {
                "procedure": procedure.code,
                "receiving_unit": "P1.100",
                "received_at": "2026-11-16T09:00:00+07:00",
            },
            format="json",
        )
    statuses.append(created.status_code)
    with django_capture_on_commit_callbacks(execute=True):
        statuses.append(
            clerk.post(f"/api/v1/dossiers/{created.json()['code']}/finish/", {}, format="json").status_code
        )
    with django_capture_on_commit_callbacks(execute=True):
        statuses.append(
            clerk.post(
                "/api/v1/petitions/", {"unit": "P1.100", "subject": "Where is it?"}, format="json"
            ).status_code
        )
    assert statuses == [201, 200, 201]
    assert "broker unavailable" in caplog.text
    # Recorded, not done: the marks and the events wait for the sweepers.
    assert DirtyLeaf.objects.exists() and not LeafCounts.objects.exists()
    assert DossierEvent.objects.filter(dispatched_at__isnull=True).count() == 2
    assert PetitionEvent.objects.filter(dispatched_at__isnull=True).count() == 1

    frozen_clock.shift(dt.timedelta(seconds=5))  # past the sweepers' grace for fresh events
    assert dispatch_dossier_events() == 2
    assert dispatch_petition_events() == 1
    assert stats.drain_dirty() > 0
    assert not DossierEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert not PetitionEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert not DirtyLeaf.objects.exists()
    assert LeafCounts.objects.filter(unit=tree["c1"]).exists()
    assert stats.differences_from_rebuild() == 0


def test_the_sweeper_leaves_fresh_events_to_their_task(
    calendar, tree, procedure, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        dossiers.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM)
    assert dispatch_dossier_events() == 0
    assert dispatch_dossier_events(now=DossierEvent.objects.get().recorded_at + dt.timedelta(seconds=3)) == 1
    assert dispatch_dossier_events(now=DossierEvent.objects.get().recorded_at + dt.timedelta(seconds=3)) == 0


def test_a_pair_marked_many_times_is_recomputed_once(tree):
    """However the marks of one pair fall into claim batches, the pair is recomputed once per drain."""
    often = (tree["c1"].pk, "month", dt.date(2026, 11, 1))
    once = (tree["c2"].pk, "month", dt.date(2026, 11, 1))
    stats.mark_dirty([often])
    stats.mark_dirty([once])
    stats.mark_dirty([often])
    stats.mark_dirty([often, often])  # one call: one mark
    assert DirtyLeaf.objects.count() == 4  # appended, never waited on
    assert stats.drain_dirty(batch=1) == 2
    assert not DirtyLeaf.objects.exists()


def _history(tree, procedure, capture) -> None:
    for day in (3, 10, 17):
        with capture(execute=True):
            dossier = dossiers.receive_dossier(
                procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, day, 9)
            )
        with capture(execute=True):
            dossiers.finish(dossier, actor=SYSTEM, at=vn(2026, 11, day + 1, 10))


def test_differences_from_rebuild_finds_a_wrong_or_missing_leaf(
    calendar, tree, procedure, django_capture_on_commit_callbacks
):
    _history(tree, procedure, django_capture_on_commit_callbacks)
    assert LeafCounts.objects.exists()
    assert stats.differences_from_rebuild() == 0
    LeafCounts.objects.filter(pk=LeafCounts.objects.order_by("pk").first().pk).update(ended=F("ended") + 1)
    assert stats.differences_from_rebuild() == 1
    LeafCounts.objects.filter(pk=LeafCounts.objects.order_by("-pk").first().pk).delete()
    assert stats.differences_from_rebuild() == 2
    assert LeafCounts.objects.filter(ended__gt=0).exists()  # the comparison rolled its rebuild back


def test_the_rebuild_command_checks_and_repairs(
    calendar, tree, procedure, django_capture_on_commit_callbacks, capsys
):
    _history(tree, procedure, django_capture_on_commit_callbacks)
    LeafCounts.objects.filter(pk=LeafCounts.objects.order_by("pk").first().pk).update(
        received=F("received") + 5
    )
    with translation.override("vi"):  # the deployment's language, LANGUAGE_CODE
        with pytest.raises(CommandError, match="1 dòng số liệu chi tiết khác với lần tính lại toàn bộ"):
            call_command("rebuild_statistics", "--check")
        call_command("rebuild_statistics")
    out = capsys.readouterr().out
    assert "3 hồ sơ đã tiếp nhận từ 2026-11-03 đến 2026-11-17" in out and "tuần" in out
    assert "Đã tính lại số liệu thống kê." in out
    with translation.override("en"):
        call_command("rebuild_statistics", "--check")
    out = capsys.readouterr().out
    assert "3 received dossiers from 2026-11-03 to 2026-11-17" in out and "weeks" in out
    assert "The live statistics equal a full rebuild." in out
