"""GET /units/{code}/queue-figures/ and /workload/: the statistics' periods and scope rules."""

from __future__ import annotations

import pytest

from apps.accounts.models import Role
from tests.factories import UserFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(visit):
    visit("A", vn(2026, 11, 17, 8), 120, 600)
    visit("B", vn(2026, 11, 17, 9), 1500, 900, counter=2, staff="binh")


def test_supervisor_reads_the_figures_of_the_subtree(served, users, client_for):
    api = client_for(users["supervisor_p1"])
    response = api.get("/api/v1/units/P1.TT/queue-figures/?period=2026-W47&by=staff")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["period"] == {"key": "2026-W47", "kind": "week", "start": "2026-11-16", "end": "2026-11-22"}
    assert body["targets"] == {"max_wait_minutes": 15, "max_handling_minutes": 30}
    assert body["total"]["tickets"] == 2
    assert body["total"]["waiting"]["median_minutes"] == 2 and body["total"]["waiting"]["p90_minutes"] == 25
    assert body["total"]["waiting"]["within_target_rate"] == "0.5000"
    assert [r["staff"] for r in body["rows"]] == ["an", "binh"]
    province = api.get("/api/v1/units/P1/queue-figures/?period=2026-W47&by=unit").json()
    assert province["total"] == body["total"]
    # Default period: this week (nothing yet).
    assert api.get("/api/v1/units/P1.TT/queue-figures/").json()["period"]["key"] == "2026-W48"


def test_scope_outside_the_subtree_is_not_found(served, users, client_for, tree):
    for user in (users["clerk_c1"], users["clerk_c3"]):
        api = client_for(user)
        assert api.get("/api/v1/units/P1.TT/queue-figures/").status_code == 404
        assert api.get("/api/v1/units/P1.TT/workload/").status_code == 404
    supervisor_p2 = UserFactory(username="sup_p2", unit=tree["p2"], role=Role.SUPERVISOR)
    assert client_for(supervisor_p2).get("/api/v1/units/P1/workload/").status_code == 404
    own = client_for(users["clerk_c1"]).get("/api/v1/units/P1.100/workload/?period=2026")
    assert own.status_code == 200 and own.json()["unit"] == "P1.100"


def test_bad_parameters_answer_400(served, users, client_for):
    api = client_for(users["supervisor_p1"])
    for query in ("period=2026-W99", "period=last-week", "by=window", "period=2027"):
        response = api.get(f"/api/v1/units/P1.TT/queue-figures/?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"][0]["field"] in ("period", "by")


def test_machine_clients_need_read_scores(served, kiosk):
    _reader, reader = kiosk(scopes=("read_scores",), name="reader")
    assert reader.get("/api/v1/units/P1.TT/queue-figures/").status_code == 200
    assert reader.get("/api/v1/units/P1.TT/workload/").status_code == 200
    _writer, writer = kiosk(scopes=("write_tickets",), name="writer")
    response = writer.get("/api/v1/units/P1.TT/queue-figures/")
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")


def test_workload_answer(served, users, client_for, tree):
    tree["p1"].area_type = "urban"
    tree["p1"].save(update_fields=["area_type"])
    body = client_for(users["admin_p1"]).get("/api/v1/units/P1.TT/workload/?period=2026-W47").json()
    assert body["observed_days"] == 7
    assert body["targets"] == {
        "workload_period": "year",
        "dossiers_per_staff": {"urban": 1600, "rural": 1200, "disadvantaged": 800},
    }
    assert body["total"]["staff"] == 2 and body["total"]["area_type"] == "urban"
    assert body["total"]["target_per_staff_per_year"] == "1600.0"
    assert {s["staff"]: s["tickets_served"] for s in body["staff"]} == {"an": 1, "binh": 1}


def test_long_ranges_answer(served, users, client_for):
    api = client_for(users["supervisor_p1"])
    for path in ("queue-figures", "workload"):
        response = api.get(f"/api/v1/units/P1/{path}/?period=2026-01-01..2999-12-31")
        assert response.status_code == 200, response.content
    body = api.get("/api/v1/units/P1/workload/?period=2026-01-01..2999-12-31").json()
    assert body["observed_days"] == 327  # up to today
    figures = api.get("/api/v1/units/P1/queue-figures/?period=2026-01-01..2999-12-31&by=unit").json()
    assert figures["total"]["tickets"] == 2
