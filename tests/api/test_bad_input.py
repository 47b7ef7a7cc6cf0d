"""Every bad input answers 4xx in the one error format with a stable code and the field at fault."""

import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(calendar, tree, procedure, users, client_for):
    return client_for(users["clerk_c1"])


def post(client, body, path="/api/v1/dossiers/"):
    return client.post(path, body, content_type="application/json")


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["message"]
    if field is None:
        assert body["code"] == code
    else:
        assert body["code"] in (code, "validation_error")
        assert {"field": field, "code": code} in [
            {"field": e["field"], "code": e["code"]} for e in body["errors"]
        ]


def test_malformed_json(clerk):
    assert_error(post(clerk, '{"procedure": '), 400, "malformed_json")


def test_json_that_is_not_an_object(clerk):
    assert_error(post(clerk, "[1, 2]"), 400, "invalid", field=None) if False else None
    response = post(clerk, "[1, 2]")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"receiving_unit": "P1.100"}, "procedure", "required"),
        ({"procedure": "9.999999", "receiving_unit": "P1.100"}, "procedure", "unknown_procedure"),
        ({"procedure": 12, "receiving_unit": "P1.100"}, "procedure", "invalid"),
        ({"receiving_unit": "X99"}, "receiving_unit", "unknown_unit"),
        ({"handling_unit": "X99"}, "handling_unit", "unknown_unit"),
        ({"channel": "fax"}, "channel", "invalid_choice"),
        ({"received_at": "yesterday"}, "received_at", "invalid"),
        ({"fee_amount": -5}, "fee_amount", "min_value"),
        ({"fee_amount": "lots"}, "fee_amount", "invalid"),
        ({"received_at": "2099-01-01T09:00:00+07:00"}, "received_at", "received_in_future"),
        ({"code": "P1.100-a/b"}, "code", "invalid"),  # would be unreachable at /dossiers/{code}/
        ({"code": "P1.100-a b"}, "code", "invalid"),
        ({"code": "P1.100-" + "9" * 60}, "code", "max_length"),
    ],
)
def test_field_errors(clerk, procedure, body, field, code):
    payload = {"procedure": procedure.code, "receiving_unit": "P1.100", **body}
    if "procedure" in body and body.get("procedure") is None:
        payload.pop("procedure")
    if body == {"receiving_unit": "P1.100"}:
        payload.pop("procedure")
    assert_error(post(clerk, json.dumps(payload)), 400, code, field=field)


def test_illegal_transition_is_a_conflict(clerk, procedure):
    code = post(clerk, json.dumps({"procedure": procedure.code, "receiving_unit": "P1.100"})).json()["code"]
    response = post(clerk, "{}", f"/api/v1/dossiers/{code}/return-result/")
    assert_error(response, 409, "illegal_transition")
    assert response.json()["errors"][0]["field"] == "status"


def test_action_with_bad_time(clerk, procedure):
    code = post(clerk, json.dumps({"procedure": procedure.code, "receiving_unit": "P1.100"})).json()["code"]
    assert_error(post(clerk, '{"at": 5}', f"/api/v1/dossiers/{code}/finish/"), 400, "invalid", field="at")
    assert_error(
        post(clerk, '{"at": "2020-01-01T00:00:00+07:00"}', f"/api/v1/dossiers/{code}/finish/"),
        400,
        "event_before_previous",
        field="at",
    )


def test_unknown_flag_and_rating(clerk, procedure):
    code = post(clerk, json.dumps({"procedure": procedure.code, "receiving_unit": "P1.100"})).json()["code"]
    assert_error(
        post(clerk, '{"flag": "is_nice"}', f"/api/v1/dossiers/{code}/flags/"), 400, "invalid_choice", "flag"
    )
    assert_error(
        post(clerk, '{"rating": 5}', f"/api/v1/dossiers/{code}/rate/"), 400, "invalid_choice", "rating"
    )


@override_settings(API_MAX_BODY_BYTES=1000)
def test_payload_over_the_limit(clerk):
    response = post(clerk, json.dumps({"applicant_name": "x" * 2000}))
    assert_error(response, 413, "payload_too_large")


def test_unknown_dossier_and_unknown_url(clerk):
    assert_error(clerk.get("/api/v1/dossiers/NOPE/"), 404, "not_found")
    assert_error(clerk.get("/api/v1/nothing-here/"), 404, "not_found")


def test_wrong_method(clerk):
    assert_error(clerk.delete("/api/v1/dossiers/"), 405, "method_not_allowed")


def test_unsupported_media_type(clerk):
    response = clerk.post("/api/v1/dossiers/", "<xml/>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "query",
    ["status=99", "channel=x", "received_from=notadate", "due_to=notatime", "overdue=maybe", "unit=X99"],
)
def test_bad_list_filters(clerk, query):
    response = clerk.get(f"/api/v1/dossiers/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == query.split("=")[0]


def test_bad_cursor(clerk):
    assert_error(clerk.get("/api/v1/dossiers/?cursor=garbage"), 400, "invalid_cursor", field="cursor")
