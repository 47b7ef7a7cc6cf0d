"""Exports in Chromium: a supervisor downloads the dossiers behind a number as CSV, and a large XLSX
export through its job page; each file's rows are checked against the API."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from apps.core.actors import Actor
from apps.dossiers import services
from apps.organisation.models import Unit
from tests.helpers import vn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = Actor.of_system("t")
PASSWORD = "pass-123456"  # tests.factories.UserFactory's
DRILL_DOWN = "/console/units/P1/dossiers/?measure=in_period&period=2026-11"


@pytest.fixture
def activity(live_server, calendar, tree, users, procedure):
    Unit.objects.filter(code="P1.100").update(name="Xã An Bình")
    for day in (2, 3, 4, 5):
        d = services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 11, day, 9),
            applicant_name="Nguyễn Thị Hằng",
        )  # fmt: skip
        services.finish(d, actor=S, at=vn(2026, 11, day + 1, 9))
    services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 11, 16, 9),
        applicant_name="Trần Văn Đức",
    )  # fmt: skip
    return live_server


def api_codes(user) -> list[str]:
    api = APIClient()
    api.force_authenticate(user)
    body = api.get("/api/v1/units/P1/dossiers/", {"period": "2026-11", "measure": "in_period"}).json()
    return [row["code"] for row in body["results"]]


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/signin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/console/"))


def test_supervisor_downloads_the_dossiers_behind_a_number_as_csv(activity, users, page: Page):
    sign_in(page, activity.url, "supervisor_p1")
    page.goto(activity.url + DRILL_DOWN)
    links = page.get_by_test_id("export-dossiers")
    with page.expect_download() as info:
        links.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename == "dossiers-P1-2026-11-in_period.csv"
    text = download.path().read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[0] == "Mã hồ sơ" or header[0] == "Dossier code"
    assert [row[0] for row in rows] == api_codes(users["supervisor_p1"])
    assert any("Trần Văn Đức" in row for row in rows)


def test_a_large_export_shows_its_progress_and_then_the_file(
    activity, users, page: Page, settings, monkeypatch, tmp_path
):
    """The kick is held back so the page first shows the job waiting; htmx polls the bar, which turns
    into the download link once the task (run here) has written the file."""
    from apps.exports import services, tasks
    from apps.exports.models import ExportJob

    settings.EXPORTS_ASYNC_THRESHOLD = 2
    settings.EXPORTS_DIR = tmp_path
    monkeypatch.setattr(tasks.run_export_job, "delay", lambda *args, **kwargs: None)
    sign_in(page, activity.url, "supervisor_p1")
    page.goto(activity.url + DRILL_DOWN)
    page.get_by_test_id("export-dossiers").get_by_role("link", name="Excel (XLSX)").click()
    expect(page).to_have_url(re.compile(r"/console/exports/jobs/[0-9a-f-]+/$"))
    progress = page.get_by_test_id("export-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(progress.locator("progress")).to_be_visible()
    assert services.run_job(ExportJob.objects.get().pk)
    expect(page.get_by_test_id("export-progress")).to_have_attribute("data-status", "done", timeout=5000)
    with page.expect_download() as info:
        page.get_by_test_id("export-file").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(info.value.path().read_bytes())).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == api_codes(users["supervisor_p1"])
