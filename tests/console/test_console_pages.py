"""The web console over Django's test client: sign-in and its limits, scope, the overview's numbers and
the dossiers behind them (the browser tests in tests/browser/ drive the same pages in Chromium)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.accounts import throttling
from apps.core.actors import Actor
from apps.dossiers import services
from apps.statistics import reports
from apps.statistics.periods import parse
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
NOVEMBER = "2026-11"
PASSWORD = "pass-123456"  # tests.factories.UserFactory's


@pytest.fixture
def activity(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """November 2026 in P1: c1 finishes three dossiers on time, c2 has one open and overdue."""
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4):
            d = services.receive_dossier(
                procedure=procedure,
                receiving_unit=tree["c1"],
                actor=S,
                received_at=vn(2026, 11, day, 9),
                applicant_name="Nguyễn Văn An",
            )
            services.finish(d, actor=S, at=vn(2026, 11, day + 1, 9))
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 11, 2, 9)
        )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_root_sends_a_visitor_to_sign_in_and_a_user_to_their_unit(users):
    assert Client().get("/")["Location"] == "/signin/"
    assert signed_in(users["supervisor_p1"]).get("/")["Location"] == "/console/units/P1/"
    # A page of the console asks a visitor to sign in first and comes back to it afterwards.
    response = Client().get("/console/units/P1/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/?next=")


def test_sign_in_with_the_right_password_and_out_again(users):
    client = Client()
    response = client.post("/signin/", {"username": "supervisor_p1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/console/units/P1/", {"period": NOVEMBER, "lang": "en"})
    assert page.status_code == 200
    assert "Supervisor" in page.content.decode() and "(P1)" in page.content.decode()
    client.post("/signout/")
    assert client.get("/console/units/P1/").status_code == 302


def test_a_wrong_password_says_so_and_signs_nobody_in(users):
    client = Client()
    response = client.post(
        "/signin/", {"username": "supervisor_p1", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Wrong user name or password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_is_throttled_like_the_api(users, settings):
    """After the allowed failures even the right password is refused (429), as on POST /auth/token/."""
    settings.AUTH_FAILURES_PER_USERNAME = 2
    client = Client()
    for _ in range(2):
        assert client.post("/signin/", {"username": "clerk_c1", "password": "nope"}).status_code == 200
    refused = client.post("/signin/", {"username": "clerk_c1", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # The same counters as the API's sign-in: lifting the lock there lets the user in here.
    throttling.unlock(username="clerk_c1")
    assert client.post("/signin/", {"username": "clerk_c1", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/console/units/P2/", "/console/units/P1/", "/console/units/P2.100/dossiers/?measure=in_period"],
)
def test_a_unit_outside_the_subtree_is_not_found(users, url):
    clerk = signed_in(users["clerk_c1"])  # sees P1.100 only
    response = clerk.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert clerk.get("/console/units/P1.100/").status_code == 200
    assert signed_in(users["supervisor_p1"]).get("/console/units/NOPE/").status_code == 404


def test_bad_period_and_measure_answer_400(users):
    supervisor = signed_in(users["supervisor_p1"])
    assert supervisor.get("/console/units/P1/", {"period": "2026-W99"}).status_code == 400
    assert supervisor.get("/console/units/P1/", {"period": "2030"}).status_code == 400
    assert supervisor.get("/console/units/P1/dossiers/", {"measure": "everything"}).status_code == 400


def _links(html: str) -> dict[str, int]:
    """Drill-down links on a page: URL -> the number shown as the link's text."""
    found = re.findall(r'<a href="(/console/units/[^"]+/dossiers/\?[^"]+)">(\d+)</a>', html)
    return {url.replace("&amp;", "&"): int(number) for url, number in found}


def test_every_number_on_the_overview_lists_as_many_dossiers(activity, users):
    supervisor = signed_in(users["supervisor_p1"])
    html = supervisor.get("/console/units/P1/", {"period": NOVEMBER}).content.decode()
    links = _links(html)
    on_time_c1 = f"/console/units/P1.100/dossiers/?measure=on_time&period={NOVEMBER}"
    late_c2 = f"/console/units/P1.101/dossiers/?measure=late&period={NOVEMBER}"
    assert links[on_time_c1] == 3 and links[late_c2] == 1
    assert len(links) >= 8
    for url, number in links.items():
        listed = supervisor.get(url).content.decode()
        assert listed.count('<th scope="row">') == number, url


def test_the_overview_shows_the_apis_figures(activity, users, tree, client_for):
    supervisor = signed_in(users["supervisor_p1"])
    html = supervisor.get("/console/units/P1.100/", {"period": NOVEMBER, "lang": "en"}).content.decode()
    api = (
        client_for(users["supervisor_p1"])
        .get(f"/api/v1/units/P1.100/score/?period={NOVEMBER}&lang=en")
        .json()
    )
    assert f'data-testid="total">{api["score"]["total"]} ' in html
    assert f'data-testid="rank">{api["rank"]} <span class="of">/ {api["siblings"]}' in html
    for group in api["score"]["groups"]:
        assert group["name"] in html
    # The dossier list uses the API's drill-down: the same codes, newest first.
    listed = supervisor.get("/console/units/P1/dossiers/", {"measure": "in_period", "period": NOVEMBER})
    codes = re.findall(r'<th scope="row">([^<]+)</th>', listed.content.decode())
    expected = reports.dossiers_behind(tree["p1"], parse(NOVEMBER), "in_period")
    assert codes == [d.code for d in expected] and len(codes) == 4


def test_language_switch_keeps_the_choice(users):
    supervisor = signed_in(users["supervisor_p1"])
    assert "Tiến độ giải quyết" in supervisor.get("/console/units/P1/").content.decode()  # Vietnamese default
    response = supervisor.post("/i18n/setlang/", {"language": "en", "next": "/console/units/P1/"})
    assert response.status_code == 302 and response["Location"] == "/console/units/P1/"
    html = supervisor.get("/console/units/P1/").content.decode()
    assert '<html lang="en">' in html and "Progress" in html and "Tiến độ giải quyết" not in html


def test_children_of_one_kind_are_ranked_among_themselves(activity, users, client_for):
    supervisor = signed_in(users["supervisor_p1"])
    html = supervisor.get("/console/units/P1/", {"period": NOVEMBER, "kind": "commune"}).content.decode()
    api = client_for(users["supervisor_p1"]).get(f"/api/v1/units/P1/rankings/?period={NOVEMBER}&kind=commune")
    ranked = [row["unit"] for row in api.json()["rows"]]
    assert ranked and "P1.01" not in ranked
    ranking = html[html.index('data-testid="ranking"') : html.index('data-testid="on-time"')]
    assert re.findall(r'<span class="code">(P1\.\d+)</span>', ranking) == ranked
    assert '<option value="commune" selected>' in html
    assert supervisor.get("/console/units/P1/", {"kind": "planet"}).status_code == 400
