"""Each exportable table, as CSV and as XLSX, holds exactly the rows the matching API endpoint answers
for the same unit, period and filters (the export reads through the same report functions)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from apps.dossiers.status import OPEN_STATUSES
from apps.exports import tables
from tests.exports.conftest import api_list, as_text, decimal_or_none, read_csv, signed_in

pytestmark = pytest.mark.django_db

NOVEMBER = "2026-11"
OPEN = sorted(int(s) for s in OPEN_STATUSES)


def rows_of(key: str):
    return lambda body: body[key]


def whole(body):
    return body


#: (table, export filters, user, API URL, API query, where the rows are in the answer)
CASES = [
    ("rankings", {"unit": "P1", "period": NOVEMBER}, "supervisor_p1",
     "/api/v1/units/P1/rankings/", {"period": NOVEMBER}, rows_of("rows")),
    ("rankings", {"unit": "P1", "period": NOVEMBER, "kind": "commune"}, "supervisor_p1",
     "/api/v1/units/P1/rankings/", {"period": NOVEMBER, "kind": "commune"}, rows_of("rows")),
    ("on_time", {"unit": "P1", "period": NOVEMBER}, "supervisor_p1",
     "/api/v1/units/P1/on-time/", {"period": NOVEMBER, "by": "unit", "ordering": "rate"}, whole),
    ("on_time", {"unit": "P1", "period": NOVEMBER, "dimension": "procedure", "ordering": "-in_period"},
     "supervisor_p1", "/api/v1/units/P1/on-time/",
     {"period": NOVEMBER, "by": "procedure", "ordering": "-in_period"}, whole),
    ("trend", {"unit": "P1", "trend_kind": "month", "count": "4"}, "supervisor_p1",
     "/api/v1/units/P1/trend/", {"kind": "month", "count": 4}, whole),
    ("counter_queues", {"unit": "P1.TT", "period": "2026-W47"}, "supervisor_p1",
     "/api/v1/units/P1.TT/queue-figures/", {"period": "2026-W47", "by": "counter"}, rows_of("rows")),
    ("counter_queues", {"unit": "P1", "period": "2026-W47", "queue_by": "staff"}, "supervisor_p1",
     "/api/v1/units/P1/queue-figures/", {"period": "2026-W47", "by": "staff"}, rows_of("rows")),
    ("workload", {"unit": "P1", "period": NOVEMBER}, "supervisor_p1",
     "/api/v1/units/P1/workload/", {"period": NOVEMBER}, rows_of("units")),
    ("workload", {"unit": "P1", "period": NOVEMBER, "workload_rows": "staff"}, "supervisor_p1",
     "/api/v1/units/P1/workload/", {"period": NOVEMBER}, rows_of("staff")),
    ("due_soon", {"unit": "P1"}, "supervisor_p1",
     "/api/v1/dossiers/", {"unit": "P1", "due_soon": "true", "ordering": "due_at"}, whole),
    ("trend", {"unit": "P1"}, "supervisor_p1", "/api/v1/units/P1/trend/", {}, whole),
    ("overdue", {"unit": "P1"}, "supervisor_p1",
     "/api/v1/dossiers/", {"unit": "P1", "overdue": "true", "ordering": "due_at"}, whole),
    ("dossiers", {"unit": "P1", "period": NOVEMBER, "measure": "in_period"}, "supervisor_p1",
     "/api/v1/units/P1/dossiers/", {"period": NOVEMBER, "measure": "in_period"}, whole),
    ("dossiers", {"unit": "P1", "period": NOVEMBER, "measure": "late"}, "supervisor_p1",
     "/api/v1/units/P1/dossiers/", {"period": NOVEMBER, "measure": "late"}, whole),
    ("desk_queue", {}, "clerk_c2",
     "/api/v1/dossiers/", {"unit": "P1.101", "status": OPEN, "ordering": "due_at"}, whole),
]  # fmt: skip
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def at(row: dict, key: str):
    value = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def api_rows(client_for, user, url, query, extract) -> list[dict]:
    api = client_for(user)
    if extract is whole:
        return api_list(api, url, query)
    response = api.get(url, query)
    assert response.status_code == 200, response.content
    return extract(response.json())


def columns_of(users, table, params) -> list[tables.Column]:
    with translation.override("vi"):
        return tables.build(users, table, tables.table_params(table, params)).columns


@pytest.fixture
def data(activity, served):
    return activity


@pytest.mark.parametrize(("table", "params", "who", "url", "query", "extract"), CASES, ids=IDS)
def test_csv_rows_equal_the_api_rows(data, users, client_for, table, params, who, url, query, extract):
    user = users[who]
    response = signed_in(user).get("/console/exports/", {**params, "table": table, "format": "csv"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{table}')
    header, *rows = read_csv(response)
    columns = columns_of(user, table, params)
    with translation.override("vi"):  # the headers are in the page's language, Vietnamese by default
        assert header == [str(c.label) for c in columns]
    expected = api_rows(client_for, user, url, query, extract)
    assert expected, "the fixture must give this table rows"
    assert rows == [[as_text(at(r, c.key)) for c in columns] for r in expected]


def same_cell(cell, value, kind: str) -> bool:
    """An XLSX cell against the API's JSON value: numbers as numbers, instants as local wall time."""
    if value is None or value == "":
        return cell is None  # a spreadsheet has no empty text: an empty cell
    if kind == "decimal":
        return decimal_or_none(cell) == Decimal(str(value))
    if kind == "int":
        return cell == int(value)
    if kind == "datetime":
        wall = (
            dt.datetime.fromisoformat(value).astimezone(timezone.get_current_timezone()).replace(tzinfo=None)
        )
        return abs(cell - wall) < dt.timedelta(seconds=1)
    if kind == "date":
        return cell.date() == dt.date.fromisoformat(value)
    if kind == "bool":
        return cell is value
    return cell == str(value)


@pytest.mark.parametrize(("table", "params", "who", "url", "query", "extract"), CASES, ids=IDS)
def test_xlsx_opens_and_holds_the_api_rows(data, users, client_for, table, params, who, url, query, extract):
    user = users[who]
    response = signed_in(user).get("/console/exports/", {**params, "table": table, "format": "xlsx"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *rows = list(workbook.active.iter_rows(values_only=True))
    columns = columns_of(user, table, params)
    with translation.override("vi"):
        assert list(header) == [str(c.label) for c in columns]
    expected = api_rows(client_for, user, url, query, extract)
    assert expected and len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        for cell, column in zip(got, columns, strict=True):
            value = at(want, column.key)
            assert same_cell(cell, value, column.kind), (column.key, cell, value)


def test_due_soon_holds_the_dossier_due_within_24_hours(data, users, client_for):
    user = users["supervisor_p1"]
    response = signed_in(user).get("/console/exports/", {"table": "due_soon", "unit": "P1", "format": "csv"})
    _header, *rows = read_csv(response)
    query = {"unit": "P1", "due_soon": "true", "ordering": "due_at"}
    expected = api_list(client_for(user), "/api/v1/dossiers/", query)
    assert [r["code"] for r in expected] == [data["soon"].code]
    assert [row[0] for row in rows] == [data["soon"].code]


def test_overdue_lists_only_the_overdue_dossier(data, users):
    response = signed_in(users["supervisor_p1"]).get("/console/exports/", {"table": "overdue", "unit": "P1"})
    _header, *rows = read_csv(response)
    assert [row[0] for row in rows] == [data["overdue"].code]


def test_headers_follow_the_language(data, users):
    client = signed_in(users["supervisor_p1"])
    english = read_csv(client.get("/console/exports/", {"table": "overdue", "unit": "P1", "lang": "en"}))[0]
    assert english[:2] == ["Dossier code", "Applicant"]


def test_vietnamese_text_survives_csv_and_xlsx(data, users):
    client = signed_in(users["supervisor_p1"])
    query = {"table": "dossiers", "unit": "P1", "period": NOVEMBER, "measure": "in_period"}
    rows = read_csv(client.get("/console/exports/", {**query, "format": "csv"}))
    assert any("Trần Thị Bình" in row for row in rows)
    response = client.get("/console/exports/", {**query, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert any("Trần Thị Bình" in row for row in sheet.iter_rows(values_only=True))


def test_text_that_looks_like_a_formula_is_never_run(calendar, tree, users, procedure):
    from apps.dossiers import services
    from tests.exports.conftest import S

    services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=timezone.now(),
        applicant_name='=HYPERLINK("http://x","y")',
    )  # fmt: skip
    client = signed_in(users["clerk_c1"])
    rows = read_csv(client.get("/console/exports/", {"table": "desk_queue", "format": "csv"}))
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")'
    response = client.get("/console/exports/", {"table": "desk_queue", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
