"""Bad export requests answer 4xx with a reason (a page, or the API's error format for JSON clients),
never 500; a unit outside the user's scope is "not found"; the pages link their exports with filters."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.exports.conftest import read_csv, signed_in

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"table": "nonsense", "unit": "P1"}, 400, "unknown_table"),
        ({"unit": "P1"}, 400, "unknown_table"),
        ({"table": "rankings", "unit": "P1", "format": "pdf"}, 400, "unknown_format"),
        ({"table": "rankings", "unit": "P1", "period": "2026-13"}, 400, "validation_error"),
        ({"table": "rankings", "unit": "P1", "period": "last week"}, 400, "validation_error"),
        ({"table": "rankings", "unit": "P1", "period": "2027-01"}, 400, "validation_error"),
        ({"table": "rankings", "unit": "P1", "period": "2019"}, 400, "period_not_scored"),
        ({"table": "rankings", "unit": "P1", "kind": "planet"}, 400, "validation_error"),
        ({"table": "rankings", "unit": "P1", "rank_by": "NOPE"}, 400, "validation_error"),
        ({"table": "on_time", "unit": "P1", "dimension": "colour"}, 400, "validation_error"),
        ({"table": "on_time", "unit": "P1", "ordering": "nonsense"}, 400, "validation_error"),
        ({"table": "trend", "unit": "P1", "count": "500"}, 400, "validation_error"),
        ({"table": "trend", "unit": "P1", "trend_kind": "century"}, 400, "validation_error"),
        ({"table": "counter_queues", "unit": "P1", "queue_by": "colour"}, 400, "validation_error"),
        ({"table": "workload", "unit": "P1", "workload_rows": "desks"}, 400, "validation_error"),
        ({"table": "dossiers", "unit": "P1", "measure": "nonsense"}, 400, "validation_error"),
        ({"table": "dossiers", "unit": "P1"}, 400, "validation_error"),
        ({"table": "overdue"}, 400, "validation_error"),
        ({"table": "overdue", "unit": "NOPE"}, 404, "not_found"),
        ({"table": "overdue", "unit": "P2"}, 404, "not_found"),  # exists, outside P1
    ],
)
def test_bad_requests_answer_4xx_with_a_code(activity, users, query, status, code):
    client = signed_in(users["supervisor_p1"])
    response = client.get("/console/exports/", query, **JSON)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"]
    page = client.get("/console/exports/", {**query, "lang": "en"})  # a browser gets the console's page
    assert page.status_code == status and "<h1>" in page.content.decode()


def test_a_clerk_exports_only_within_their_unit(activity, users):
    client = signed_in(users["clerk_c1"])
    assert client.get("/console/exports/", {"table": "overdue", "unit": "P1"}).status_code == 404
    assert client.get("/console/exports/", {"table": "desk_queue", "unit": "P1.101"}).status_code == 404
    rows = read_csv(client.get("/console/exports/", {"table": "desk_queue"}))
    assert rows[1:] == []  # c1's dossiers are all finished: its queue is empty, c2's never shows


def test_a_visitor_is_sent_to_sign_in(activity):
    response = Client().get("/console/exports/", {"table": "overdue", "unit": "P1"})
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_unknown_jobs_are_not_found(users):
    client = signed_in(users["supervisor_p1"])
    assert client.get(f"/console/exports/jobs/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"/console/exports/jobs/{uuid.uuid4()}/file/", **JSON).json()["code"] == "not_found"
    assert client.get("/console/exports/jobs/not-a-uuid/").status_code == 404


def test_a_past_period_ends_the_trend_there_as_the_overview_does(activity, users):
    client = signed_in(users["supervisor_p1"])
    rows = read_csv(client.get("/console/exports/", {"table": "trend", "unit": "P1", "period": "2026-10"}))
    assert rows[-1][0] == "2026-10" and all(len(r[0]) == 7 for r in rows[1:])  # months, up to October
    weeks = read_csv(client.get("/console/exports/", {"table": "trend", "unit": "P1", "period": "2026-W45"}))
    assert weeks[-1][0] == "2026-W45"


def export_links(html: str) -> dict[str, dict[str, list[str]]]:
    """The export links of a page: format -> its query."""
    import re

    links = re.findall(r'href="(/console/exports/\?[^"]+)"', html)
    return {
        parse_qs(urlsplit(link.replace("&amp;", "&")).query)["format"][0]: parse_qs(
            urlsplit(link.replace("&amp;", "&")).query
        )
        for link in links
    }


def test_the_drill_down_links_its_export_with_its_filters(activity, users):
    client = signed_in(users["supervisor_p1"])
    html = client.get("/console/units/P1/dossiers/", {"measure": "late", "period": "2026-11", "page": "1"})
    links = export_links(html.content.decode())
    assert set(links) == {"csv", "xlsx"}
    query = links["csv"]
    assert query["table"] == ["dossiers"] and query["unit"] == ["P1"] and query["measure"] == ["late"]
    assert query["period"] == ["2026-11"] and "page" not in query
    response = client.get("/console/exports/", {k: v[0] for k, v in query.items()})
    assert response.status_code == 200 and len(read_csv(response)) == 1 + 2  # finished late + overdue


def test_the_desk_links_its_queue_export(activity, users):
    html = signed_in(users["clerk_c2"]).get("/console/desk/", {"q": "abc"}).content.decode()
    links = export_links(html)
    assert links["xlsx"]["table"] == ["desk_queue"] and "q" not in links["xlsx"]


def test_every_export_link_of_the_overview_downloads(activity, served, users, client_for):
    """The overview's panels each link an export with the page's filters; every link answers a file."""
    client = signed_in(users["supervisor_p1"])
    page = client.get("/console/units/P1/", {"period": "2026-11", "dimension": "procedure"})
    assert page.status_code == 200
    import re

    html = page.content.decode()
    # Some panels load after the page (htmx): their fragments hold their links.
    for panel_url in re.findall(r'hx-get="([^"]+/panels/[^"]+)"', html):
        fragment = client.get(panel_url.replace("&amp;", "&"), HTTP_HX_REQUEST="true")
        assert fragment.status_code == 200
        html += fragment.content.decode()
    links = {link.replace("&amp;", "&") for link in re.findall(r'href="(/console/exports/\?[^"]+)"', html)}
    tables = {parse_qs(urlsplit(link).query)["table"][0] for link in links}
    assert {"rankings", "on_time", "trend", "overdue", "due_soon", "counter_queues", "workload"} <= tables
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["unit"] == ["P1"] and query.get("period", ["2026-11"]) == ["2026-11"]
        response = client.get(link)
        assert response.status_code == 200, (link, response.content[:300])
        if query["table"] == ["on_time"] and query["format"] == ["csv"]:
            # By procedure, as the page shows: the keys are the API's procedure codes.
            api = client_for(users["supervisor_p1"])
            expected = api.get(
                "/api/v1/units/P1/on-time/", {"period": "2026-11", "by": "procedure", "ordering": "rate"}
            )
            keys = [row["key"] for row in expected.json()]
            assert keys and [row[0] for row in read_csv(response)[1:]] == keys
