"""The calendar over the API: days with reasons, deadline previews and a dossier's deadline explanation."""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from tests.helpers import vn

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(calendar, users, client_for):
    return client_for(users["clerk_c1"])


def test_non_working_days_of_tet_2026(clerk):
    response = clerk.get("/api/v1/calendar/days/?unit=P1.100&start=2026-02-13&end=2026-02-23&working=false")
    assert response.status_code == 200, response.json()
    days = response.json()
    assert [d["date"] for d in days] == [f"2026-02-{n}" for n in range(14, 23)]
    assert all(not d["is_working"] and d["reason"] for d in days)


def test_make_up_saturday_is_listed_as_working(clerk):
    days = clerk.get("/api/v1/calendar/days/?unit=P1.100&start=2026-08-22&end=2026-08-22").json()
    assert days == [{"date": "2026-08-22", "is_working": True, "reason": days[0]["reason"]}]
    assert days[0]["reason"]


def test_deadline_preview_explains_the_done_when_example(clerk, procedure):
    response = clerk.get(
        "/api/v1/calendar/deadline/",
        {"unit": "P1.100", "received_at": "2026-02-13T16:30:00+07:00", "procedure": procedure.code},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["due_at"] == "2026-02-25T16:30:00+07:00"
    assert "2026-02-17" in [d["date"] for d in body["skipped_days"]]
    assert "Hạn trả kết quả: 16:30 Thứ 4, 25/02/2026." in body["text"]  # Vietnamese by default
    english = clerk.get(
        "/api/v1/calendar/deadline/",
        {"unit": "P1.100", "received_at": "2026-02-13T16:30:00+07:00", "procedure": procedure.code},
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert "Due Wed 25 Feb 2026 16:30." in english["text"]
    assert english["due_at"] == body["due_at"] and english["skipped_days"][3]["date"] == "2026-02-17"
    direct = clerk.get(
        "/api/v1/calendar/deadline/",
        {
            "unit": "P1.100",
            "received_at": "2026-03-04T09:00:00+07:00",
            "limit": "4",
            "time_unit": "working_hours",
        },
    ).json()
    assert direct["due_at"] == "2026-03-04T15:00:00+07:00"  # 2.5 h before lunch, 1.5 h after


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"unit": "P1.100", "received_at": "2026-03-04T09:00:00+07:00"}, "procedure", "required"),
        ({"unit": "ZZ", "received_at": "2026-03-04T09:00:00+07:00", "limit": 1, "time_unit": "x"}, "unit", "unknown_unit"),
        ({"unit": "P1.100", "received_at": "2040-03-04T09:00:00+07:00", "limit": 1, "time_unit": "working_days"}, None, "outside_calendar"),
    ],
)  # fmt: skip
def test_deadline_preview_errors(clerk, query, field, code):
    response = clerk.get("/api/v1/calendar/deadline/", query)
    assert response.status_code == 400
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]


def test_days_range_is_bounded(clerk):
    response = clerk.get("/api/v1/calendar/days/?unit=P1.100&start=2026-01-01&end=2027-06-01")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "end"


def test_dossier_deadline_explanation(clerk, tree, procedure):
    d = services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=Actor(), received_at=vn(2026, 2, 13, 16, 30)
    )
    d = services.request_supplement(d, actor=Actor(), at=vn(2026, 2, 23, 9))
    services.complete_supplement(d, actor=Actor(), at=vn(2026, 2, 24, 9))
    body = clerk.get(f"/api/v1/dossiers/{d.code}/deadline/").json()
    assert body["legal_due_at"] == "2026-02-25T16:30:00+07:00"
    assert body["effective_due_at"] == "2026-02-26T16:30:00+07:00"
    assert body["paused_working_minutes"] == 480
    assert body["matches_stored"] is True
    assert body["explanation"]["clock_start"] == "2026-02-13T16:30:00+07:00"
