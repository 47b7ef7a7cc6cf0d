"""Vietnamese first, English on request, on real endpoints; codes never change with the language."""

from __future__ import annotations

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from tests.helpers import vn

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def clerk(calendar, users, client_for):
    return client_for(users["clerk_c1"])


@pytest.fixture
def dossier(calendar, tree, procedure):
    received = services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=Actor(), received_at=vn(2026, 2, 13, 16, 30)
    )
    return services.request_supplement(received, actor=Actor(), at=vn(2026, 2, 23, 9))


def _detail(client, dossier, query: str = "", **headers):
    return client.get(f"/api/v1/dossiers/{dossier.code}/{query}", **headers)


def test_vietnamese_is_the_default_and_says_so(clerk, dossier):
    response = _detail(clerk, dossier)
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"
    assert "Accept-Language" in response["Vary"]
    body = response.json()
    assert body["status_name"] == "yêu cầu bổ sung giấy tờ" and body["channel_name"] == "trực tiếp tại quầy"


def test_accept_language_en_gives_english_with_the_same_codes(clerk, dossier):
    vietnamese = _detail(clerk, dossier).json()
    response = _detail(clerk, dossier, **ENGLISH)
    assert response["Content-Language"] == "en"
    english = response.json()
    assert english["status_name"] == "supplement requested" and english["channel_name"] == "counter"
    for key in ("code", "status", "channel", "receiving_unit", "procedure", "legal_due_at"):
        assert english[key] == vietnamese[key], key
    assert [e["kind"] for e in english["events"]] == [e["kind"] for e in vietnamese["events"]]


@pytest.mark.parametrize(
    ("query", "headers", "language"),
    [
        ("?lang=en", {}, "en"),
        ("?lang=en-US", {"HTTP_ACCEPT_LANGUAGE": "vi"}, "en"),  # the link wins over the browser
        ("?lang=vi", ENGLISH, "vi"),
        ("?lang=xx", ENGLISH, "en"),  # an unknown language falls back to Accept-Language…
        ("?lang=xx", {}, "vi"),  # …and then to Vietnamese
        ("", {"HTTP_ACCEPT_LANGUAGE": "fr, en;q=0.8"}, "en"),
        ("", {"HTTP_ACCEPT_LANGUAGE": "fr"}, "vi"),
    ],
)
def test_lang_parameter_and_negotiation(clerk, dossier, query, headers, language):
    response = _detail(clerk, dossier, query, **headers)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    expected = {"vi": "yêu cầu bổ sung giấy tờ", "en": "supplement requested"}[language]
    assert response.json()["status_name"] == expected


def test_error_messages_in_both_languages_with_the_same_codes(clerk, calendar):
    missing = "/api/v1/dossiers/NO-SUCH-CODE/"
    vietnamese, english = clerk.get(missing).json(), clerk.get(missing, **ENGLISH).json()
    assert vietnamese["code"] == english["code"] == "not_found"
    assert vietnamese["message"] == "Không tìm thấy." and english["message"] == "Not found."

    url = "/api/v1/calendar/deadline/?unit=P1.100&received_at=2026-02-13T16:30:00%2B07:00"
    vietnamese, english = clerk.get(url).json(), clerk.get(url, **ENGLISH).json()
    assert vietnamese["code"] == english["code"] == "validation_error"
    assert vietnamese["message"] == "Yêu cầu có trường dữ liệu không hợp lệ."
    assert english["message"] == "The request has invalid fields."
    assert [(e["field"], e["code"]) for e in vietnamese["errors"]] == [
        (e["field"], e["code"]) for e in english["errors"]
    ]
    assert vietnamese["errors"][0]["message"] == "Hãy nêu thủ tục, hoặc cả `limit` và `time_unit`."

    unknown = "/api/v1/calendar/days/?unit=ZZ&start=2026-02-13"
    vietnamese, english = clerk.get(unknown).json(), clerk.get(unknown, **ENGLISH).json()
    by_field = {e["field"]: e for e in vietnamese["errors"]}
    by_field_en = {e["field"]: e for e in english["errors"]}
    assert by_field["unit"]["code"] == by_field_en["unit"]["code"] == "unknown_unit"
    assert by_field["unit"]["message"] == "Không có đơn vị với mã 'ZZ'."
    assert by_field_en["unit"]["message"] == "Unknown unit code 'ZZ'."
    assert by_field["end"]["message"] == "Trường này là bắt buộc."  # DRF's own message, our catalogue
    assert by_field_en["end"]["message"] == "This field is required."


def test_a_domain_error_in_both_languages(clerk, dossier):
    url = f"/api/v1/dossiers/{dossier.code}/return-result/"
    vietnamese = clerk.post(url, {}, format="json")
    english = clerk.post(url, {}, format="json", **ENGLISH)
    assert vietnamese.status_code == english.status_code == 409
    assert vietnamese.json()["code"] == english.json()["code"] == "illegal_transition"
    assert vietnamese.json()["message"].startswith(
        "Hồ sơ ở trạng thái yêu cầu bổ sung giấy tờ không thể chuyển"
    )
    assert english.json()["message"].startswith("A dossier that is supplement requested cannot become")


def test_a_holiday_in_a_deadline_explanation(clerk, dossier):
    vietnamese = clerk.get(f"/api/v1/dossiers/{dossier.code}/deadline/").json()["explanation"]
    english = clerk.get(f"/api/v1/dossiers/{dossier.code}/deadline/", **ENGLISH).json()["explanation"]
    tet_vi = {d["date"]: d["reason"] for d in vietnamese["skipped_days"]}["2026-02-17"]
    tet_en = {d["date"]: d["reason"] for d in english["skipped_days"]}["2026-02-17"]
    assert tet_vi == "ngày lễ: Tết Nguyên đán" and tet_en == "holiday: Lunar New Year"
    assert "Không tính Thứ 3, 17/02/2026: ngày lễ: Tết Nguyên đán." in vietnamese["text"]
    assert "Skipped Tue 17 Feb 2026: holiday: Lunar New Year." in english["text"]
    assert vietnamese["due_at"] == english["due_at"] and vietnamese["unit"] == english["unit"]


def test_calendar_days_give_their_reason_in_the_language(clerk):
    url = "/api/v1/calendar/days/?unit=P1.100&start=2026-04-26&end=2026-04-26&lang={}"
    assert clerk.get(url.format("vi")).json()[0]["reason"] == "ngày lễ: Giỗ Tổ Hùng Vương"
    assert clerk.get(url.format("en")).json()[0]["reason"] == "holiday: Hung Kings' Commemoration Day"


def test_index_group_and_indicator_names_in_the_score(calendar, users, client_for):
    supervisor = client_for(users["supervisor_p1"])
    url = "/api/v1/units/P1.100/score/?period=2026-03"
    score_vi, score_en = supervisor.get(url).json()["score"], supervisor.get(url, **ENGLISH).json()["score"]
    vietnamese, english = score_vi["groups"], score_en["groups"]
    indicators = {i["code"]: i for i in score_vi["indicators"]}
    indicators_en = {i["code"]: i for i in score_en["indicators"]}
    assert indicators.keys() == indicators_en.keys()
    assert indicators["PUBLISH_ON_TIME"]["name"] == "Công bố TTHC đúng hạn"
    assert indicators_en["PUBLISH_ON_TIME"]["name"] == "Procedures published on time"
    assert indicators["DOSSIER_SYNC"]["group"] == indicators_en["DOSSIER_SYNC"]["group"] == "CKMB"
    assert [g["code"] for g in vietnamese] == [g["code"] for g in english]
    names = {g["code"]: (g["name"], e["name"]) for g, e in zip(vietnamese, english, strict=True)}
    assert names["CKMB"] == ("Công khai, minh bạch", "Transparency")
    assert names["MDHL"] == ("Mức độ hài lòng", "Satisfaction")


def test_refusals_before_any_view_are_translated_too(clerk, settings):
    nul = clerk.get("/api/v1/dossiers/?unit=%00")
    nul_en = clerk.get("/api/v1/dossiers/?unit=%00", **ENGLISH)
    assert nul.status_code == nul_en.status_code == 400
    assert nul.json()["code"] == nul_en.json()["code"] == "nul_character"
    assert "ký tự NUL" in nul.json()["message"] and "NUL character" in nul_en.json()["message"]
    assert nul["Content-Language"] == "vi" and nul_en["Content-Language"] == "en"


def test_roles_unit_kinds_and_timeliness_by_name(clerk, dossier):
    me_vi, me_en = clerk.get("/api/v1/auth/me/").json(), clerk.get("/api/v1/auth/me/?lang=en").json()
    assert me_vi["role"] == me_en["role"] == "clerk"
    assert me_vi["role_name"].startswith("Cán bộ tiếp nhận") and me_en["role_name"].startswith("Clerk")
    unit_vi, unit_en = (
        clerk.get("/api/v1/units/P1.100/").json(),
        clerk.get("/api/v1/units/P1.100/?lang=en").json(),
    )
    assert unit_vi["kind"] == unit_en["kind"] == "commune"
    assert (unit_vi["kind_name"], unit_en["kind_name"]) == ("Xã, phường, đặc khu", "Commune / ward")
    services.complete_supplement(dossier, actor=Actor(), at=vn(2026, 2, 24, 9))
    services.finish(dossier.__class__.objects.get(pk=dossier.pk), actor=Actor(), at=vn(2026, 2, 24, 10))
    finished_vi = _detail(clerk, dossier).json()
    finished_en = _detail(clerk, dossier, "?lang=en").json()
    assert finished_vi["timeliness"] == finished_en["timeliness"] == "early"
    assert (finished_vi["timeliness_name"], finished_en["timeliness_name"]) == ("trước hạn", "early")
