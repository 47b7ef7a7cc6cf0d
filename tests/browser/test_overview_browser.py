"""The supervisor overview in Chromium: htmx swaps a panel or the main content without reloading the page,
and the overdue count opens the list of those dossiers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apps.core.actors import Actor
from apps.dossiers import services
from apps.organisation.models import Unit
from tests.helpers import vn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Actor.of_system("t")
PASSWORD = "pass-123456"  # tests.factories.UserFactory's
NOVEMBER = "2026-11"
PROCEDURE_NAME = "Đăng ký khai sinh"


@pytest.fixture
def activity(live_server, calendar, tree, users, procedure):
    """November 2026 in P1 (the clock is frozen on 23 November): c1 on time, c2 with two open overdue."""
    Unit.objects.filter(code="P1").update(name="Tỉnh Phú An")
    Unit.objects.filter(code="P1.101").update(name="Xã Hòa Lạc")
    version = procedure.versions.get()
    version.name = PROCEDURE_NAME
    version.save()
    for day in (2, 3, 4):
        d = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=S,
                                     received_at=vn(2026, 11, day, 9), applicant_name="Nguyễn Văn An")  # fmt: skip
        services.finish(d, actor=S, at=vn(2026, 11, day + 1, 9))
    for day in (2, 3):
        services.receive_dossier(procedure=procedure, receiving_unit=tree["c2"], actor=S,
                                 received_at=vn(2026, 11, day, 9), applicant_name="Trần Thị Bình")  # fmt: skip
    return live_server


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/signin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/console/"))


def test_supervisor_switches_the_on_time_panel_and_the_period_in_place(activity, page: Page):
    sign_in(page, activity.url, "supervisor_p1")
    page.goto(f"{activity.url}/console/units/P1/?period={NOVEMBER}")
    expect(page.get_by_test_id("trend").locator("svg")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")  # gone if the browser loaded a new document
    panel = page.get_by_test_id("on-time")
    expect(panel).to_have_attribute("data-dimension", "unit")
    page.locator("#dimension-procedure").click()
    expect(page.get_by_test_id("on-time")).to_have_attribute("data-dimension", "procedure")
    row = page.get_by_test_id("on-time").get_by_role("row").filter(has_text=PROCEDURE_NAME)
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("5")  # every dossier of the province, one procedure
    expect(page).to_have_url(re.compile(rf"\?period={NOVEMBER}&dimension=procedure$"))
    expect(page.locator("#dimension-procedure")).to_have_attribute("aria-current", "true")
    assert page.evaluate("window.stillTheSamePage") is True
    # The period switch swaps the main content, keeping the dimension chosen.
    page.locator("#period-previous").click()
    expect(page).to_have_url(re.compile(r"\?period=2026-10&dimension=procedure$"))
    expect(page.locator("#id_period")).to_have_value("2026-10")
    expect(page.get_by_test_id("dimensions").locator('[aria-current="true"]')).to_have_id(
        "dimension-procedure"
    )
    assert page.evaluate("window.stillTheSamePage") is True
    # The language switch goes back to the URL shown now, not the one first loaded.
    expect(page.locator("#lang-next")).to_have_value(re.compile(r"period=2026-10"))


def test_supervisor_clicks_the_overdue_count_and_sees_those_dossiers(activity, page: Page):
    sign_in(page, activity.url, "supervisor_p1")
    page.goto(f"{activity.url}/console/units/P1/?period={NOVEMBER}")
    count = page.get_by_test_id("open-overdue-count")
    shown = int(count.inner_text())
    assert shown == 2
    expect(page.get_by_test_id("open-overdue-rows").locator("tbody tr")).to_have_count(shown)
    count.click()
    expect(page).to_have_url(re.compile(r"/console/units/P1/open/\?state=overdue$"))
    rows = page.get_by_test_id("dossiers").locator("tbody tr")
    expect(rows).to_have_count(shown)
    expect(rows.first).to_contain_text("Trần Thị Bình")
    expect(rows.first).to_contain_text("Xã Hòa Lạc")
    expect(page.get_by_test_id("count")).to_contain_text(str(shown))
