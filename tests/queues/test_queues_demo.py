"""The demo's queue tickets and petitions: realistic variety, and the values the services would write."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.core.actors import Actor
from apps.petitions.models import Petition
from apps.queues import services
from apps.queues.demo import KIOSK
from apps.queues.models import Counter, Ticket
from apps.statistics.periods import parse
from casetracker.celery import app as celery_app
from tests.helpers import set_eager

pytestmark = pytest.mark.django_db
NOW = "2026-03-31T17:30:00+07:00"
COMPARED = (
    "status",
    "issued_at",
    "issued_on",
    "first_called_at",
    "last_called_at",
    "call_count",
    "started_at",
    "finished_at",
    "no_show_at",
    "counter_id",
    "staff_id",
    "wait_seconds",
    "wait_minutes",
    "handling_seconds",
    "handling_minutes",
    "unit_id",
)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One small demo for the module (seeding takes a while), removed afterwards."""
    out = io.StringIO()
    previous = celery_app.conf.task_always_eager
    set_eager(True)  # follow-ups run in-process even when a broker is configured (CI's second stage)
    try:
        with django_db_blocker.unblock():
            call_command("seed_demo", "--dossiers", "400", "--seed", "3", "--now", NOW, stdout=out)
    finally:
        set_eager(previous)
    yield out.getvalue()
    with django_db_blocker.unblock():
        from django.core.management import call_command as flush

        flush("flush", "--noinput", verbosity=0)
        from apps.workcalendar.services import clear_calendar_cache, ensure_default_calendar

        clear_calendar_cache()
        ensure_default_calendar(2024, 2028)


def test_progress_is_printed(seeded):
    assert "queue tickets" in seeded and "petitions" in seeded
    assert "/" in seeded.split("Generating")[-1]  # "n/N petitions" progress lines


def test_tickets_have_realistic_variety(seeded):
    tickets = Ticket.objects.filter(source_system=KIOSK)
    waits = list(tickets.exclude(wait_minutes=None).values_list("wait_minutes", flat=True))
    assert len(waits) > 500
    within = sum(w <= 15 for w in waits) / len(waits)
    assert 0.75 < within < 0.97  # mostly within the target, with a tail beyond
    assert max(waits) > 30
    statuses = set(tickets.values_list("status", flat=True))
    assert {"finished", "no_show"} <= statuses
    no_shows = tickets.filter(status="no_show").count() / tickets.count()
    assert 0.01 < no_shows < 0.12
    assert tickets.filter(dossiers__isnull=False).exists() and tickets.filter(dossiers__isnull=True).exists()
    assert Counter.objects.filter(unit__code="H44.TTHCC").count() == 8


def test_tickets_equal_a_replay_through_the_services(seeded):
    """Seeded tickets hold exactly what posting their events through the service writes."""
    sample = list(Ticket.objects.filter(source_system=KIOSK).order_by("id")[::40])
    assert len(sample) > 10
    for ticket in sample:
        copy_id = f"replay-{ticket.pk}"
        for event in ticket.events.order_by("occurred_at", "id"):
            data = services.EventData(
                ticket=copy_id,
                event=event.kind,
                at=event.occurred_at,
                unit=ticket.unit.code,
                counter=event.counter.number if event.counter else None,
                staff=event.staff.username if event.staff else "",
            )
            services.record_event(data, source_system="replay", scope_path="H44/", actor=Actor.of_system("t"))
        copy = Ticket.objects.get(source_system="replay", external_id=copy_id)
        assert {f: getattr(copy, f) for f in COMPARED} == {f: getattr(ticket, f) for f in COMPARED}, ticket


def test_the_centre_has_queue_figures_every_week(seeded):
    from apps.organisation.models import Unit
    from apps.queues.figures import queue_figures

    total = queue_figures(Unit.objects.get(code="H44.TTHCC"), parse("2026-W13"))["total"]
    assert total["tickets"] > 20
    assert total["waiting"]["median_minutes"] is not None
    assert total["waiting"]["p90_minutes"] >= total["waiting"]["median_minutes"]


def test_petitions_have_realistic_variety(seeded):
    petitions = Petition.objects.all()
    assert petitions.count() >= 10
    assert len(set(petitions.values_list("status", flat=True))) >= 2
    assert petitions.filter(status="resolved").exists()
    assert petitions.exclude(timeliness="").exists()
    assert len(set(petitions.values_list("channel", flat=True))) >= 2
    assert petitions.filter(dossier__isnull=False).exists()
    for petition in petitions:
        assert petition.events.first().kind == "received"
        assert petition.events.count() >= 1
