"""Receipt codes come from one per-unit, per-day sequence shared by the API and bulk ingest: no clash."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from apps.core.actors import Actor
from apps.dossiers.models import Dossier, ReceiptSequence
from apps.dossiers.receipt_codes import CodeBlocks, allocate, allocate_blocks, format_code, next_code
from apps.dossiers.services import bulk
from apps.dossiers.services.receipt import receive_dossier
from tests.helpers import FROZEN_NOW, database_url_for_subprocesses

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 11, 23)


@pytest.mark.django_db
def test_ten_thousand_codes_on_one_unit_and_day_never_clash(tree):
    unit = tree["c1"]
    codes = [next_code(unit.pk, unit.code, DAY) for _ in range(4000)]
    blocks = CodeBlocks()
    blocks.reserve([(unit.pk, DAY)] * 6000)
    codes += [blocks(unit, DAY) for _ in range(6000)]
    assert len(set(codes)) == 10_000
    assert codes[0] == "P1.100-261123-00001" and codes[-1] == "P1.100-261123-10000"
    assert ReceiptSequence.objects.get(unit=unit, day=DAY).last == 10_000


@pytest.mark.django_db
def test_sequences_are_per_unit_and_per_day(tree):
    c1, c2 = tree["c1"], tree["c2"]
    firsts = allocate_blocks({(c1.pk, DAY): 3, (c2.pk, DAY): 2, (c1.pk, DAY + dt.timedelta(days=1)): 4})
    assert firsts == {(c1.pk, DAY): 1, (c2.pk, DAY): 1, (c1.pk, DAY + dt.timedelta(days=1)): 1}
    assert allocate(c1.pk, DAY) == 4 and allocate(c2.pk, DAY, 5) == 3
    assert format_code("H44.100", dt.date(2026, 2, 13), 42) == "H44.100-260213-00042"
    assert format_code("H44", DAY, 123_456) == "H44-261123-123456"  # grows past five digits


@pytest.mark.django_db
def test_a_rolled_back_create_gives_its_number_back(tree):
    unit = tree["c1"]
    with pytest.raises(RuntimeError), transaction.atomic():
        next_code(unit.pk, unit.code, DAY)
        raise RuntimeError
    assert next_code(unit.pk, unit.code, DAY).endswith("-00001")


@pytest.mark.django_db
def test_api_and_ingest_number_from_one_sequence(calendar, tree, procedure, users):
    actor = Actor.of_user(users["clerk_c1"])
    received = FROZEN_NOW - dt.timedelta(hours=1)
    first = receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=actor, received_at=received)
    items = [
        {
            "external_id": f"E-{n}",
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "received_at": received.isoformat(),
        }
        for n in (3, 1, 2)
    ]
    result = bulk.ingest(items, source_system="src", actor=Actor.of_system("src"))
    second = receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=actor, received_at=received
    )
    day = f"{received.astimezone(dt.timezone(dt.timedelta(hours=7))):%y%m%d}"
    assert first.code == f"P1.100-{day}-00001"
    # numbered in external-id order, whatever the order sent
    assert {o.external_id: o.code for o in result.outcomes} == {
        "E-1": f"P1.100-{day}-00002",
        "E-2": f"P1.100-{day}-00003",
        "E-3": f"P1.100-{day}-00004",
    }
    assert second.code == f"P1.100-{day}-00005"


@pytest.mark.django_db
def test_a_code_a_client_chose_is_skipped_not_a_duplicate(calendar, tree, procedure, users):
    actor = Actor.of_user(users["clerk_c1"])
    received = FROZEN_NOW - dt.timedelta(hours=1)
    taken = "P1.100-261123-00001"
    receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=actor, received_at=received, code=taken
    )
    drawn = receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=actor, received_at=received)
    assert drawn.code == "P1.100-261123-00002"
    items = [
        {
            "external_id": "E-1",
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "received_at": received.isoformat(),
        }
    ]
    receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=actor, received_at=received,
                    code="P1.100-261123-00003")  # fmt: skip
    result = bulk.ingest(items, source_system="src", actor=Actor.of_system("src"))
    assert [o.outcome for o in result.outcomes] == ["created"]
    assert result.outcomes[0].code == "P1.100-261123-00004"
    assert Dossier.objects.count() == 4


ALLOCATE = """
import json, sys, datetime as dt, django
django.setup()
from django.db import transaction
from apps.dossiers.receipt_codes import CodeBlocks, next_code
from apps.organisation.models import Unit
unit = Unit.objects.get(code="P1.100")
day = dt.date(2026, 11, 23)
codes = []
for n in range(int(sys.argv[1])):
    with transaction.atomic():
        if n % 2:
            codes.append(next_code(unit.pk, unit.code, day))
        else:
            blocks = CodeBlocks()
            blocks.reserve([(unit.pk, day)] * 3)
            codes += [blocks(unit, day) for _ in range(3)]
print(json.dumps(codes))
"""


@pytest.mark.postgres
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_on_postgresql_never_clash(tree):
    url = database_url_for_subprocesses()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "casetracker.settings"}
    env.pop("CELERY_BROKER_URL", None)
    workers, rounds = 8, 40
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ALLOCATE, str(rounds)],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    codes: list[str] = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        codes += json.loads(out.strip().splitlines()[-1])
    expected = workers * (rounds // 2) * (1 + 3)
    assert len(codes) == expected == len(set(codes))
    assert sorted(codes) == [format_code("P1.100", DAY, n) for n in range(1, expected + 1)]
