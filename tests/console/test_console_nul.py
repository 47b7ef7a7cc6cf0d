"""A NUL character sent to a console page answers the console's 400 page; the API keeps its JSON error.

apps/core/middleware.NulCharacterMiddleware refuses NUL (``%00``) in the path, the query string and the
headers before any view reads them. For the console (``/`` and everything under ``/console/``) the answer
is the page a person can read, in Vietnamese unless English is asked for, with the signed-in header
when the session could be read.
"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

VI_TITLE, EN_TITLE = "Không thể hiển thị trang này", "This page cannot be shown"
VI_NUL, EN_NUL = (
    "Yêu cầu không được chứa ký tự NUL (%00).",
    "The request may not contain the NUL character (%00).",
)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/?x=%00",  # the console's start page
        "/console/units/P1/?period=2026-11%00",
        "/console/units/P1/panels/workload/?period=%00",
        "/console/units/P1%00/",  # in the address itself
        "/console/units/P1/dossiers/?measure=late&%00=1",  # in a parameter's name
        "/console/nowhere%00/",  # no such page: refused all the same, not a 404
    ],
)
def test_a_nul_in_a_console_address_answers_the_console_page_in_vietnamese(users, url):
    html = _page(signed_in(users["supervisor_p1"]).get(url))
    assert VI_TITLE in html and VI_NUL in html
    assert EN_TITLE not in html and "nul_character" not in html
    assert 'id="lang-next" value="/"' in html  # switching language goes to the start page, not back here


def test_english_with_lang_en_or_accept_language(users):
    client = signed_in(users["supervisor_p1"])
    for response in (
        client.get("/console/units/P1/?period=%00&lang=en"),
        client.get("/console/units/P1/?period=%00", HTTP_ACCEPT_LANGUAGE="en"),
    ):
        html = _page(response)
        assert EN_TITLE in html and EN_NUL in html and VI_TITLE not in html
        assert response["Content-Language"] == "en"
    assert client.get("/console/units/P1/?period=%00")["Content-Language"] == "vi"


def test_the_page_keeps_the_signed_in_header(users):
    html = _page(signed_in(users["supervisor_p1"]).get("/console/units/P1/?period=%00"))
    assert 'data-testid="who"' in html and "supervisor_p1" in html


def test_a_nul_in_a_header_is_refused_before_the_session_is_read(users):
    """The session middleware reads the cookie header, so this refusal comes first, signed out."""
    client = signed_in(users["supervisor_p1"])
    html = _page(client.get("/console/units/P1/", HTTP_X_NOTE="a\x00b"))
    assert VI_TITLE in html and VI_NUL in html
    assert 'data-testid="who"' not in html


def test_a_visitor_gets_the_page_too():
    html = _page(Client().get("/signin/?next=%00"))
    assert VI_NUL in html


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/dossiers/?unit=%00", "unit"),
        ("/api/v1/units/P1%00/score/", "code"),
        ("/api/v1/units/P1/dossiers/?measure=%00", "measure"),
    ],
)
def test_the_api_keeps_its_json_error(users, client_for, url, field):
    response = client_for(users["supervisor_p1"]).get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "nul_character"
    assert body["errors"][0]["field"] == field
    assert "ký tự NUL" in body["message"]
