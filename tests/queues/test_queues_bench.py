"""bench_queue_ingest: every path writes the same visits and the command cleans up after itself."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.queues.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_small_run_prints_every_path_and_leaves_no_rows(calendar):
    out = io.StringIO()
    call_command("bench_queue_ingest", "--tickets", "3", "--batch", "5", "--figures", "800", stdout=out)
    text = out.getvalue()
    for path in (
        "baseline",
        "record_event()",
        "POST /queue/events/ per event",
        "POST /queue/events/bulk/ ×5",
    ):
        assert path in text
    assert text.count("      12 ") >= 4  # 3 tickets × 4 events on each path
    assert "live figures over 800 stored tickets" in text
    assert "2026-W01        800 tickets" in text  # one every 2 minutes from Thu 1 Jan: all in week 1
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_refuses_bad_arguments(calendar):
    with pytest.raises(CommandError):
        call_command("bench_queue_ingest", "--tickets", "0")
