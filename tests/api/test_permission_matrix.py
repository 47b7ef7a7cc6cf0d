"""Who may do what where: every role × target × action, read from one table.

Everyone sits at commune P1.100 of province P1: a clerk, an officer, a supervisor, an administrator, and
three machine clients holding one scope each. Targets are the caller's own commune, a sibling commune of
the same province (P1.101), another province's commune (P2.100) and, for routing, a ministry (M1).

Each cell is one request (or one fan-out) whose observed outcome must equal the table. The table is the
specification; a "leak" is a cell where something out of scope became visible or possible. Run with
``-rA`` or see docs/reliability.md for the cell count.
"""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Role
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.integrations.models import WebhookDelivery, WebhookSubscription
from apps.integrations.services import webhooks
from apps.integrations.services.clients import create_client, issue_key
from apps.organisation.models import UnitKind
from tests.factories import UnitFactory, UserFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db

ROLES = ["clerk", "officer", "supervisor", "admin", "c:write", "c:read", "c:scores"]
SCOPES = {"c:write": "write_dossiers", "c:read": "read_dossiers", "c:scores": "read_scores"}
UNITS = {"own": "P1.100", "sibling": "P1.101", "dept": "P1.01", "other": "P2.100", "ministry": "M1"}

# Outcomes: an HTTP status; `yes`/`no` (listed, delivered); `created`/`refused` (an ingest item);
# `dup` (creating with a taken identifier is a duplicate of a dossier the caller can read) or `same` (the
# answer is the same whether or not the identifier is taken: nothing about its existence leaks).
TABLE = """
action        target    clerk officer supervisor admin c:write c:read c:scores
read          own       200   200     200        200   403     200    403
read          sibling   404   404     404        404   403     404    403
read          other     404   404     404        404   403     404    403
list          own       yes   yes     yes        yes   403     yes    403
list          sibling   no    no      no         no    403     no     403
list          other     no    no      no         no    403     no     403
act           own       200   200     403        200   200     403    403
act           sibling   404   404     404        404   404     403    403
act           other     404   404     404        404   404     403    403
create        own       201   403     403        201   201     403    403
create        sibling   201   403     403        201   201     403    403
create        dept      201   403     403        201   201     403    403
create        other     403   403     403        403   403     403    403
create        ministry  403   403     403        403   403     403    403
assign        own       200   200     403        200   200     403    403
assign        sibling   200   200     403        200   200     403    403
assign        dept      200   200     403        200   200     403    403
assign        other     403   403     403        403   403     403    403
assign        ministry  403   403     403        403   403     403    403
handover      sibling   403   200     403        200   200     403    403
ingest        own       403   403     403        403   created 403    403
ingest        sibling   403   403     403        403   created 403    403
ingest        other     403   403     403        403   refused 403    403
ingest        ministry  403   403     403        403   refused 403    403
drilldown     own       200   200     200        200   403     200    403
drilldown     sibling   404   404     404        404   403     404    403
drilldown     other     404   404     404        404   403     404    403
score         own       200   200     200        200   403     403    200
score         sibling   404   404     404        404   403     403    404
score         other     404   404     404        404   403     403    404
subscribe     -         403   403     403        403   403     201    403
receive       own       -     -       -          -     no      yes    no
receive       sibling   -     -       -          -     no      no     no
receive       other     -     -       -          -     no      no     no
code          own       dup   same    same       dup   dup     same   same
code          sibling   same  same    same       same  same    same   same
code          other     same  same    same       same  same    same   same
external_id   own       dup   same    same       dup   same    same   same
external_id   sibling   same  same    same       same  same    same   same
external_id   other     same  same    same       same  same    same   same
"""


def _cells() -> list[tuple[str, str, str, str]]:
    lines = [line.split() for line in TABLE.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == ROLES
    return [
        (action, target, role, expected)
        for action, target, *outcomes in rows
        for role, expected in zip(ROLES, outcomes, strict=True)
        if expected != "-"
    ]


CELLS = _cells()


@pytest.fixture
def world(calendar, tree, procedure, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["example.test"]
    UnitFactory(code="M1", kind=UnitKind.MINISTRY)
    apis: dict[str, APIClient] = {}
    for role, user_role in (("clerk", Role.CLERK), ("officer", Role.OFFICER),
                            ("supervisor", Role.SUPERVISOR), ("admin", Role.ADMINISTRATOR)):  # fmt: skip
        api = APIClient()
        api.force_authenticate(UserFactory(username=f"m_{role}", unit=tree["c1"], role=user_role))
        apis[role] = api
    clients = {}
    for role, scope in SCOPES.items():
        client = create_client(name=f"m-{scope}".replace("_", "-"), unit=tree["c1"], scopes=[scope])
        _key, plaintext = issue_key(client)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
        apis[role], clients[role] = api, client
    setup = Actor.of_system("setup")
    by_unit = {unit: tree[key] for key, unit in (("c1", "P1.100"), ("c2", "P1.101"), ("c3", "P2.100"))}
    dossiers = {
        target: services.receive_dossier(
            procedure=procedure, receiving_unit=by_unit[UNITS[target]], actor=setup,
            received_at=vn(2026, 11, 23, 9), source_system=f"src-{target}", external_id=f"E-{target}",
        )
        for target in ("own", "sibling", "other")
    }  # fmt: skip
    return {"apis": apis, "clients": clients, "dossiers": dossiers, "procedure": procedure, "tree": tree}


def _create(world, role, **extra):
    body = {"procedure": world["procedure"].code, "receiving_unit": "P1.100", **extra}
    # A machine client's create carries a retry identity (docs/ingest.md): here a fresh Idempotency-Key.
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())} if role in world["clients"] else {}
    return world["apis"][role].post("/api/v1/dossiers/", body, format="json", **headers)


def _shape(response) -> tuple:
    body = response.json()
    return response.status_code, body.get("code"), [e.get("field") for e in body.get("errors", [])]


def _identifier(world, role, target, field) -> str:
    """Create with another dossier's identifier and with one nobody holds: compare what comes back."""
    taken = world["dossiers"][target]
    if field == "code":
        clash, fresh = {"code": taken.code}, {"code": taken.code[:-2] + "ZZ"}
    else:
        clash = {"source_system": taken.source_system, "external_id": taken.external_id}
        fresh = {"source_system": taken.source_system, "external_id": "E-nobody"}
    first = _create(world, role, **clash)
    if first.status_code == 400 and first.json()["code"] == "duplicate_dossier":
        return "dup"
    second = _create(world, role, **fresh)
    if first.status_code < 300:
        return "created-on-clash"  # impossible: the identifier is taken
    return "same" if _shape(first) == _shape(second) else f"differs {_shape(first)} vs {_shape(second)}"


def observe(world, action: str, target: str, role: str) -> str:
    api = world["apis"][role]
    dossier = world["dossiers"].get(target)
    if action == "read":
        return str(api.get(f"/api/v1/dossiers/{dossier.code}/").status_code)
    if action == "list":
        response = api.get("/api/v1/dossiers/")
        if response.status_code != 200:
            return str(response.status_code)
        return "yes" if dossier.code in [d["code"] for d in response.json()["results"]] else "no"
    if action == "act":
        return str(
            api.post(f"/api/v1/dossiers/{dossier.code}/start-processing/", {}, format="json").status_code
        )
    if action == "create":
        return str(_create(world, role, handling_unit=UNITS[target]).status_code)
    if action == "assign":
        own = world["dossiers"]["own"].code
        url = f"/api/v1/dossiers/{own}/assign/"
        return str(api.post(url, {"handling_unit": UNITS[target]}, format="json").status_code)
    if action == "handover":  # received at the department, handled at the caller's commune: hand it on
        handled = services.receive_dossier(
            procedure=world["procedure"], receiving_unit=world["tree"]["dept"], handling_unit=world["tree"]["c1"],
            actor=Actor.of_system("setup"), received_at=vn(2026, 11, 23, 9),
        )  # fmt: skip
        url = f"/api/v1/dossiers/{handled.code}/assign/"
        return str(api.post(url, {"handling_unit": UNITS[target]}, format="json").status_code)
    if action == "ingest":
        item = {"external_id": f"I-{target}", "procedure": world["procedure"].code, "receiving_unit": "P1.100",
                "handling_unit": UNITS[target], "received_at": "2026-11-23T09:00:00+07:00"}  # fmt: skip
        response = api.post("/api/v1/ingest/", {"items": [item]}, format="json")
        if response.status_code != 200:
            return str(response.status_code)
        outcome = response.json()["items"][0]
        return "created" if outcome["outcome"] == "created" else "refused"
    if action == "drilldown":
        url = f"/api/v1/units/{UNITS[target]}/dossiers/?measure=received&period=2026-11"
        response = api.get(url)
        if response.status_code == 200:
            assert response.json()["results"], "the drill-down should list the dossier"
        return str(response.status_code)
    if action == "score":
        return str(api.get(f"/api/v1/units/{UNITS[target]}/score/?period=2026-11").status_code)
    if action == "subscribe":
        body = {"url": "https://example.test/hook", "events": ["dossier.created"]}
        return str(api.post("/api/v1/webhooks/subscriptions/", body, format="json").status_code)
    if action == "receive":
        # as if subscribed before the scope was narrowed: receiving is checked on its own
        subscription = WebhookSubscription.objects.create(
            client=world["clients"][role], url="https://example.test/hook", secret="s",
            events=["dossier.created", "dossier.status_changed"],
        )  # fmt: skip
        webhooks.fan_out_events()
        codes = {
            d.payload["dossier"]["code"] for d in WebhookDelivery.objects.filter(subscription=subscription)
        }
        return "yes" if dossier.code in codes else "no"
    if action in ("code", "external_id"):
        return _identifier(world, role, target, action)
    raise AssertionError(action)


@pytest.mark.parametrize(
    ("action", "target", "role", "expected"), CELLS, ids=["-".join(c[:3]) for c in CELLS]
)
def test_permission_matrix(world, action, target, role, expected):
    assert observe(world, action, target, role) == expected


def test_the_matrix_covers_every_role_and_action():
    assert {c[2] for c in CELLS} == set(ROLES)
    assert {c[0] for c in CELLS} >= {
        "read",
        "list",
        "act",
        "create",
        "assign",
        "drilldown",
        "subscribe",
        "receive",
    }
    assert len(CELLS) == 7 * 37 + 3 * 3  # 37 rows for every role, 3 receive rows for the clients


def test_an_officer_who_hands_a_dossier_on_sees_the_change_then_loses_it(world):
    """The officer's unit handled it; after assigning it away the answer is the written dossier, not 500."""
    officer = world["apis"]["officer"]
    dossier = services.receive_dossier(
        procedure=world["procedure"], receiving_unit=world["tree"]["dept"], handling_unit=world["tree"]["c1"],
        actor=Actor.of_system("setup"), received_at=vn(2026, 11, 23, 9),
    )  # fmt: skip
    response = officer.post(
        f"/api/v1/dossiers/{dossier.code}/assign/", {"handling_unit": "P1.101"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["handling_unit"] == "P1.101"
    assert response.json()["events"][-1]["kind"] == "handling_unit_assigned"
    assert Dossier.objects.get(pk=dossier.pk).handling_unit.code == "P1.101"
    assert officer.get(f"/api/v1/dossiers/{dossier.code}/").status_code == 404


def test_route_refusals_name_the_handling_unit(world):
    response = _create(world, "clerk", handling_unit="P2.100")
    assert response.json()["code"] == "unit_out_of_scope"
    assert response.json()["errors"][0]["field"] == "handling_unit"
    assert not Dossier.objects.filter(handling_unit__code="P2.100", receiving_unit__code="P1.100").exists()
