"""Hostile input answers 4xx in the one error format, with a machine-readable code and the field at fault.

Each row is a request that once answered 500 (issue 7 §1). The checks live in one place per class:
the JSON parser (depth, NUL), the NUL middleware (path, query, headers), the date rule
(apps/core/api/dates.py), the checked cursor pagination, period parsing and the methodology lookup.
On PostgreSQL the same table also proves the database never sees the value.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from apps.core.api.dates import day_problem, instant_problem
from apps.core.api.parsers import depth_of, loads, nul_path
from apps.integrations.services.clients import create_client, issue_key

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
DEEPER = '{"a":' * 100_000 + "1" + "}" * 100_000


def cursor(text: str) -> str:
    return quote(base64.b64encode(text.encode()).decode())


@pytest.fixture
def callers(calendar, tree, procedure, users, client_for):
    client = create_client(name="hostile", unit=tree["p1"], scopes=["write_dossiers", "read_dossiers"],
                           rate_limit_per_minute=0)  # fmt: skip
    _key, plaintext = issue_key(client)
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    return {
        "clerk": client_for(users["clerk_c1"]),
        "admin": client_for(users["admin_p1"]),
        "machine": machine,
    }


def dossier_body(procedure, **extra) -> str:
    return json.dumps({"procedure": procedure.code, "receiving_unit": "P1.100", **extra})


def ingest_body(procedure, **extra) -> str:
    item = {
        "external_id": "H-1",
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-11-20T09:00:00+07:00",
        **extra,
    }
    return json.dumps({"mode": "all_or_nothing", "items": [item]})


# (who, method, path, body or a function of the procedure, status, code, field)
CASES = [
    # NUL in a path segment, a query parameter, a JSON string, an ingest item, a header
    ("clerk", "get", "/api/v1/dossiers/%00/", None, 400, "nul_character", "code"),
    ("admin", "get", "/api/v1/units/P1%00/score/", None, 400, "nul_character", "code"),
    ("clerk", "get", "/api/v1/dossiers/?code=%00", None, 400, "nul_character", "code"),
    ("clerk", "get", "/api/v1/dossiers/?external_id=A%00B", None, 400, "nul_character", "external_id"),
    ("clerk", "get", "/api/v1/petitions/?dossier=%00", None, 400, "nul_character", "dossier"),
    ("admin", "get", "/api/v1/units/P1/score/?period=2026%00", None, 400, "nul_character", "period"),
    (
        "clerk",
        "post",
        "/api/v1/dossiers/",
        lambda p: dossier_body(p, applicant_name="A\u0000B"),
        400,
        "nul_character",
        "applicant_name",
    ),
    (
        "clerk",
        "post",
        "/api/v1/dossiers/",
        lambda p: dossier_body(p, code="X\u0000"),
        400,
        "nul_character",
        "code",
    ),
    (
        "clerk",
        "post",
        "/api/v1/dossiers/",
        lambda p: dossier_body(p, external_id="\u0000"),
        400,
        "nul_character",
        "external_id",
    ),
    (
        "machine",
        "post",
        "/api/v1/ingest/",
        lambda p: ingest_body(p, external_id="E\u0000"),
        400,
        "nul_character",
        "items.0.external_id",
    ),
    (
        "machine",
        "post",
        "/api/v1/ingest/",
        lambda p: ingest_body(p, note="\u0000"),
        400,
        "nul_character",
        "items.0.note",
    ),
    # offsets beyond ±15:59 and years the system cannot hold
    (
        "clerk",
        "get",
        "/api/v1/dossiers/?due_to=2026-01-01T00:00:00%2B16:00",
        None,
        400,
        "date_out_of_range",
        "due_to",
    ),
    (
        "clerk",
        "get",
        "/api/v1/dossiers/?due_from=0001-01-01T00:00:00%2B07:00",
        None,
        400,
        "date_out_of_range",
        "due_from",
    ),
    (
        "clerk",
        "get",
        "/api/v1/dossiers/?received_to=9999-12-31",
        None,
        400,
        "date_out_of_range",
        "received_to",
    ),
    (
        "clerk",
        "get",
        "/api/v1/petitions/?received_from=0001-01-01",
        None,
        400,
        "date_out_of_range",
        "received_from",
    ),
    (
        "clerk",
        "post",
        "/api/v1/dossiers/",
        lambda p: dossier_body(p, received_at="2026-01-01T00:00:00+16:00"),
        400,
        "date_out_of_range",
        "received_at",
    ),
    (
        "clerk",
        "post",
        "/api/v1/dossiers/",
        lambda p: dossier_body(p, received_at="0001-01-01T00:00:00+07:00"),
        400,
        "date_out_of_range",
        "received_at",
    ),
    (
        "machine",
        "post",
        "/api/v1/ingest/",
        lambda p: ingest_body(p, received_at="0001-01-01T00:00:00+07:00"),
        422,
        "date_out_of_range",
        "items.0.received_at",
    ),
    (
        "machine",
        "post",
        "/api/v1/ingest/",
        lambda p: ingest_body(p, received_at="2026-01-01T00:00:00-16:30"),
        422,
        "date_out_of_range",
        "items.0.received_at",
    ),
    (
        "admin",
        "get",
        "/api/v1/units/P1/score/?period=2026-01-01..9999-12-31",
        None,
        400,
        "date_out_of_range",
        "period",
    ),
    (
        "admin",
        "get",
        "/api/v1/units/P1/on-time/?period=0001-01-01..2026-01-01",
        None,
        400,
        "date_out_of_range",
        "period",
    ),
    (
        "clerk",
        "get",
        "/api/v1/calendar/days/?start=9999-12-01&end=9999-12-31",
        None,
        400,
        "date_out_of_range",
        "start",
    ),
    # tampered or undecodable cursors
    ("clerk", "get", "/api/v1/dossiers/?cursor=garbage!", None, 400, "invalid_cursor", "cursor"),
    (
        "clerk",
        "get",
        f"/api/v1/dossiers/?cursor={cursor('p=not-a-date')}",
        None,
        400,
        "invalid_cursor",
        "cursor",
    ),
    (
        "clerk",
        "get",
        f"/api/v1/dossiers/?cursor={cursor('p=2026-01-01 00:00:00+16:00')}",
        None,
        400,
        "invalid_cursor",
        "cursor",
    ),
    (
        "clerk",
        "get",
        f"/api/v1/dossiers/?cursor={cursor('p=0001-01-01 00:00:00+00:00')}",
        None,
        400,
        "invalid_cursor",
        "cursor",
    ),
    ("clerk", "get", f"/api/v1/dossiers/?cursor={cursor('o=-5&r=7')}", None, 400, "invalid_cursor", "cursor"),
    ("clerk", "get", f"/api/v1/petitions/?cursor={cursor('p=%00')}", None, 400, "invalid_cursor", "cursor"),
    (
        "admin",
        "get",
        f"/api/v1/units/P1/dossiers/?measure=received&cursor={cursor('p=x')}",
        None,
        400,
        "invalid_cursor",
        "cursor",
    ),
    # periods before the rule book's first methodology (766-2022-v1 applies from 2022-06-23)
    ("admin", "get", "/api/v1/units/P1/score/?period=2021", None, 400, "period_not_scored", "period"),
    ("admin", "get", "/api/v1/units/P1/rankings/?period=2019-Q3", None, 400, "period_not_scored", "period"),
    ("admin", "get", "/api/v1/units/P1/what-if/?period=2020-03", None, 400, "period_not_scored", "period"),
    # non-finite numbers
    ("admin", "get", "/api/v1/units/P1/rankings/?bands=NaN", None, 400, "invalid", "bands"),
    ("admin", "get", "/api/v1/units/P1/rankings/?bands=90,Infinity", None, 400, "invalid", "bands"),
    ("admin", "get", "/api/v1/units/P1/rankings/?bands=-inf", None, 400, "invalid", "bands"),
    ("admin", "get", "/api/v1/units/P1/what-if/?target=ONTIME:NaN", None, 400, "invalid", "target"),
    ("admin", "get", "/api/v1/units/P1/what-if/?target=ONTIME:-Infinity", None, 400, "invalid", "target"),
    (
        "clerk",
        "post",
        "/api/v1/dossiers/",
        lambda p: dossier_body(p)[:-1] + ', "fee_amount": NaN}',
        400,
        "malformed_json",
        None,
    ),
    # absurd nesting, on every endpoint that takes a body
    ("clerk", "post", "/api/v1/dossiers/", DEEP, 400, "malformed_json", None),
    ("clerk", "post", "/api/v1/dossiers/", DEEPER, 400, "malformed_json", None),
    ("machine", "post", "/api/v1/ingest/", DEEP, 400, "malformed_json", None),
    ("clerk", "post", "/api/v1/petitions/", DEEP, 400, "malformed_json", None),
    ("admin", "post", "/api/v1/integrations/clients/", DEEP, 400, "malformed_json", None),
]


def _id(case) -> str:
    return f"{case[1]} {case[2][:60]} {case[5]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_hostile_request_answers_4xx_with_code_and_field(callers, procedure, case):
    who, method, path, body, status, code, field = case
    api = callers[who]
    if callable(body):
        body = body(procedure)
    if body is None:
        response = getattr(api, method)(path)
    else:
        response = getattr(api, method)(path, body, content_type="application/json")
    assert response.status_code == status, response.content[:500]
    payload = response.json()
    assert {"code", "message", "errors"} <= set(payload)
    if field is None:
        assert payload["code"] == code
    else:
        pairs = [(e["field"], e["code"]) for e in payload["errors"]]
        assert (field, code) in pairs, payload


def test_nul_in_a_header_is_refused_by_name(callers):
    response = callers["machine"].post(
        "/api/v1/ingest/", '{"items": []}', content_type="application/json", HTTP_IDEMPOTENCY_KEY="k\x00"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "Idempotency-Key",
        "code": "nul_character",
        "message": response.json()["message"],
    }


@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
@pytest.mark.parametrize("field", ["unit", "na\x00me"])
def test_nul_in_a_form_body_is_refused_by_field(callers, procedure, form, field):
    """Form bodies (DRF's other parsers) are checked like JSON: PostgreSQL would refuse the NUL later."""
    fields = {"unit": "P1.100", "procedure": procedure.code, "level": "full", "valid_from": "2026-11-01"}
    fields[field] = "P1\x00"
    api = callers["admin"]
    if form == "multipart":
        response = api.post("/api/v1/online-offerings/", fields, format="multipart")
    else:
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items())
        response = api.post(
            "/api/v1/online-offerings/", body, content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400, response.content[:300]
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field.replace("\x00", "\\u0000"), "nul_character")


def test_a_partial_ingest_rejects_only_the_out_of_range_item(callers, procedure):
    items = [
        json.loads(ingest_body(procedure))["items"][0],
        {
            **json.loads(ingest_body(procedure))["items"][0],
            "external_id": "H-2",
            "received_at": "0001-01-01T00:00:00+07:00",
        },
    ]
    response = callers["machine"].post("/api/v1/ingest/", {"items": items}, format="json")
    assert response.status_code == 200, response.content
    assert [i["outcome"] for i in response.json()["items"]] == ["created", "rejected"]
    assert response.json()["items"][1]["errors"][0]["code"] == "date_out_of_range"


def test_trend_stops_at_the_first_scored_period(callers):
    response = callers["admin"].get("/api/v1/units/P1/trend/?kind=year&count=53")
    assert response.status_code == 200, response.content
    keys = [p["period"]["key"] for p in response.json()]
    assert keys == ["2022", "2023", "2024", "2025", "2026"]  # 2022 ends after 2022-06-23; 2021 does not


def test_the_first_scored_period_still_answers(callers):
    response = callers["admin"].get("/api/v1/units/P1/score/?period=2023")
    assert response.status_code == 200, response.content
    assert response.json()["previous"]["period"]["key"] == "2022"


def test_a_cursor_the_api_issued_still_pages(callers, procedure):
    for _ in range(3):
        assert (
            callers["clerk"]
            .post("/api/v1/dossiers/", dossier_body(procedure), content_type="application/json")
            .status_code
            == 201
        )
    first = callers["clerk"].get("/api/v1/dossiers/?page_size=2").json()
    second = callers["clerk"].get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    codes = {d["code"] for d in first["results"]} | {d["code"] for d in second["results"]}
    assert len(codes) == 3


# ---- the rules themselves, directly ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-01-01T00:00:00+15:59", True),
        ("2026-01-01T00:00:00-15:59", True),
        ("2026-01-01T00:00:00+16:00", False),
        ("2026-01-01T00:00:00-23:59", False),
        ("1900-01-01T00:00:00+00:00", True),
        ("1900-01-01T05:00:00+07:00", False),  # 1899 in UTC
        ("2999-12-31T23:59:59+00:00", True),
        ("2999-12-31T20:00:00-05:00", False),  # 3000 in UTC
        ("0001-01-01T00:00:00+07:00", False),
        ("9999-12-31T23:59:59+00:00", False),
    ],
)
def test_instant_rule(text, ok):
    import datetime as dt

    assert (instant_problem(dt.datetime.fromisoformat(text)) is None) is ok


def test_day_rule():
    import datetime as dt

    assert day_problem(dt.date(2026, 1, 1)) is None
    assert day_problem(dt.date(9999, 12, 31)) and day_problem(dt.date(1, 1, 1))


def test_parser_helpers():
    assert nul_path({"items": [{"a": "x"}, {"b": ["ok", "n\x00"]}]}) == "items.1.b.1"
    assert nul_path("\x00") == ""
    assert nul_path({"k\x00": 1}) == "k\\u0000"
    assert nul_path({"a": "\\u0000 is fine as text"}) is None
    assert depth_of([[[]]]) == 3 and depth_of(5) == 0 and depth_of({"a": [{"b": 1}]}) == 3
    assert loads('{"a": "back\\\\u0000slash"}') == {"a": "back\\u0000slash"}  # an escaped backslash


@pytest.mark.postgres
def test_cursor_pages_through_registered_dossiers_without_received_time(callers, procedure):
    """Registered (status 1) dossiers have no receipt time: DRF writes their cursor position as "None".

    That used to reach the filter as the text "None" (a 500). PostgreSQL sorts NULLs first in a
    descending order, so the run of "None" positions starts the list. (SQLite sorts them last, where
    DRF's cursor loses them: a development-only limitation.)
    """
    for status in (1, 1, 1, 2, 2):
        body = dossier_body(procedure, status=status, channel=3)
        response = callers["clerk"].post("/api/v1/dossiers/", body, content_type="application/json")
        assert response.status_code == 201, response.content
    seen, url = [], "/api/v1/dossiers/?page_size=2"
    while url:
        response = callers["clerk"].get(url)
        assert response.status_code == 200, response.content
        seen += [d["code"] for d in response.json()["results"]]
        url = response.json()["next"]
    assert len(seen) == 5 == len(set(seen))
