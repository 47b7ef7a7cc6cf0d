"""Concurrent ingests of the same new external ids, each in its own order, neither deadlock nor fail.

Before: each sender inserted in the order it was sent, two senders took the unique external-id index
entries in opposite orders, and PostgreSQL broke the cycle with ``DeadlockDetected`` (a 500, in ~40% of
rounds with 8 senders). Now rows are inserted (and numbered) in external-id order, and a deadlock or
serialization failure that still happens is retried inside the service (bounded).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from apps.core.actors import Actor
from apps.dossiers.models import Dossier
from apps.dossiers.services import bulk
from tests.helpers import database_url_for_subprocesses

ROOT = Path(__file__).resolve().parents[2]
SENDERS = 8
RECORDS = 150
ROUNDS = 3

SCRIPT = """
import json, sys, django
django.setup()
from apps.core.actors import Actor
from apps.dossiers.services import bulk
items = json.loads(sys.stdin.read())
try:
    result = bulk.ingest(items, source_system="race", actor=Actor.of_system("race"))
except Exception as exc:  # what the API would have answered with a 500
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    sys.exit(1)
print(json.dumps(result.counts()))
"""


@pytest.mark.postgres
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_eight_senders_in_shuffled_orders_end_with_one_dossier_each(calendar, tree, procedure):
    url = database_url_for_subprocesses()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "casetracker.settings"}
    env.pop("CELERY_BROKER_URL", None)
    units = ["P1.100", "P1.101", "P1.01"]
    for round_ in range(ROUNDS):
        items = [
            {"external_id": f"D{round_}-{n}", "procedure": procedure.code, "receiving_unit": units[n % 3],
             "received_at": f"2026-02-{10 + n % 3}T09:00:00+07:00"}
            for n in range(RECORDS)
        ]  # fmt: skip
        processes = []
        for sender in range(SENDERS):
            order = items[:]
            random.Random(round_ * 100 + sender).shuffle(order)
            process = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
            processes.append((process, json.dumps(order)))
        results = []
        for process, payload in processes:
            out, err = process.communicate(payload, timeout=240)
            assert process.returncode == 0, (out, err[-2000:])
            results.append(json.loads(out.strip().splitlines()[-1]))
        assert sum(r["created"] for r in results) == RECORDS, results
        assert sum(r["unchanged"] for r in results) == RECORDS * (SENDERS - 1), results
        assert sum(r["rejected"] for r in results) == 0, results
        assert (
            Dossier.objects.filter(source_system="race", external_id__startswith=f"D{round_}-").count()
            == RECORDS
        )
    codes = list(Dossier.objects.filter(source_system="race").values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == RECORDS * ROUNDS


class _Deadlock(Exception):
    sqlstate = "40P01"


@pytest.mark.django_db
def test_a_deadlock_is_retried_from_the_parsed_items(monkeypatch, calendar, tree, procedure):
    real_apply, calls = bulk._apply, []

    def flaky(*args, **kwargs):
        calls.append(1)
        real_apply(*args, **kwargs)  # does the work (and rejects the bad item) …
        if len(calls) == 1:  # … then loses the deadlock, as PostgreSQL would at commit-time contention
            raise OperationalError("deadlock detected") from _Deadlock()

    monkeypatch.setattr(bulk, "_apply", flaky)
    items = [{"external_id": "A", "procedure": procedure.code, "receiving_unit": "P1.100",
              "received_at": "2026-02-10T09:00:00+07:00"},
             {"external_id": "B", "procedure": procedure.code, "receiving_unit": "X9",
              "received_at": "2026-02-10T09:00:00+07:00"}]  # fmt: skip
    result = bulk.ingest(items, source_system="src", actor=Actor.of_system("src"))
    assert len(calls) == 2
    assert [o.outcome for o in result.outcomes] == ["created", "rejected"]
    assert len(result.outcomes[1].errors) == 1  # not doubled by the retry
    assert result.outcomes[0].code == "P1.100-260210-00001"  # the rolled-back attempt's number came back
    assert Dossier.objects.count() == 1


@pytest.mark.django_db
def test_other_errors_and_exhausted_retries_are_raised(monkeypatch, calendar, tree, procedure):
    calls = []

    def always(*args, **kwargs):
        calls.append(1)
        raise OperationalError("deadlock detected") from _Deadlock()

    monkeypatch.setattr(bulk, "_apply", always)
    monkeypatch.setattr(bulk.time, "sleep", lambda seconds: None)
    with pytest.raises(OperationalError):
        bulk.ingest([], source_system="src", actor=Actor.of_system("src"))
    assert len(calls) == bulk.RETRY_ATTEMPTS
    assert not bulk.is_retryable(OperationalError("connection refused"))
    assert not bulk.is_retryable(ValueError("x"))
