"""Many processes sending the same records at once end with exactly one dossier each (PostgreSQL).

Deselected (not skipped) without PostgreSQL: see the ``postgres`` marker in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.dossiers.models import Dossier, DossierEvent
from tests.helpers import database_url_for_subprocesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 6
RECORDS = 300

SCRIPT = """
import json, sys, django
django.setup()
from apps.core.actors import Actor
from apps.dossiers.services import bulk
items = json.loads(sys.stdin.read())
result = bulk.ingest(items, source_system="race", actor=Actor.of_system("race"))
print(json.dumps(result.counts()))
"""


def test_parallel_duplicates_end_with_one_dossier_each(calendar, tree, procedure):
    url = database_url_for_subprocesses()
    items = [
        {"external_id": f"R-{n}", "procedure": procedure.code, "receiving_unit": "P1.100",
         "received_at": "2026-02-10T09:00:00+07:00"}
        for n in range(RECORDS)
    ]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "casetracker.settings"}
    env.pop("CELERY_BROKER_URL", None)
    processes = []
    for worker in range(WORKERS):
        # each worker sends the records in its own order, so their inserts interleave
        order = items[worker * 37 % RECORDS :] + items[: worker * 37 % RECORDS]
        process = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        processes.append((process, json.dumps(order)))
    results = []
    for process, payload in processes:
        out, err = process.communicate(payload, timeout=180)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert Dossier.objects.filter(source_system="race").count() == RECORDS
    assert sum(r["created"] for r in results) == RECORDS
    assert sum(r["unchanged"] for r in results) == RECORDS * (WORKERS - 1)
    assert sum(r["rejected"] for r in results) == 0
    received = DossierEvent.objects.filter(dossier__source_system="race", kind="received").count()
    assert received == RECORDS
