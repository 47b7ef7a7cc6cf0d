"""The published schema (docs/openapi.yaml) tells the truth the property-based test relies on.

Rules written once in apps/core/api/schema.py; tests/test_openapi_schema.py keeps the file equal to what
the code generates, so reading the file here tests the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
OPERATIONS = [
    (path, method, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in ("get", "post", "put", "patch", "delete")
]
ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_operation_documents_the_errors_it_can_answer(path, method, operation):
    statuses = set(operation["responses"])
    expected = {"400", "429", "503"}
    if operation["security"] != [{}]:  # it reads credentials
        expected |= {"401", "403"}
    parameters = operation.get("parameters", [])
    if "{" in path or any(p["in"] == "query" and p["name"] in ("page", "cursor") for p in parameters):
        expected.add("404")
    if method != "get":
        expected |= {"409", "413"}
    if "requestBody" in operation:
        expected.add("415")
    if method == "post":
        expected.add("422")
        assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)
    assert expected <= statuses, f"{method.upper()} {path} lacks {sorted(expected - statuses)}"
    assert not any(status.startswith("5") and status != "503" for status in statuses)
    for status in statuses:
        if status >= "400":  # the error format, alone or as one of the bodies
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert {"$ref": ERROR_REF} in [body, *body.get("anyOf", [])], f"{method.upper()} {path} {status}"
    for status in ("429", "503"):
        assert "Retry-After" in operation["responses"][status]["headers"]


def schema_of(name: str) -> dict:
    return SCHEMA["components"]["schemas"][name]


def allowed_values(prop: dict) -> set:
    """The values an enum property admits, following ``oneOf`` references to enum components."""
    values = set(prop.get("enum", []))
    for option in prop.get("oneOf", []):
        values |= set(schema_of(option["$ref"].rsplit("/", 1)[1])["enum"])
    return values


@pytest.mark.parametrize(
    ("component", "field", "empty"),
    [
        ("DossierOut", "timeliness", ""),
        ("DossierDetailOut", "timeliness", ""),
        ("PetitionOut", "timeliness", ""),
        ("PetitionOut", "answered_with", ""),
        ("EventOut", "from_status", None),
    ],
)
def test_read_only_enums_admit_what_the_column_holds_before_it_is_set(component, field, empty):
    values = allowed_values(schema_of(component)["properties"][field])
    assert empty in values
    assert len(values) > 2  # still an enum, not a free string


def test_a_province_has_no_parent():
    assert schema_of("Unit")["properties"]["parent"]["nullable"] is True


def path_parameter(path: str, name: str) -> dict:
    operation = next(iter(SCHEMA["paths"][path].values()))
    return next(p for p in operation["parameters"] if p["in"] == "path" and p["name"] == name)["schema"]


@pytest.mark.parametrize(
    ("path", "name", "good", "bad"),
    [
        ("/api/v1/units/{code}/", "code", ["H44", "H44.07", "P1.100"], ["", "a b", "x" * 33]),
        ("/api/v1/procedures/{code}/", "code", ["1.012756"], ["", "1/2"]),
        ("/api/v1/dossiers/{code}/", "code", ["H44.07-261123-ABCDEF", "mã 1"], ["", "a/b", "x" * 65]),
        ("/api/v1/petitions/{code}/", "code", ["PA-H44.100-260213-7F3A9C"], ["", "a/b"]),
        ("/api/v1/integrations/clients/{name}/keys/{prefix}/revoke/", "prefix", ["0123456789ab"], ["XYZ"]),
    ],
)
def test_path_keys_have_patterns(path, name, good, bad):
    pattern = re.compile(path_parameter(path, name)["pattern"])
    assert all(pattern.search(value) for value in good)
    assert not any(pattern.search(value) for value in bad)


def test_periods_have_a_pattern():
    operation = SCHEMA["paths"]["/api/v1/units/{code}/score/"]["get"]
    period = next(p for p in operation["parameters"] if p["name"] == "period")["schema"]
    pattern = re.compile(period["pattern"])
    assert all(
        pattern.search(key) for key in ("2026-W08", "2026-02", "2026-Q1", "2026", "2026-02-01..2026-02-20")
    )
    assert not any(pattern.search(key) for key in ("2026-Q5", "26", "2026-02-01", "NaN", "2026-W8"))
