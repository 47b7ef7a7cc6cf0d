"""The dossier as the counter knows it, over the API: the applicant, search, corrections, the slip, the
citizens' lookup, unknown query parameters and list ordering."""

import re

import pytest
import segno
from rest_framework.test import APIClient

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import DossierEvent, EventKind
from apps.dossiers.status import Status
from tests.helpers import vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")

AN = {
    "kind": "person",
    "name": "Nguyễn Văn An",
    "id_number": "001099012389",
    "phone": "0912 345 678",
    "email": "an@example.vn",
    "province": "Phú Thọ",
    "commune": "Phường Thanh Miếu",
    "street": "Số 5, đường Hùng Vương",
}


@pytest.fixture
def clerk(users, client_for):
    return client_for(users["clerk_c1"])


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


def receive(client, procedure, **body):
    response = client.post(
        "/api/v1/dossiers/",
        {"procedure": procedure.code, "receiving_unit": "P1.100", **body},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def an(calendar, clerk, procedure):
    return receive(clerk, procedure, applicant=AN, received_at="2026-11-20T09:00:00+07:00")


@pytest.fixture
def many(calendar, tree, procedure):
    """Dossiers of several applicants, units and times (received through the services)."""
    people = [
        ("Đặng Thị Đào", "079301000123", "0987654321", "c1", vn(2026, 11, 2, 9)),
        ("Trần Văn Bình", "025185000001", "02103846123", "c1", vn(2026, 11, 3, 9)),
        ("Nguyễn Văn Anh", "", "", "c2", vn(2026, 11, 4, 9)),
        ("Lê Thị Hoa", "", "0901234567", "c3", vn(2026, 11, 5, 9)),
    ]
    return [
        services.receive_dossier(
            procedure=procedure,
            receiving_unit=tree[unit],
            actor=SYSTEM,
            received_at=at,
            applicant={"applicant_name": name, "applicant_id_number": number, "applicant_phone": phone},
        )
        for name, number, phone, unit, at in people
    ]


# ---- the applicant ------------------------------------------------------------------------------


def test_the_detail_shows_the_applicant_in_full_and_lists_mask_it(an, clerk):
    detail = clerk.get(f"/api/v1/dossiers/{an['code']}/").json()
    assert detail["applicant"] == {
        "kind": "person",
        "name": "Nguyễn Văn An",
        "id_number": "001099012389",
        "tax_code": "",
        "phone": "0912345678",
        "email": "an@example.vn",
        "address": {
            "province": "Phú Thọ",
            "commune": "Phường Thanh Miếu",
            "street": "Số 5, đường Hùng Vương",
        },
        "came_by": "in_person",
    }
    assert detail["applicant_name"] == "Nguyễn Văn An"  # older clients keep reading it
    listed = clerk.get("/api/v1/dossiers/").json()["results"][0]["applicant"]
    assert listed["id_number"] == "0010******89"
    assert listed["phone"] == "0912***678"
    assert "001099012389" not in str(clerk.get("/api/v1/dossiers/").json())


def test_older_clients_send_only_the_name(calendar, clerk, procedure):
    body = receive(clerk, procedure, applicant_name="Trần Thị B")
    assert body["applicant"]["name"] == "Trần Thị B" and body["applicant"]["kind"] == "person"


@pytest.mark.parametrize(
    ("applicant", "field", "code"),
    [
        ({"id_number": "00109901238"}, "applicant.id_number", "invalid_id_number"),
        ({"id_number": "003099012389"}, "applicant.id_number", "invalid_id_number"),
        ({"phone": "12345"}, "applicant.phone", "invalid_phone"),
        ({"email": "an-at-example"}, "applicant.email", "invalid_email"),
        ({"kind": "organisation", "tax_code": "12345"}, "applicant.tax_code", "invalid_tax_code"),
        ({"kind": "person", "tax_code": "0101234567"}, "applicant.tax_code", "tax_code_for_organisations"),
        ({"tax_code": "0101234567"}, "applicant.tax_code", None),  # person by default: refused too
        ({"nick": "An"}, "applicant.nick", "unknown_field"),
    ],
)
def test_bad_applicant_values_name_their_field(calendar, clerk, procedure, applicant, field, code):
    response = clerk.post(
        "/api/v1/dossiers/",
        {"procedure": procedure.code, "receiving_unit": "P1.100", "applicant": applicant},
        format="json",
    )
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    if code:
        assert errors[0]["code"] == code


def test_an_organisation_with_a_branch_tax_code(calendar, clerk, procedure):
    body = receive(
        clerk,
        procedure,
        applicant={"kind": "organisation", "name": "Công ty An Phú", "tax_code": "0101234567001"},
    )
    detail = clerk.get(f"/api/v1/dossiers/{body['code']}/").json()
    assert detail["applicant"]["kind"] == "organisation"
    assert detail["applicant"]["tax_code"] == "0101234567-001"


# ---- search -------------------------------------------------------------------------------------


def codes(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["code"] for item in response.json()["results"]}


def test_search_by_folded_name_id_number_phone_and_code_prefix(many, admin):
    dao, binh, anh, _hoa = (d.code for d in many)
    assert codes(admin.get("/api/v1/dossiers/", {"applicant": "dang thi dao"})) == {dao}
    assert codes(admin.get("/api/v1/dossiers/", {"applicant": "ĐẶNG THỊ"})) == {dao}
    assert codes(admin.get("/api/v1/dossiers/", {"applicant": "nguyen van"})) == {anh}
    assert codes(admin.get("/api/v1/dossiers/", {"applicant": "van anh"})) == set()  # a prefix, not a part
    assert codes(admin.get("/api/v1/dossiers/", {"id_number": "079301000123"})) == {dao}
    assert codes(admin.get("/api/v1/dossiers/", {"phone": "+84 987 654 321"})) == {dao}
    assert codes(admin.get("/api/v1/dossiers/", {"phone": "0210 3846 123"})) == {binh}
    assert codes(admin.get("/api/v1/dossiers/", {"phone": "not a phone"})) == set()
    assert codes(admin.get("/api/v1/dossiers/", {"code_prefix": "P1.101-"})) == {anh}
    # One box for the counter: name, number, phone or code.
    assert codes(admin.get("/api/v1/dossiers/", {"q": "tran van"})) == {binh}
    assert codes(admin.get("/api/v1/dossiers/", {"q": "025185000001"})) == {binh}
    assert codes(admin.get("/api/v1/dossiers/", {"q": "0987.654.321"})) == {dao}
    assert codes(admin.get("/api/v1/dossiers/", {"q": "P1.101-"})) == {anh}
    # Scope still applies: P2's dossier is invisible to P1's administrator.
    assert codes(admin.get("/api/v1/dossiers/", {"applicant": "le thi hoa"})) == set()


# ---- corrections --------------------------------------------------------------------------------


def test_patch_corrects_a_typo_and_records_the_event(an, clerk, users):
    response = clerk.patch(
        f"/api/v1/dossiers/{an['code']}/",
        {"reason": "Phone misheard", "applicant": {"phone": "0987654321"}, "notes": "Đã gọi lại"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["applicant"]["phone"] == "0987654321" and body["notes"] == "Đã gọi lại"
    event = body["events"][-1]
    assert event["kind"] == "corrected"
    assert event["actor"] == "clerk_c1" or "clerk_c1" in str(event["actor"])
    assert event["note"] == "Phone misheard"
    assert event["data"]["changes"] == {
        "applicant.phone": {"old": "0912345678", "new": "0987654321"},
        "notes": {"old": "", "new": "Đã gọi lại"},
    }
    stored = DossierEvent.objects.get(dossier__code=an["code"], kind=EventKind.CORRECTED)
    assert stored.actor_user == users["clerk_c1"]


@pytest.mark.parametrize("field", ["procedure", "receiving_unit", "channel", "received_at"])
def test_patch_of_a_receipt_fact_points_to_correct_receipt(an, clerk, field):
    response = clerk.patch(f"/api/v1/dossiers/{an['code']}/", {"reason": "x", field: "1"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "use_correct_receipt"
    assert response.json()["errors"][0]["field"] == field
    assert "correct-receipt" in response.json()["message"]


def test_patch_needs_a_reason_and_known_fields(an, clerk):
    response = clerk.patch(f"/api/v1/dossiers/{an['code']}/", {"notes": "x"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"
    response = clerk.patch(f"/api/v1/dossiers/{an['code']}/", {"reason": "x", "status": 9}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "status"
    response = clerk.patch(
        f"/api/v1/dossiers/{an['code']}/", {"reason": "x", "applicant": {"phone": "1"}}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "applicant.phone"


def test_patch_follows_write_scope(an, users, client_for):
    supervisor = client_for(users["supervisor_p1"])
    response = supervisor.patch(
        f"/api/v1/dossiers/{an['code']}/", {"reason": "x", "notes": "y"}, format="json"
    )
    assert response.status_code == 403
    other = client_for(users["clerk_c3"])
    response = other.patch(f"/api/v1/dossiers/{an['code']}/", {"reason": "x", "notes": "y"}, format="json")
    assert response.status_code == 404


def test_correct_receipt_recomputes_the_due_date_for_an_administrator(an, admin, clerk):
    assert an["legal_due_at"] == "2026-11-25T09:00:00+07:00"  # Fri 20 Nov + 3 working days
    url = f"/api/v1/dossiers/{an['code']}/correct-receipt/"
    response = clerk.post(url, {"reason": "x", "received_at": "2026-11-19T09:00:00+07:00"}, format="json")
    assert response.status_code == 403
    response = admin.post(
        url, {"reason": "Kiosk clock", "received_at": "2026-11-19T09:00:00+07:00"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["received_at"] == "2026-11-19T09:00:00+07:00"
    assert body["legal_due_at"] == body["effective_due_at"] == "2026-11-24T09:00:00+07:00"
    event = body["events"][-1]
    assert event["kind"] == "receipt_corrected" and event["data"]["reason"] == "Kiosk clock"
    assert event["data"]["changes"]["legal_due_at"] == {
        "old": "2026-11-25T09:00:00+07:00",
        "new": "2026-11-24T09:00:00+07:00",
    }


def test_correct_receipt_checks_input_and_scope(an, admin):
    url = f"/api/v1/dossiers/{an['code']}/correct-receipt/"
    assert admin.post(url, {"reason": "x"}, format="json").json()["errors"][0]["code"] == "nothing_to_correct"
    response = admin.post(url, {"received_at": "2026-11-19T09:00:00+07:00"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"
    response = admin.post(url, {"reason": "x", "receiving_unit": "P2.100"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "unit_out_of_scope"
    response = admin.post(url, {"reason": "x", "receiving_unit": "P1.101"}, format="json")
    assert response.status_code == 200 and response.json()["receiving_unit"] == "P1.101"
    response = admin.post(url, {"reason": "x", "received_at": "2027-01-01T09:00:00+07:00"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "received_at"


# ---- the slip -----------------------------------------------------------------------------------


def test_the_slip_is_a_printable_page_with_a_qr_code_of_the_dossier_code(an, clerk, procedure):
    response = clerk.get(f"/api/v1/dossiers/{an['code']}/slip/?lang=en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for text in (an["code"], "Nguyễn Văn An", "001099012389", "0912345678", procedure.versions.get().name,
                 "clerk_c1", "@media print", "20/11/2026", "25/11/2026", "09:00"):  # fmt: skip
        assert text in page, text
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    expected = segno.make(an["code"], error="m", micro=False)
    assert svg.group(0) == expected.svg_inline(scale=4, border=2, title=an["code"])
    # The QR payload is the code itself: what a phone reads is what the lookup takes.
    assert expected.designator.endswith("M") and f"<title>{an['code']}</title>" in svg.group(0)


def test_the_slip_is_vietnamese_by_default(an, clerk):
    page = clerk.get(f"/api/v1/dossiers/{an['code']}/slip/").content.decode()
    assert '<html lang="vi">' in page


def test_the_slip_follows_read_scope(an, users, client_for):
    assert client_for(users["clerk_c3"]).get(f"/api/v1/dossiers/{an['code']}/slip/").status_code == 404
    assert APIClient().get(f"/api/v1/dossiers/{an['code']}/slip/").status_code == 401


# ---- the citizens' lookup -----------------------------------------------------------------------


def test_public_lookup_shows_only_the_status(an):
    anonymous = APIClient()
    response = anonymous.get("/api/v1/public/lookup/", {"code": an["code"], "phone": "+84912345678"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"code", "procedure", "status", "received_on", "due_on"}
    assert body["code"] == an["code"]
    assert body["status"]["code"] == Status.RECEIVED
    assert body["received_on"] == "2026-11-20" and body["due_on"] == "2026-11-25"
    by_number = anonymous.get("/api/v1/public/lookup/", {"code": an["code"], "id_number": "001099012389"})
    assert by_number.status_code == 200


def test_a_wrong_pair_answers_like_an_unknown_code(an):
    anonymous = APIClient()
    wrong = anonymous.get("/api/v1/public/lookup/", {"code": an["code"], "phone": "0987654321"})
    unknown = anonymous.get("/api/v1/public/lookup/", {"code": "P1.100-000000-99999", "phone": "0912345678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    wrong_id = anonymous.get("/api/v1/public/lookup/", {"code": an["code"], "id_number": "079301000123"})
    assert wrong_id.status_code == 404 and wrong_id.json() == unknown.json()


def test_a_dossier_without_a_phone_never_matches_an_empty_one(calendar, clerk, procedure):
    body = receive(clerk, procedure, applicant={"name": "Không có số"})
    response = APIClient().get("/api/v1/public/lookup/", {"code": body["code"], "phone": ""})
    assert response.status_code == 400  # phone or id_number is needed
    response = APIClient().get("/api/v1/public/lookup/", {"code": body["code"], "phone": "abc"})
    assert response.status_code == 404


def test_public_lookup_is_throttled_per_address(an, settings):
    settings.PUBLIC_LOOKUP_RATE = "3/min"
    anonymous = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert (
            anonymous.get("/api/v1/public/lookup/", {"code": "x", "phone": "0912345678"}).status_code == 404
        )
    refused = anonymous.get("/api/v1/public/lookup/", {"code": an["code"], "phone": "0912345678"})
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    other = APIClient(REMOTE_ADDR="203.0.113.8")
    assert other.get("/api/v1/public/lookup/", {"code": an["code"], "phone": "0912345678"}).status_code == 200


def test_public_lookup_refuses_other_parameters(an):
    response = APIClient().get(
        "/api/v1/public/lookup/", {"code": an["code"], "phone": "0912345678", "name": "x"}
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_parameter"


# ---- unknown query parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("/api/v1/dossiers/?stauts=2", "stauts"),
        ("/api/v1/dossiers/?search=an", "search"),
        ("/api/v1/procedures/?ordering=name", "ordering"),
        ("/api/v1/procedures/?q=land&page_sise=5", "page_sise"),
        ("/api/v1/units/?q=P1&sort=code", "sort"),
        ("/api/v1/units/P1/subtree/?kindd=commune", "kindd"),
        ("/api/v1/petitions/?statuss=1", "statuss"),
        ("/api/v1/units/P1/score/?periode=2026-11", "periode"),
        ("/api/v1/units/P1/dossiers/?measure=received&unit=P1", "unit"),
        ("/api/v1/calendar/days/?unit=P1&start=2026-11-01&end=2026-11-07&workin=true", "workin"),
        ("/api/v1/integrations/clients/?q=x", "q"),
    ],
)
def test_unknown_query_parameters_answer_400_listing_the_known_ones(
    calendar, users, client_for, url, unknown
):
    response = client_for(users["admin_p1"]).get(url)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert [e["field"] for e in body["errors"]] == [unknown]
    assert body["errors"][0]["code"] == "unknown_parameter"
    assert "lang" in body["message"]  # the known ones are listed


def test_known_parameters_still_work(many, admin):
    assert admin.get("/api/v1/dossiers/?status=2&page_size=2&lang=en").status_code == 200
    assert admin.get("/api/v1/procedures/?q=1&on=2026-01-01&page=1").status_code == 200
    assert admin.get("/api/v1/units/?kind=commune&parent=P1").status_code == 200


# ---- ordering -----------------------------------------------------------------------------------


def walk(client, url: str) -> list[dict]:
    """Every item of a cursor-paginated list, following next links (page size 2)."""
    items, seen = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        items += body["results"]
        url = body["next"]
        seen += 1
        assert seen < 50
    return items


@pytest.fixture
def ordered(calendar, tree, procedure):
    """Nine dossiers: three share a status and a due date, one has no due date (registered)."""
    made = []
    for day in (2, 3, 4, 5, 6, 9, 10):
        made.append(
            services.receive_dossier(
                procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, day, 9)
            )
        )
    for dossier in made[:3]:
        services.start_processing(dossier, actor=SYSTEM, at=vn(2026, 11, 11, 9))
    made.append(
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, 10, 9)
        )
    )  # same due date as the one before
    made.append(
        services.register_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, registered_at=vn(2026, 11, 12, 9)
        )
    )
    return made


@pytest.mark.parametrize("key", ["due_at", "-due_at", "received_at", "-received_at", "status", "-status"])
def test_ordering_with_cursor_pages_returns_every_dossier_once_in_order(ordered, admin, key):
    items = walk(admin, f"/api/v1/dossiers/?ordering={key}&page_size=2")
    assert sorted(i["code"] for i in items) == sorted(d.code for d in ordered)
    field = {"due_at": "effective_due_at", "received_at": "received_at", "status": "status"}[key.lstrip("-")]
    values = [i[field] for i in items if i[field] is not None]
    assert values == sorted(values, reverse=key.startswith("-"))
    if field != "status":  # the dossier without a value comes last either way
        assert items[-1][field] is None


def test_ordering_previous_links_walk_back(ordered, admin):
    first = admin.get("/api/v1/dossiers/?ordering=status&page_size=3").json()
    second = admin.get(first["next"]).json()
    back = admin.get(second["previous"]).json()
    assert [i["code"] for i in back["results"]] == [i["code"] for i in first["results"]]


def test_unknown_ordering_and_tampered_cursor_answer_400(ordered, admin):
    response = admin.get("/api/v1/dossiers/?ordering=applicant")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "ordering"
    import base64

    for ordering, position in [
        ("due_at", "vnot-a-date|5"),
        ("due_at", "v2026-11-20T09:00:00+07:00|x"),
        ("due_at", "v9999-01-01T00:00:00+00:00|5"),
        ("status", "v99999999999999999999|5"),
        ("status", "v2|99999999999999999999"),
        ("status", "2|5"),
        ("status", "v|5"),
    ]:
        bad = base64.b64encode(f"p={position}".encode()).decode()
        response = admin.get("/api/v1/dossiers/", {"ordering": ordering, "cursor": bad})
        assert response.status_code == 400, position
        assert response.json()["code"] == "invalid_cursor", position
