"""Cursor pages list every dossier exactly once, with or without a receipt time, on either engine.

Online registrations not yet accepted have no ``received_at``. SQLite sorts NULL as the smallest value
and PostgreSQL as the largest; the cursor writes the placement out, so the same test passes on both
(run it with ``DATABASE_URL=postgres://…`` for PostgreSQL). Pages are walked forwards and, from the last
page, backwards.
"""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier
from tests.helpers import vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")
LIST = "/api/v1/dossiers/"


@pytest.fixture
def mixed(calendar, tree, procedure):
    """13 dossiers: 5 registered online (no receipt time), 8 received, 3 of those at the same instant."""
    for n in range(5):
        services.register_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, registered_at=vn(2026, 11, 2 + n, 9)
        )
    for day in (3, 4, 5, 9, 10):
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, day, 9)
        )
    for _ in range(3):
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=SYSTEM, received_at=vn(2026, 11, 6, 14)
        )
    ids = list(Dossier.objects.values_list("pk", flat=True))
    assert Dossier.objects.filter(received_at__isnull=True).count() == 5
    return ids


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


def walk(client, url: str, link: str = "next") -> tuple[list[dict], list[dict]]:
    """Every row of every page following ``link``, and the pages' bodies."""
    rows, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append(body)
        rows += body["results"]
        url = body[link]
    return rows, pages


def codes_to_ids(rows: list[dict]) -> list[int]:
    by_code = dict(Dossier.objects.values_list("code", "pk"))
    return [by_code[row["code"]] for row in rows]


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 5, 13])
def test_default_order_pages_every_dossier_once_forwards_and_backwards(mixed, admin, page_size):
    rows, pages = walk(admin, f"{LIST}?page_size={page_size}")
    ids = codes_to_ids(rows)
    assert sorted(ids) == sorted(mixed) and len(ids) == len(set(ids)) == 13
    # Not yet received first (as PostgreSQL's descending index holds them), then newest receipt first.
    times = [row["received_at"] for row in rows]
    assert times[:5] == [None] * 5
    assert times[5:] == sorted(times[5:], reverse=True)
    assert ids[:5] == sorted(ids[:5], reverse=True)
    # From the last page back to the first: the same rows, page by page.
    before_last = [row["code"] for body in pages[:-1] for row in body["results"]]
    back_pages = []
    url = pages[-1]["previous"]
    while url:
        body = admin.get(url).json()
        assert len(body["results"]) <= page_size
        back_pages.insert(0, [row["code"] for row in body["results"]])
        url = body["previous"]
    assert [code for page in back_pages for code in page] == before_last


@pytest.mark.parametrize("ordering", ["received_at", "-received_at"])
def test_chosen_received_at_ordering_pages_every_dossier_once(mixed, admin, ordering):
    rows, _ = walk(admin, f"{LIST}?ordering={ordering}&page_size=2")
    ids = codes_to_ids(rows)
    assert sorted(ids) == sorted(mixed) and len(ids) == len(set(ids))
    assert [row["received_at"] for row in rows][-5:] == [None] * 5  # empty values last, as documented


def test_a_page_boundary_inside_the_empty_run_keeps_going(mixed, admin):
    first = admin.get(f"{LIST}?page_size=3").json()
    assert [row["received_at"] for row in first["results"]] == [None] * 3
    second = admin.get(first["next"]).json()
    assert [row["received_at"] for row in second["results"]][:2] == [None, None]
    assert second["results"][2]["received_at"] is not None
