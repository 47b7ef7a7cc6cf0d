"""The what-if page over Django's test client: the API's figures, room first, field errors, scope, htmx."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from apps.core.actors import Actor
from apps.dossiers import services
from apps.statistics.targets import parse_percent_fields
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH = "2026-03"
URL = "/console/units/P1.101/what-if/"


@pytest.fixture
def activity(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """March 2026 in P1: c1 finishes everything on time, c2 one dossier late and one open overdue."""
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4):
            d = services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 3, day, 9)
            )
            services.finish(d, actor=S, at=vn(2026, 3, day + 1, 9))
        for day in (2, 3):
            d = services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, day, 9)
            )
        services.finish(d, actor=S, at=vn(2026, 3, 20, 9))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def data_value(html: str, testid: str) -> Decimal:
    """The machine-readable figure of ``<… data-testid="testid"><data value="…">``."""
    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>\s*<data value="([^"]+)"', html)
    assert found, testid
    return Decimal(found.group(1))


def row_codes(html: str, testid: str) -> list[str]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-code="([^"]+)"', table)


def test_room_for_improvement_largest_first_with_vietnamese_names(activity, users, client_for):
    page = signed_in(users["supervisor_p1"]).get(URL, {"period": MARCH})
    assert page.status_code == 200
    html = page.content.decode()
    api = client_for(users["supervisor_p1"]).get(f"/api/v1/units/P1.101/what-if/?period={MARCH}").json()
    groups = row_codes(html, "groups")
    indicators = row_codes(html, "indicators")
    # The API's room lists, in the API's order, lead the tables; those at their maximum follow.
    assert groups[: len(api["room_by_group"])] == [r["code"] for r in api["room_by_group"]]
    assert indicators[: len(api["room"])] == [r["code"] for r in api["room"]]
    assert len(groups) == 6 and len(indicators) == 21
    for row in api["room"]:
        assert data_room(html, row["code"]) == Decimal(row["missing"])
    assert "Tiến độ giải quyết" in html and "Mức độ hài lòng" in html
    assert 'for="t-TDGQ"' in html and 'id="t-TDGQ" name="target_TDGQ"' in html  # every input is labelled


def data_room(html: str, code: str) -> Decimal:
    found = re.search(rf'data-testid="room-{re.escape(code)}">([^<]+)<', html)
    assert found, code
    return Decimal(found.group(1).replace(",", "."))


def test_figures_equal_the_apis_for_the_same_targets(activity, users, client_for):
    page = signed_in(users["supervisor_p1"]).get(
        URL, {"period": MARCH, "target_TDGQ": "100", "target_DOSSIER_SYNC": "92,5"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    api = (
        client_for(users["supervisor_p1"])
        .get(f"/api/v1/units/P1.101/what-if/?period={MARCH}&target=TDGQ:1&target=DOSSIER_SYNC:0.925")
        .json()
    )
    projection = api["projection"]
    assert data_value(html, "current-total") == Decimal(api["total"])
    assert data_value(html, "projected-total") == Decimal(projection["projected_total"])
    assert data_value(html, "total-gain") == Decimal(projection["gain"])
    assert Decimal(projection["gain"]) > 0  # the late commune has room in progress
    for change in projection["changes"]:
        assert data_value(html, f"gain-{change['code']}") == Decimal(change["gain"])
    assert 'value="92,5"' in html  # the form keeps what was typed


def test_htmx_gets_only_the_form_and_its_result(activity, users):
    response = signed_in(users["supervisor_p1"]).get(
        URL, {"period": MARCH, "target_TDGQ": "100"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="what-if">') and "<html" not in html
    assert 'data-testid="projected-total"' in html


def test_the_full_page_works_without_javascript(activity, users):
    html = (
        signed_in(users["supervisor_p1"]).get(URL, {"period": MARCH, "target_TDGQ": "100"}).content.decode()
    )
    assert "<html" in html and 'method="get"' in html and 'data-testid="projected-total"' in html


@pytest.mark.parametrize(
    ("params", "field", "api_target"),
    [
        ({"target_TDGQ": "lots"}, "TDGQ", None),  # not a number
        ({"target_TDGQ": "150"}, "TDGQ", "TDGQ:1.5"),  # outside 0–100
        ({"target_PROGRESS": "-1"}, "PROGRESS", "PROGRESS:-0.01"),
        ({"target_TDGQ": "90", "target_PROGRESS": "95"}, "PROGRESS", "PROGRESS:0.95&target=TDGQ:0.9"),
        ({"target_TDGQ": "NaN"}, "TDGQ", "TDGQ:NaN"),
    ],
)
def test_a_refused_target_is_shown_at_its_field_with_400(
    activity, users, client_for, params, field, api_target
):
    response = signed_in(users["supervisor_p1"]).get(URL, {"period": MARCH, **params})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="t-{field}" name="target_{field}"' in html
    assert re.search(rf'id="t-{field}"[^>]*aria-invalid="true" aria-describedby="e-{field}"', html)
    assert f'id="e-{field}"' in html and 'data-testid="projected-total"' not in html
    if api_target:  # the API refuses the same target
        api = client_for(users["supervisor_p1"]).get(
            f"/api/v1/units/P1.101/what-if/?period={MARCH}&target={api_target}"
        )
        assert api.status_code == 400 and api.json()["errors"][0]["field"] == "target"


def test_an_unknown_indicator_is_refused_with_400(activity, users):
    response = signed_in(users["supervisor_p1"]).get(URL, {"period": MARCH, "target_NOPE": "50"})
    assert response.status_code == 400
    assert "NOPE" in response.content.decode().split('data-testid="form-errors"', 1)[1].split("</div>", 1)[0]


def test_htmx_errors_are_swapped_in_with_400(activity, users):
    response = signed_in(users["supervisor_p1"]).get(
        URL, {"period": MARCH, "target_TDGQ": "abc"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and 'id="e-TDGQ"' in response.content.decode()


def test_scope_and_bad_period(activity, users):
    assert signed_in(users["clerk_c3"]).get("/console/units/P1/what-if/").status_code == 404
    assert signed_in(users["supervisor_p1"]).get("/console/units/P2/what-if/").status_code == 404
    assert signed_in(users["supervisor_p1"]).get(URL, {"period": "2026-13"}).status_code == 400
    assert Client().get(URL)["Location"].startswith("/signin/")


def test_the_nav_links_to_the_users_units_what_if(activity, users):
    html = signed_in(users["supervisor_p1"]).get(
        f"/console/units/P1/dossiers/?measure=received&period={MARCH}"
    )
    assert 'href="/console/units/P1/what-if/"' in html.content.decode()


def test_form_percentages_read_a_decimal_comma():
    targets, problems = parse_percent_fields({"A": "92,5", "B": " ", "C": "x", "D": "100"})
    assert targets == {"A": Decimal("0.925"), "D": Decimal("1")} and set(problems) == {"C"}
