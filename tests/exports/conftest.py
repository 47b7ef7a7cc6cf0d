"""Export fixtures: November 2026 in P1 with finished, open, overdue and due-soon dossiers, and a
centre's counter visits (the queue fixtures of tests/queues)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from apps.core.actors import Actor
from apps.dossiers import services
from apps.organisation.models import Unit
from tests.helpers import vn
from tests.queues.conftest import centre, counters, post_event, staff, visit  # noqa: F401

S = Actor.of_system("t")
NAMES = {"P1": "Tỉnh Phú An", "P1.01": "Sở Tư pháp", "P1.100": "Xã An Bình", "P1.101": "Xã Hòa Lạc"}


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    """Files of large exports go to a fresh directory per test."""
    settings.EXPORTS_DIR = tmp_path / "exports"
    return settings.EXPORTS_DIR


@pytest.fixture
def activity(calendar, tree, users, procedure, django_capture_on_commit_callbacks):
    """c1 finishes five dossiers on time; c2 has finished-late, overdue, due-soon and later-due ones."""
    for code, name in NAMES.items():
        Unit.objects.filter(code=code).update(name=name)
    made = {}
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4, 5, 6):
            d = services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c1"], actor=S, received_at=vn(2026, 11, day, 9),
                applicant_name="Nguyễn Văn An",
            )  # fmt: skip
            services.finish(d, actor=S, at=vn(2026, 11, day + 1, 9))
        late = services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 11, 2, 9),
            applicant_name="Trần Thị Bình",
        )  # fmt: skip
        services.finish(late, actor=S, at=vn(2026, 11, 20, 9))
        for key, when in {
            "overdue": vn(2026, 11, 3, 9),
            "soon": vn(2026, 11, 19, 9),
            "later": vn(2026, 11, 23, 8),
        }.items():
            made[key] = services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=when,
                applicant_name=f"Lê Văn {key.title()}",
            )  # fmt: skip
    return made


@pytest.fixture
def served(visit):  # noqa: F811
    visit("A", vn(2026, 11, 17, 8), 120, 600)
    visit("B", vn(2026, 11, 17, 9), 1500, 900, counter=2, staff="binh")
    visit("C", vn(2026, 11, 18, 9), 300, None, counter=1, staff="an")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV answer (streamed or a file), header first; the body must start with the BOM."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbf"), "CSV without a UTF-8 byte order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def as_text(value) -> str:
    """The API's JSON value as the CSV shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def api_list(api, url: str, params: dict | None = None) -> list[dict]:
    """Every row of a (cursor-paginated or plain) API list, following ``next``."""
    response = api.get(url, params or {})
    assert response.status_code == 200, response.content
    body = response.json()
    if isinstance(body, list):
        return body
    rows = list(body["results"])
    while body.get("next"):
        body = api.get(body["next"]).json()
        rows += body["results"]
    return rows


def decimal_or_none(value):
    return None if value in (None, "") else Decimal(str(value))
