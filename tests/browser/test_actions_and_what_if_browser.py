"""In Chromium: a clerk moves a dossier on from its page; a supervisor uses the what-if page (htmx)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier, EventKind
from apps.dossiers.status import Status
from tests.helpers import vn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Actor.of_system("t")
PASSWORD = "pass-123456"  # tests.factories.UserFactory's
MARCH = "2026-03"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/signin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.get_by_test_id("who")).to_be_visible()


def test_clerk_requests_a_supplement_from_the_dossier_page_action(
    live_server, calendar, tree, users, procedure, page: Page
):
    dossier = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=S)
    sign_in(page, live_server.url, "clerk_c1")
    page.goto(f"{live_server.url}/console/dossiers/{dossier.code}/")
    expect(page.get_by_test_id("action-return-result")).to_have_count(0)  # not while received
    form = page.get_by_test_id("action-request-supplement")
    form.get_by_role("button").click()  # the reason is missing: the page says so at its field
    expect(page.locator("#request-supplement-reason-error")).to_be_visible()
    page.locator("#request-supplement-reason").fill("Thiếu bản sao giấy chứng sinh")
    page.locator("#request-supplement-reason").press("Tab")
    page.keyboard.press("Tab")  # past the note, to the button: keyboard only
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/console/dossiers/{re.escape(dossier.code)}/$"))
    expect(page.get_by_test_id("done")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("yêu cầu bổ sung giấy tờ")
    expect(page.get_by_test_id("timeline").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("timeline")).to_contain_text("Thiếu bản sao")
    expect(page.get_by_test_id("action-complete-supplement")).to_be_visible()  # what the new status allows
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert dossier.events.order_by("-id").first().kind == EventKind.SUPPLEMENT_REQUESTED


def test_supervisor_sets_a_target_on_the_what_if_page(
    live_server, calendar, tree, users, procedure, page: Page
):
    for day in (2, 3):  # commune c2: one late, one open and overdue: progress has room
        d = services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 3, day, 9)
        )
    services.finish(d, actor=S, at=vn(2026, 3, 20, 9))
    sign_in(page, live_server.url, "supervisor_p1")
    page.locator('nav a[href="/console/units/P1/what-if/"]').click()  # the nav's what-if link
    expect(page).to_have_url(re.compile(r"/console/units/P1/what-if/$"))
    page.goto(f"{live_server.url}/console/units/P1.101/what-if/?period={MARCH}")
    rows = page.get_by_test_id("groups").locator("tbody tr")
    expect(rows.first).to_have_attribute("data-code", "TDGQ")  # the largest room first
    expect(page.get_by_test_id("projected-total")).to_have_count(0)
    page.get_by_label(re.compile("Tiến độ giải quyết")).first.fill("abc")
    page.get_by_label(re.compile("Tiến độ giải quyết")).first.press("Enter")
    expect(page.locator("#e-TDGQ")).to_be_visible()  # swapped in by htmx although the answer is a 400
    page.locator("#t-TDGQ").fill("100")
    page.locator("#t-TDGQ").press("Enter")
    gain = page.get_by_test_id("total-gain").locator("data")
    expect(gain).to_be_visible()
    expect(page.locator("#e-TDGQ")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"target_TDGQ=100"))  # htmx pushed the URL: shareable, reloadable
    assert Decimal(gain.get_attribute("value")) > 0
    expect(page.get_by_test_id("gain-TDGQ")).to_contain_text("+")
    assert Dossier.objects.count() == 2  # a what-if writes nothing
