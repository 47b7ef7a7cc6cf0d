"""The API's drill-down (/units/{code}/dossiers/) cuts each page inside the ids' query, as the console does.

Its cursor pages pass their size, position and direction to ``reports.dossiers_behind`` (the paginator's
``window``), so a deep page reads about a page of rows. Walked forwards and backwards, the pages must be
exactly the whole list, in order, for every measure and page size.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.statistics import reports
from apps.statistics.measures import DRILL_DOWN_MEASURES
from tests.statistics.test_drilldown_pages import MARCH, march  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("march")]


@pytest.fixture
def supervisor(users, client_for):
    return client_for(users["supervisor_p1"])


def _url(measure: str, size: int) -> str:
    return f"/api/v1/units/P1/dossiers/?period={MARCH.key}&measure={measure}&page_size={size}"


def _codes(page: dict) -> list[str]:
    return [d["code"] for d in page["results"]]


@pytest.mark.parametrize("size", [1, 3])
def test_cursor_pages_forwards_and_backwards_are_the_whole_list(tree, supervisor, size):
    listed = 0
    for measure in DRILL_DOWN_MEASURES:
        whole = [d.code for d in reports.dossiers_behind(tree["p1"], MARCH, measure)]
        pages, url = [], _url(measure, size)
        while url:
            body = supervisor.get(url).json()
            pages.append(body)
            url = body["next"]
        assert [c for page in pages for c in _codes(page)] == whole, (measure, size)
        assert all(len(_codes(page)) <= size for page in pages)
        # Back from the last page through the previous links: the same pages, in reverse.
        back, url = [_codes(pages[-1])], pages[-1]["previous"]
        while url:
            body = supervisor.get(url).json()
            back.append(_codes(body))
            url = body["previous"]
        assert [c for codes in reversed(back) for c in codes] == whole, (measure, size)
        listed += len(whole)
    assert listed > 40  # the measures list something, so the comparisons compare


def test_the_page_size_and_cursor_reach_the_ids_query(tree, supervisor, monkeypatch):
    calls = []
    real = reports.dossiers_behind

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "dossiers_behind", spy)
    with CaptureQueriesContext(connection) as first_sql:
        first = supervisor.get(_url("in_period", 2)).json()
    assert calls[-1] == {"limit": 3, "position": None, "backwards": False}
    ids_query = next(q["sql"] for q in first_sql.captured_queries if "UNION ALL" in q["sql"])
    # Each arm sorted and cut before the union, and the union cut to the page.
    assert ids_query.count("ORDER BY d.received_at DESC, d.id DESC LIMIT 3") == 3
    assert "LIMIT 3 OFFSET 0" in ids_query

    second = supervisor.get(first["next"]).json()
    window = calls[-1]
    assert window["limit"] == 3 and window["backwards"] is False
    last_of_first = reports.dossiers_behind(tree["p1"], MARCH, "in_period").get(code=_codes(first)[-1])
    assert window["position"] == (last_of_first.received_at, last_of_first.pk)

    supervisor.get(second["previous"])
    assert calls[-1]["backwards"] is True and calls[-1]["limit"] == 3
    cursor = parse_qs(urlsplit(second["previous"]).query)["cursor"][0]
    assert cursor  # the previous link is a cursor, not a page number


def test_an_empty_position_reads_the_list_whole(tree, supervisor, monkeypatch):
    """A cursor whose position is an empty receipt time (no row of these lists has one) is not cut."""
    calls = []
    real = reports.dossiers_behind
    monkeypatch.setattr(reports, "dossiers_behind", lambda *a, **k: calls.append(k) or real(*a, **k))
    from base64 import b64encode

    cursor = b64encode(b"p=n%7C999999").decode()
    body = supervisor.get(_url("in_period", 50) + f"&cursor={cursor}").json()
    assert calls[-1] == {}
    assert _codes(body) == [d.code for d in reports.dossiers_behind(tree["p1"], MARCH, "in_period")]
