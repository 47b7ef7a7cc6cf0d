"""The console's main pages with data behind them, for the layout and accessibility browser tests.

Shared by tests/browser/test_layout.py and test_accessibility.py: one set of dossiers (on time, late,
open and overdue) in province P1 in November 2026, a procedure with documents to tick, and a browser
context signed in as a given user (the session made by Django's test client, handed to Chromium as its
cookie: the sign-in form itself is tested on its own).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext

from apps.catalogue.models import ProcedureComponent
from apps.core.actors import Actor
from apps.dossiers import services
from apps.organisation.models import Unit
from tests.helpers import vn

NOVEMBER = "2026-11"
PHONE = {"width": 360, "height": 740}
COUNTER = {"width": 1366, "height": 768}
#: Long real-world names: they must wrap, not widen the page.
NAMES = {
    "P1": "Tỉnh Phú An",
    "P1.01": "Sở Tư pháp",
    "P1.100": "Ủy ban nhân dân xã An Bình Thượng",
    "P1.101": "Ủy ban nhân dân xã Hòa Lạc Đông",
}


@dataclass(frozen=True)
class ConsolePage:
    """A page to open: its name in test ids, who opens it, its address and the controls it must show."""

    name: str
    user: str | None
    path: str
    controls: tuple[str, ...]


def console_data(tree, users, procedure) -> dict[str, str]:
    """November's activity at both communes and a birth-registration procedure with two documents."""
    for code, name in NAMES.items():
        Unit.objects.filter(code=code).update(name=name)
    version = procedure.versions.get()
    version.name = "Đăng ký khai sinh cho trẻ em có yếu tố nước ngoài tại khu vực biên giới"
    version.save()
    ProcedureComponent.objects.create(version=version, position=1, name="Tờ khai đăng ký khai sinh")
    ProcedureComponent.objects.create(version=version, position=2, name="Giấy chứng sinh", mandatory=False)
    actor = Actor.of_system("t")
    for day in (2, 3, 4, 9):
        done = services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree["c1"],
            actor=actor,
            received_at=vn(2026, 11, day, 9),
            applicant_name="Nguyễn Văn An",
        )
        services.finish(done, actor=actor, at=vn(2026, 11, day + 1, 9))
    for day in (5, 16, 20):
        services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree["c2"],
            actor=actor,
            received_at=vn(2026, 11, day, 9),
            applicant_name="Trần Thị Bình",
        )
    open_one = services.receive_dossier(
        procedure=procedure,
        receiving_unit=tree["c1"],
        actor=Actor.of_user(users["clerk_c1"]),
        received_at=vn(2026, 11, 18, 9),
        applicant_name="Lê Thị Cúc",
    )
    return {"dossier": open_one.code, "procedure": procedure.code}


def main_pages(data: dict[str, str]) -> list[ConsolePage]:
    """Every main page of the console, as the user who works on it."""
    period = f"?period={NOVEMBER}"
    dossier = data["dossier"]
    return [
        ConsolePage("signin", None, reverse("console-signin"), ("#id_username", "#id_password", "main button")),
        ConsolePage(
            "overview", "supervisor_p1", reverse("console-overview", args=["P1"]) + period,
            ("main h1", "[data-testid=total]", "[data-testid=ranking]", "[data-testid=on-time]"),
        ),
        ConsolePage(
            "drill-down", "supervisor_p1",
            reverse("console-dossiers", args=["P1"]) + f"{period}&measure=in_period",
            ("[data-testid=count]", "[data-testid=dossiers]"),
        ),
        ConsolePage(
            "open-list", "supervisor_p1", reverse("console-open", args=["P1"]) + "?state=overdue",
            ("main h1", "[data-testid=count]"),
        ),
        ConsolePage(
            "what-if", "supervisor_p1", reverse("console-what-if", args=["P1"]) + period,
            ("main h1", "[data-testid=groups]", "main form button[type=submit]"),
        ),
        ConsolePage(
            "desk", "clerk_c1", reverse("console-desk") + "?q=khai+sinh",
            ("#id_q", "[data-testid=procedures]", "[data-testid=queue]"),
        ),
        ConsolePage(
            "receive", "clerk_c1", reverse("console-receive", args=[data["procedure"]]),
            ("#id_applicant_name", "#id_applicant_id_number", "#doc-1", "[data-testid=due]", "main button.primary"),
        ),
        ConsolePage(
            "dossier", "clerk_c1", reverse("console-dossier", args=[dossier]),
            ("[data-testid=dossier-code]", "[data-testid=slip-link]", "[data-testid=timeline]"),
        ),
        ConsolePage("slip", "clerk_c1", reverse("console-slip", args=[dossier]), ("body",)),
        ConsolePage("export-jobs", "supervisor_p1", reverse("exports-jobs"), ("main h1",)),
    ]  # fmt: skip


def open_context(browser: Browser, base_url: str, username: str | None, viewport: dict) -> BrowserContext:
    """A Chromium context of the given size (a touch phone below 700 px), signed in as ``username``."""
    phone = viewport["width"] < 700
    context = browser.new_context(
        viewport=viewport,
        locale="vi-VN",
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    if username is not None:
        from apps.accounts.models import User

        client = Client()
        client.force_login(User.objects.get(username=username))
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
    return context
