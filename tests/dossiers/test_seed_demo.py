"""``seed_demo``: bulk-written demo dossiers must be indistinguishable from ones made by the services.

The strongest check replays seeded histories (every unusual path, a sample of plain ones) through the
real services and compares field by field; the others cover what the command promises (reference data,
users, tokens, scoping, variety, idempotence, determinism).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db.models import F, Q
from rest_framework.test import APIClient

from apps.catalogue.models import ProcedureComponent
from apps.catalogue.rules import version_for
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.applicant import COLUMNS
from apps.dossiers.documents import (
    DERIVED_FLAGS,
    DocumentIn,
    check_complete,
    derived_flags,
    missing_mandatory,
    resolve,
)
from apps.dossiers.flags import Flag
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent, EventKind, Rating, SupplementRequest
from apps.dossiers.services.receipt import compute_legal_due
from apps.dossiers.status import Status
from apps.dossiers.timeliness import BUSINESS_TZ, Timeliness, classify
from apps.organisation.models import Unit
from apps.workcalendar.services import calendar_for_unit

pytestmark = pytest.mark.django_db

N = 300
# A fixed "now" makes runs comparable; the year before it crosses Tết 2026 and the 2025 swaps.
NOW = "2026-03-31T17:30:00+07:00"
NOW_INSTANT = dt.datetime.fromisoformat(NOW)
SEED_ARGS = ["--dossiers", str(N), "--seed", "7", "--now", NOW, "--batch", "120"]

# Fields a replay cannot reproduce (identity, receipt code, row timestamps; has_petition comes from the
# demo petitions written through the petition services, compared with their links instead).
NOT_COMPARED = {"id", "code", "created_at", "updated_at", "has_petition"}


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(calendar) -> str:
    return seed(*SEED_ARGS)


def dossier_values(dossier: Dossier) -> dict:
    return {
        f.attname: getattr(dossier, f.attname)
        for f in Dossier._meta.concrete_fields
        if f.name not in NOT_COMPARED
    }


def history(dossier: Dossier) -> list[tuple]:
    return [
        (e.kind, e.occurred_at, e.from_status, e.to_status, e.data, e.actor_system)
        for e in dossier.events.order_by("occurred_at", "id")
    ]


def pauses(dossier: Dossier) -> list[tuple]:
    return list(dossier.supplement_requests.values_list("number", "requested_at", "completed_at", "reason"))


def digest() -> str:
    """Everything but ids, receipt codes and row timestamps, in creation order."""
    h = hashlib.sha256()
    for dossier in Dossier.objects.order_by("id"):
        h.update(repr((dossier_values(dossier), history(dossier), pauses(dossier))).encode())
    return h.hexdigest()


def replay(dossier: Dossier) -> Dossier:
    """Rebuild the dossier through the services from its own event history."""
    actor = Actor.of_system("seed_demo")
    first, *rest = dossier.events.order_by("occurred_at", "id")
    assert first.kind == EventKind.RECEIVED
    documents = [
        DocumentIn(
            component=d.component.position if d.component else None,
            name=d.name,
            form=d.form,
            quantity=d.quantity,
            digitized=d.digitized,
            reused=d.reused,
        )
        for d in dossier.documents.select_related("component").order_by("position")
    ]
    copy = services.receive_dossier(
        procedure=dossier.procedure,
        receiving_unit=dossier.receiving_unit,
        handling_unit=dossier.handling_unit,
        channel=dossier.channel,
        received_at=first.occurred_at,
        applicant_name=dossier.applicant_name,
        applicant={
            column: getattr(dossier, column) for column in COLUMNS.values() if column != "applicant_name"
        },
        code=f"replay-{dossier.pk}",
        actor=actor,
        documents=documents or None,
        missing_documents_reason=dossier.missing_documents_reason,
    )
    by_target = {
        Status.PROCESSING: services.start_processing,
        Status.FINANCIAL_OBLIGATION: services.request_payment,
        Status.FINISHED: services.finish,
        Status.WITHDRAWN: services.withdraw,
        Status.STOPPED: services.stop,
        Status.RESULT_RETURNED: services.return_result,
    }
    for event in rest:
        at = event.occurred_at
        if event.kind == EventKind.FLAG_SET and documents and event.data["flag"] in DERIVED_FLAGS:
            continue  # written by the receipt, from the documents
        if event.kind == EventKind.FLAG_SET:
            copy = services.set_flag(
                copy, Flag(event.data["flag"]), value=event.data["value"], at=at, actor=actor
            )
        elif event.kind == EventKind.RATED:
            copy = services.rate_dossier(copy, Rating(event.data["rating"]), at=at, actor=actor)
        elif event.kind == EventKind.SUPPLEMENT_REQUESTED:
            copy = services.request_supplement(copy, reason=event.data["reason"], at=at, actor=actor)
        elif event.kind == EventKind.SUPPLEMENT_COMPLETED:
            copy = services.complete_supplement(copy, at=at, actor=actor)
        else:
            assert event.kind == EventKind.STATUS_CHANGED, event.kind
            copy = by_target[Status(event.to_status)](copy, at=at, actor=actor)
    return Dossier.objects.get(pk=copy.pk)


def test_seeded_dossiers_equal_a_replay_through_the_services(seeded):
    # Every unusual path (pauses, payment waits, withdrawals, stops, open dossiers) plus a sample of the
    # plain ones keeps this under a few seconds.
    unusual = DossierEvent.objects.filter(
        Q(kind=EventKind.SUPPLEMENT_REQUESTED)
        | Q(to_status__in=[Status.FINANCIAL_OBLIGATION, Status.WITHDRAWN, Status.STOPPED])
    ).values("dossier_id")
    dossiers = Dossier.objects.select_related("procedure", "receiving_unit", "handling_unit").order_by("id")
    sample = [d for i, d in enumerate(dossiers) if i % 6 == 0 or d.status not in (9, 10)]
    sample += dossiers.filter(id__in=unusual).exclude(id__in=[d.id for d in sample])
    assert 60 < len(sample) < N
    for dossier in sample:
        copy = replay(dossier)
        assert dossier_values(copy) == dossier_values(dossier), dossier.code
        assert history(copy) == history(dossier), dossier.code
        assert pauses(copy) == pauses(dossier), dossier.code
        assert dossier.has_petition == dossier.petitions.exists(), dossier.code


def test_demo_dossiers_carry_documents_their_flags_follow_from(seeded):
    """Every fixture version lists components, so every demo dossier records what it was received with:
    the intake rules accept it, and the two digitization flags are what the rules derive from it."""
    documents = defaultdict(list)
    for document in DossierDocument.objects.select_related("component").order_by("dossier_id", "position"):
        documents[document.dossier_id].append(document)
    components = defaultdict(list)
    for component in ProcedureComponent.objects.order_by("version_id", "position"):
        components[component.version_id].append(component)
    missing = 0
    flags = set()
    for dossier in Dossier.objects.all():
        listed = components[dossier.procedure_version_id]
        rows = resolve(listed, [DocumentIn(component=d.component.position if d.component else None,
                                           name=d.name, digitized=d.digitized, reused=d.reused)
                                for d in documents[dossier.pk]])  # fmt: skip
        assert rows, dossier.code
        check_complete(listed, rows, dossier.missing_documents_reason)  # the counter would accept it
        if missing_mandatory(listed, rows):
            missing += 1
            assert dossier.missing_documents_reason, dossier.code
        else:
            assert dossier.missing_documents_reason == "", dossier.code
        derived = derived_flags(rows)
        assert (dossier.inputs_digitized, dossier.data_reused) == (
            derived["inputs_digitized"],
            derived["data_reused"],
        ), dossier.code
        flags.add((dossier.inputs_digitized, dossier.data_reused))
        set_events = dossier.events.filter(kind=EventKind.FLAG_SET, data__flag__in=list(DERIVED_FLAGS))
        assert {e.data["flag"] for e in set_events if e.data["value"]} == {f for f, v in derived.items() if v}
        assert all(e.occurred_at == dossier.received_at for e in set_events)
    assert 0 < missing < N * 0.15  # mostly complete, some accepted with a reason
    assert flags == {(True, True), (True, False), (False, True), (False, False)}


def test_reference_data_users_and_counts(seeded):
    assert Unit.objects.filter(parent__isnull=True, kind="province").count() == 34
    assert Dossier.objects.count() == N
    assert DossierEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    assert set(DossierEvent.objects.values_list("actor_system", flat=True)) == {"seed_demo"}
    assert "clerk" in seeded and "H44.100" in seeded and f"{N:,}/{N:,} dossiers (100%)" in seeded


def printed_tokens(output: str) -> dict[str, str]:
    """The token column of the demo users table, by user name."""
    rows = [line.split() for line in output.splitlines() if line.startswith("  ")]
    return {row[0]: row[-1] for row in rows if len(row) >= 4 and len(row[-1]) == 64}


def test_demo_users_get_tokens_and_the_clerk_sees_only_their_commune(seeded):
    client = APIClient()
    printed = printed_tokens(seeded)
    assert set(printed) == {"admin", "supervisor", "clerk", "officer", "centre"}
    for username, token in printed.items():
        me = client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}")
        assert me.status_code == 200 and me.json()["username"] == username
        response = client.post(
            "/api/v1/auth/token/", {"username": username, "password": "demo"}, format="json"
        )
        assert response.status_code == 200, (username, response.content)
        assert response.json()["token"] != token  # one more device, its own token
    # A second run prints new tokens; the password is still `demo`, so the first ones keep working.
    again = printed_tokens(seed("--dossiers", "0"))
    assert again.keys() == printed.keys() and not set(again.values()) & set(printed.values())
    assert client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {printed['admin']}").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {printed['clerk']}")
    seen: list[str] = []
    url = "/api/v1/dossiers/?page_size=100"
    while url:
        page = client.get(url).json()
        seen += [(d["code"], d["receiving_unit"], d["handling_unit"]) for d in page["results"]]
        url = page["next"]
    assert seen and all("H44.100" in (r, h) for _, r, h in seen)
    mine = Dossier.objects.filter(receiving_unit__code="H44.100") | Dossier.objects.filter(
        handling_unit__code="H44.100"
    )
    assert sorted(code for code, _, _ in seen) == sorted(mine.values_list("code", flat=True))
    assert len(seen) < N


def test_stored_due_dates_versions_and_classes_match_the_rules(seeded):
    for dossier in Dossier.objects.select_related("procedure", "procedure_version", "handling_unit"):
        day = dossier.received_at.astimezone(BUSINESS_TZ).date()
        assert dossier.received_on == day
        assert dossier.procedure_version == version_for(dossier.procedure, day)
        assert dossier.fee_amount == dossier.procedure_version.fee >= 0
        assert dossier.legal_due_at == compute_legal_due(
            dossier.procedure_version,
            handling_unit=dossier.handling_unit,
            received_at=dossier.received_at,
            channel=dossier.channel,
        )
        if dossier.paused_since is None and dossier.legal_due_at is not None:
            requests = dossier.supplement_requests.values_list("requested_at", "completed_at")
            expected = calendar_for_unit(dossier.handling_unit).effective_due_at(
                dossier.legal_due_at, requests
            )
            assert dossier.effective_due_at == expected
        if dossier.ended_at is not None:
            assert dossier.ended_on == dossier.ended_at.astimezone(BUSINESS_TZ).date()
            assert dossier.timeliness == classify(
                ended_at=dossier.ended_at,
                due_at=dossier.effective_due_at,
                supplement_count=dossier.supplement_count,
            )
        else:
            assert dossier.timeliness == ""
        if dossier.supplement_count >= 2 and dossier.ended_at is not None:
            assert dossier.timeliness == Timeliness.LATE


def test_histories_are_ordered_start_with_receipt_and_stay_in_the_past(seeded):
    events = defaultdict(list)
    for event in DossierEvent.objects.order_by("dossier_id", "id"):
        events[event.dossier_id].append(event)
    for dossier in Dossier.objects.all():
        times = [e.occurred_at for e in events[dossier.pk]]
        assert events[dossier.pk][0].kind == EventKind.RECEIVED
        assert times == sorted(times)
        status_times = [e.occurred_at for e in events[dossier.pk] if e.to_status is not None]
        assert dossier.status_changed_at == status_times[-1]
        assert max(times) <= NOW_INSTANT
    assert SupplementRequest.objects.exists()


def test_variety_between_units_channels_and_outcomes(seeded):
    ended = Dossier.objects.exclude(ended_at=None)
    assert ended.filter(timeliness=Timeliness.LATE).exists()
    assert ended.exclude(timeliness=Timeliness.LATE).exists()
    assert set(Dossier.objects.values_list("channel", flat=True)) == {1, 2, 3}
    rates: dict[str, list[int]] = defaultdict(list)
    for code, timeliness in ended.values_list("handling_unit__code", "timeliness"):
        rates[code].append(timeliness != Timeliness.LATE)
    shares = {round(sum(v) / len(v), 2) for v in rates.values() if len(v) >= 3}
    assert len(shares) > 2
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert {Status.RESULT_RETURNED, Status.FINISHED} <= statuses
    assert statuses & {Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED}
    different = Dossier.objects.exclude(handling_unit=F("receiving_unit")).count()
    assert 0 < different < N * 0.15
    assert Dossier.objects.filter(rating="dissatisfied").exists()
    assert Dossier.objects.filter(handling_unit__kind="commune").count() > N * 0.6


def test_if_empty_adds_nothing_and_the_same_seed_gives_the_same_dossiers(seeded):
    first = digest()
    out = seed("--if-empty", *SEED_ARGS)
    assert "none added" in out
    assert Dossier.objects.count() == N
    Dossier.objects.all().delete()
    seed(*SEED_ARGS)
    assert digest() == first


def test_registers_give_each_province_its_own_transparency_and_offerings(seeded):
    """Online dossiers only where the receiving unit offers the procedure; provinces differ on CKMB."""
    from apps.catalogue.models import OnlineOffering, PublicationDecision
    from apps.statistics import reports
    from apps.statistics.periods import parse

    assert "online offerings" in seeded and "publication decisions" in seeded
    offered = dict(
        ((unit, procedure), start)
        for unit, procedure, start in OnlineOffering.objects.values_list(
            "unit_id", "procedure_id", "valid_from"
        )
    )
    online = Dossier.objects.filter(channel=2).values_list("receiving_unit_id", "procedure_id", "received_at")
    assert online
    for unit, procedure, received_at in online:
        assert offered[(unit, procedure)] <= received_at.date()
    distinct_procedures = OnlineOffering.objects.values("procedure").distinct().count()
    assert OnlineOffering.objects.count() > 10 * distinct_procedures  # services outnumber procedures

    provinces = Unit.objects.filter(parent=None, kind="province").order_by("code")
    assert PublicationDecision.objects.values("authority").distinct().count() == provinces.count()
    today = NOW_INSTANT.date()
    transparency, no_data = set(), 0
    for province in provinces[:12]:
        for key in ("2026-01", "2026-02", "2026-03"):
            result = reports.scorer(province, parse(key), today).unit_score(province).score
            transparency.add(result.group("CKMB").points)
            no_data += result.indicator("PUBLISH_ON_TIME").status == "no_data"
    assert len(transparency) > 6  # provinces (and months) differ
    assert no_data > 0  # some province had a month without decisions
