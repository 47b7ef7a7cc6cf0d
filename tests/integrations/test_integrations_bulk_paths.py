"""The bulk write path: fast COPY and its fallback, receipt-code collisions, memoised deadlines, statistics."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection

from apps.catalogue.models import TimeUnit
from apps.core.actors import Actor
from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.services import bulk
from apps.dossiers.services.receipt import compute_legal_due
from tests.factories import ProcedureVersionFactory

pytestmark = pytest.mark.django_db
ACTOR = Actor.of_system("src")


def item(procedure, external_id, at="2026-02-10T09:00:00+07:00", **extra):
    return {"external_id": external_id, "procedure": procedure.code, "receiving_unit": "P1.100",
            "received_at": at, **extra}  # fmt: skip


def ingest(items, **kwargs):
    return bulk.ingest(items, source_system="src", actor=ACTOR, **kwargs)


def outcomes(result):
    return [o.outcome for o in result.outcomes]


def test_a_row_created_meanwhile_is_compared_not_duplicated(monkeypatch, calendar, tree, procedure):
    """As if another request had inserted X-1 after this one looked: the insert of X-1 is refused by the
    unique key (on PostgreSQL the direct COPY fails and the batch goes through ON CONFLICT DO NOTHING)."""
    ingest([item(procedure, "X-1")])
    real = bulk._existing
    calls = []

    def blind_first(source, external_ids):
        calls.append(set(external_ids))
        return {} if len(calls) == 1 else real(source, external_ids)

    monkeypatch.setattr(bulk, "_existing", blind_first)
    fallbacks = []
    skipping = bulk._insert_skipping_conflicts
    monkeypatch.setattr(
        bulk, "_insert_skipping_conflicts", lambda rows: fallbacks.append(rows) or skipping(rows)
    )
    result = ingest(
        [item(procedure, "X-1"), item(procedure, "X-2"), item(procedure, "X-3", applicant_name="B")]
    )
    assert outcomes(result) == ["unchanged", "created", "created"]
    assert calls[1] == {"X-1"}  # the lost row is looked up again and compared
    assert len(fallbacks) == (1 if connection.vendor == "postgresql" else 0)
    assert Dossier.objects.filter(source_system="src").count() == 3
    assert DossierEvent.objects.filter(kind="received").count() == 3
    codes = {o.external_id: o.code for o in result.outcomes}
    assert codes == dict(Dossier.objects.values_list("external_id", "code"))


def test_a_receipt_code_collision_draws_another_code(monkeypatch, calendar, tree, procedure):
    ingest([item(procedure, "X-1")])
    taken = Dossier.objects.get().code
    reference = bulk.Reference()
    drawn = reference.new_code
    codes = iter([taken])
    monkeypatch.setattr(reference, "new_code", lambda unit, day: next(codes, None) or drawn(unit, day))
    result = ingest([item(procedure, "X-2"), item(procedure, "X-3")], reference=reference)
    assert outcomes(result) == ["created", "created"]
    assert len({o.code for o in result.outcomes} | {taken}) == 3
    assert all(o.code.startswith("P1.100-260210-") for o in result.outcomes)  # redrawn for the receipt day
    for outcome in result.outcomes:
        dossier = Dossier.objects.get(external_id=outcome.external_id)
        assert dossier.code == outcome.code
        assert list(dossier.events.values_list("kind", flat=True)) == ["received"]


def test_deadlines_match_the_receipt_service(calendar, tree):
    """Memoised by (calendar, instant, limit, unit of time): the online limit is a different key."""
    version = ProcedureVersionFactory(time_limit=Decimal(5), online_time_limit=Decimal(2),
                                      time_unit=TimeUnit.WORKING_DAYS)  # fmt: skip
    procedure = version.procedure
    instants = ["2026-02-10T09:00:00+07:00", "2026-02-10T09:00:00+07:00", "2026-02-13T16:45:30+07:00",
                "2026-02-14T10:00:00+07:00", "2026-02-10T02:00:00+00:00"]  # fmt: skip
    items = [item(procedure, f"D-{n}-{channel}", at=at, channel=channel)
             for n, at in enumerate(instants) for channel in (1, 2)]  # fmt: skip
    result = ingest(items)
    assert set(outcomes(result)) == {"created"}
    for dossier in Dossier.objects.select_related("procedure_version", "handling_unit"):
        expected = compute_legal_due(dossier.procedure_version, handling_unit=dossier.handling_unit,
                                     received_at=dossier.received_at, channel=dossier.channel)  # fmt: skip
        assert dossier.legal_due_at == expected
        assert dossier.due_on == expected.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
        event = dossier.events.get()
        assert event.data == {"legal_due_at": expected.isoformat(), "procedure_version": version.pk}
    online = Dossier.objects.get(external_id="D-0-2").legal_due_at
    counter = Dossier.objects.get(external_id="D-0-1").legal_due_at
    assert online < counter


def test_registered_dossier_event_data_is_an_object(calendar, tree, procedure):
    ingest([item(procedure, "R-1", status=1, channel=2)])
    event = DossierEvent.objects.get()
    assert event.kind == "registered" and event.data == {} and json.dumps(event.data) == "{}"


def test_statistics_marked_once_per_batch(monkeypatch, calendar, tree, procedure):
    calls = []
    monkeypatch.setattr(bulk, "unit_periods_changed", lambda units, first: calls.append((set(units), first)))
    ingest([item(procedure, "A", at="2026-02-12T09:00:00+07:00"),
            item(procedure, "B", at="2026-02-10T09:00:00+07:00", handling_unit="P1.01")])  # fmt: skip
    assert calls == [({tree["c1"].pk, tree["dept"].pk}, dt.date(2026, 2, 10))]
    calls.clear()
    ingest([item(procedure, "A", at="2026-02-12T09:00:00+07:00", handling_unit="P1.101")])  # moved
    assert calls == [({tree["c1"].pk, tree["c2"].pk}, dt.date(2026, 2, 12))]


def test_handling_unit_change_of_a_registered_dossier(calendar, tree, procedure):
    """Not yet received: in no statistics, so nothing to mark (this used to fail comparing None dates)."""
    ingest([item(procedure, "R-1", status=1, channel=2)])
    result = ingest([item(procedure, "R-1", status=1, channel=2, handling_unit="P1.101")])
    assert outcomes(result) == ["updated"] and result.outcomes[0].changed == ["handling_unit"]
    assert Dossier.objects.get().handling_unit == tree["c2"]
