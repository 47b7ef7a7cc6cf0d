"""Property-based test of the whole API against its published schema (docs/openapi.yaml).

Schemathesis generates requests for every operation of the schema, valid and invalid ones, and sends
them to the Django application in-process (WSGI, no server). Each response must not be a 5xx, must use
a status code the schema documents for that operation, and its body and content type must match the
documented shape. Each operation is tried as three callers: a province administrator, a commune clerk
(session cookie) and a machine client (API key), against a small seeded world (conftest.py): half the
generated keys and codes are swapped for seeded ones, so requests reach real rows, not only 404s.

Deterministic for CI (fixed seed, derandomized, no example database) and small by default: 8 examples
per operation and caller. A longer search (the run prints how many requests it sent)::

    SCHEMATHESIS_MAX_EXAMPLES=200 python -m pytest -q -p no:cacheprovider tests/contract
    SCHEMATHESIS_COVERAGE=1 python -m pytest -q -p no:cacheprovider tests/contract  # + boundary values

A failure prints the request (as curl) and, for a 5xx, the server's traceback.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
# Schemathesis's coverage phase adds, per operation, boundary and just-invalid values of every parameter
# and field (hundreds of requests for the larger operations): for a deliberate, longer search.
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") == "1"
SEED = 766

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,
        },
        "phases": {"coverage": {"enabled": COVERAGE}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(SCHEMA_FILE, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Filled from the seeded world before any example is drawn: the real rows a path parameter may name (by
# path prefix), and the real codes a body field or query parameter may carry (by name).
KNOWN_PATHS: dict[str, list[dict[str, object]]] = {}
KNOWN_FIELDS: dict[str, list[object]] = {}


def known_rows_for(path: str) -> list[dict[str, object]]:
    return next((rows for prefix, rows in KNOWN_PATHS.items() if path.startswith(prefix)), [])


def sometimes_known(values, replacements: st.SearchStrategy) -> st.SearchStrategy:
    """The generated values, or (as often) the same with some keys naming seeded rows."""
    return st.one_of(st.just(values), replacements.map(lambda known: {**values, **known}))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Point half the requests at a seeded row instead of a generated (almost surely unknown) key."""
    rows = known_rows_for(context.operation.path)
    if not rows or not path_parameters:
        return st.just(path_parameters)
    return sometimes_known(path_parameters, st.sampled_from(rows))


def with_known_fields(values):
    """Codes of units, procedures, dossiers or petitions in a body or query: real ones half the time."""
    names = [name for name in KNOWN_FIELDS if isinstance(values, dict) and name in values]
    if not names:
        return st.just(values)
    return sometimes_known(
        values, st.fixed_dictionaries({n: st.sampled_from(KNOWN_FIELDS[n]) for n in names})
    )


@schema.hook
def flatmap_body(context, body):
    return with_known_fields(body)


@schema.hook
def flatmap_query(context, query):
    return with_known_fields(query)


@pytest.fixture(scope="module", autouse=True)
def _known_rows(api_world):
    world = api_world  # read by the hooks above while examples are drawn
    KNOWN_PATHS.clear()
    KNOWN_PATHS.update(
        {
            "/api/v1/units/{code}": [{"code": code} for code in world.units],
            "/api/v1/dossiers/{code}": [{"code": code} for code in world.dossiers],
            "/api/v1/petitions/{code}": [{"code": code} for code in world.petitions],
            "/api/v1/procedures/{code}": [{"code": c, "valid_from": v} for c, v in world.procedures],
            "/api/v1/integrations/clients/{name}": [{"name": n, "prefix": p} for n, p in world.clients],
            "/api/v1/webhooks/subscriptions/{id}": [{"id": pk} for pk in world.subscriptions],
            "/api/v1/webhooks/deliveries/{id}": [{"id": pk} for pk in world.deliveries],
        }
    )
    units, procedures = world.units, sorted({code for code, _ in world.procedures})
    KNOWN_FIELDS.clear()
    KNOWN_FIELDS.update(
        {
            "unit": units,
            "receiving_unit": units,
            "handling_unit": units,
            "procedure": procedures,
            "dossier": world.dossiers,
            "repeat_of": world.petitions,
        }
    )


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
def test_every_operation_keeps_its_contract(case, caller, api_world, wsgi_app, request_log):
    api_world.errors.clear()
    response = case.call(app=wsgi_app, **caller)
    request_log(case.operation.label, response.status_code)
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseException as failure:
        for error in api_world.errors:
            failure.add_note("".join(traceback.format_exception(error)))
        raise
