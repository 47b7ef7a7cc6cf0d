"""The web console in Chromium: sign-in, the supervisor's overview and its drill-down, the language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apps.catalogue.models import ProcedureComponent
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit
from tests.helpers import vn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Actor.of_system("t")
PASSWORD = "pass-123456"  # tests.factories.UserFactory's
NOVEMBER = "2026-11"
NAMES = {
    "P1": "Tỉnh Phú An",
    "P1.01": "Sở Tư pháp",
    "P1.100": "Xã An Bình",
    "P1.101": "Xã Hòa Lạc",
}


@pytest.fixture
def activity(live_server, calendar, tree, users, procedure):
    """November 2026 in P1 (the clock is frozen on 23 November): c1 on time, c2 late and overdue."""
    for code, name in NAMES.items():
        Unit.objects.filter(code=code).update(name=name)
    for day in (2, 3, 4, 5, 6, 9, 10):
        d = services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree["c1"],
            actor=S,
            received_at=vn(2026, 11, day, 9),
            applicant_name="Nguyễn Văn An",
        )
        services.finish(d, actor=S, at=vn(2026, 11, day + 1, 9))
    for day in (2, 3, 16):
        d = services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree["c2"],
            actor=S,
            received_at=vn(2026, 11, day, 9),
            applicant_name="Trần Thị Bình",
        )
    services.finish(d, actor=S, at=vn(2026, 11, 20, 9))
    return live_server


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/signin/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")  # keyboard only


def test_sign_in_wrong_password_then_right(activity, page: Page):
    sign_in(page, activity.url, "supervisor_p1", "not-the-password")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signin/"))
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/console/units/P1/$"))
    who = page.get_by_test_id("who")
    expect(who).to_contain_text("Tỉnh Phú An (P1)")
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_supervisor_clicks_a_number_and_sees_its_dossiers(activity, page: Page):
    sign_in(page, activity.url, "supervisor_p1")
    page.goto(f"{activity.url}/console/units/P1/?period={NOVEMBER}")
    expect(page.get_by_test_id("ranking")).to_contain_text("Xã An Bình")
    late_row = page.get_by_test_id("on-time").get_by_role("row").filter(has_text="Xã Hòa Lạc")
    late_link = late_row.locator('a[href*="measure=late"]')
    shown = int(late_link.inner_text())
    assert shown == 3  # two open overdue, one finished late
    late_link.click()
    expect(page).to_have_url(re.compile(r"/console/units/P1\.101/dossiers/\?measure=late"))
    rows = page.get_by_test_id("dossiers").locator("tbody tr")
    expect(rows).to_have_count(shown)
    expect(page.get_by_test_id("count")).to_contain_text(str(shown))
    expect(rows.first).to_contain_text("Trần Thị Bình")
    # Back on the overview, the first commune's on-time number lists that many dossiers too.
    page.go_back()
    on_time = page.get_by_test_id("on-time").get_by_role("row").filter(has_text="Xã An Bình")
    link = on_time.locator('a[href*="measure=on_time"]')
    shown = int(link.inner_text())
    assert shown == 7
    link.click()
    expect(page.get_by_test_id("dossiers").locator("tbody tr")).to_have_count(shown)


def test_switching_language(activity, page: Page):
    sign_in(page, activity.url, "supervisor_p1")
    page.goto(f"{activity.url}/console/units/P1/?period={NOVEMBER}")
    groups = page.locator("table.groups")
    expect(groups).to_contain_text("Tiến độ giải quyết")
    page.locator('button[name="language"][value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(groups).to_contain_text("Progress")
    expect(groups).not_to_contain_text("Tiến độ giải quyết")
    expect(page).to_have_url(re.compile(rf"/console/units/P1/\?period={NOVEMBER}$"))
    page.locator('button[name="language"][value="vi"]').click()
    expect(groups).to_contain_text("Tiến độ giải quyết")


def test_clerk_receives_a_dossier_and_opens_its_slip(activity, page: Page, procedure):
    version = procedure.versions.get()
    version.name = "Đăng ký khai sinh"
    version.save()
    ProcedureComponent.objects.create(version=version, position=1, name="Tờ khai đăng ký khai sinh")
    ProcedureComponent.objects.create(version=version, position=2, name="Giấy chứng sinh", mandatory=False)
    sign_in(page, activity.url, "clerk_c1")
    expect(page).to_have_url(re.compile(r"/console/desk/$"))
    page.locator("#id_q").fill("dang ky khai sinh")  # typed without diacritics
    page.locator("#id_q").press("Enter")
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    expect(page.get_by_test_id("due")).to_contain_text("26/11/2026")  # before saving
    page.locator("#id_applicant_name").fill("Lê Thị Cúc")
    page.locator("#id_applicant_id_number").fill("001099012389")
    page.locator("#id_applicant_phone").fill("0912345678")
    page.locator("#doc-2").check()
    page.locator("button.primary").click()
    expect(page).to_have_url(re.compile(r"/console/dossiers/P1\.100-"))
    code = page.get_by_test_id("dossier-code").inner_text()
    dossier = Dossier.objects.get(code=code)
    assert dossier.applicant_name == "Lê Thị Cúc" and dossier.documents.count() == 2
    expect(page.get_by_test_id("documents").locator("tbody tr")).to_have_count(2)
    with page.context.expect_page() as opened:
        page.get_by_test_id("slip-link").click()
    slip = opened.value
    slip.wait_for_load_state()
    expect(slip.locator("body")).to_contain_text(code)
    expect(slip.locator("body")).to_contain_text("Lê Thị Cúc")
    expect(slip.locator("svg").first).to_be_visible()  # the QR code
