"""Bulk ingest takes the applicant as the counter records it: same checks, folded name, updates."""

from __future__ import annotations

import pytest

from apps.dossiers.models import Dossier

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/"


@pytest.fixture
def api(machine):
    return machine()[1]


def item(procedure, external_id="A-1", **overrides):
    return {
        "external_id": external_id,
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-02-10T09:00:00+07:00",
        **overrides,
    }


def send(api, items):
    response = api.post(URL, {"items": items}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_new_dossiers_carry_the_applicant(api, procedure):
    applicant = {"name": "Đỗ Thị Hằng", "id_number": "025185000001", "phone": "+84 912 345 678",
                 "province": "Phú Thọ", "commune": "Phường Gia Cẩm", "street": "Số 1"}  # fmt: skip
    out = send(api, [item(procedure, applicant=applicant)])[0]
    assert out["outcome"] == "created"
    dossier = Dossier.objects.get()
    assert dossier.applicant_name == "Đỗ Thị Hằng" and dossier.applicant_name_folded == "do thi hang"
    assert dossier.applicant_id_number == "025185000001" and dossier.applicant_phone == "0912345678"
    assert (dossier.applicant_province, dossier.applicant_commune) == ("Phú Thọ", "Phường Gia Cẩm")


def test_the_legacy_name_is_folded_too(api, procedure):
    send(api, [item(procedure, applicant_name="Nguyễn Văn Ân")])
    assert Dossier.objects.get().applicant_name_folded == "nguyen van an"


def test_applicant_changes_update_the_dossier(api, procedure):
    send(api, [item(procedure, applicant={"name": "Le Van A"})])
    out = send(api, [item(procedure, applicant={"name": "Lê Văn A", "phone": "0987654321"})])[0]
    assert out["outcome"] == "updated"
    assert out["changed"] == ["applicant_name", "applicant_phone"]
    dossier = Dossier.objects.get()
    assert dossier.applicant_name_folded == "le van a" and dossier.applicant_phone == "0987654321"
    again = send(api, [item(procedure, applicant={"name": "Lê Văn A", "phone": "0987 654 321"})])[0]
    assert again["outcome"] == "unchanged"


@pytest.mark.parametrize(
    ("applicant", "field", "code"),
    [
        ({"id_number": "12345"}, "applicant.id_number", "invalid_id_number"),
        ({"phone": "0612345678"}, "applicant.phone", "invalid_phone"),
        ({"kind": "person", "tax_code": "0101234567"}, "applicant.tax_code", "tax_code_for_organisations"),
        ({"colour": "blue"}, "applicant.colour", "unknown_field"),
        ("Nguyễn Văn A", "applicant", "invalid"),
    ],
)
def test_bad_applicants_are_rejected_item_by_item(api, procedure, applicant, field, code):
    out = send(api, [item(procedure, applicant=applicant), item(procedure, "A-2")])
    assert out[0]["outcome"] == "rejected"
    assert [(e["field"], e["code"]) for e in out[0]["errors"]] == [(field, code)]
    assert out[1]["outcome"] == "created"


def test_a_machine_client_corrects_descriptions_but_never_the_receipt(api, procedure):
    code = send(api, [item(procedure, applicant={"name": "Le Van A"})])[0]["code"]
    response = api.patch(
        f"/api/v1/dossiers/{code}/", {"reason": "sync", "applicant": {"name": "Lê Văn A"}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["applicant"]["name"] == "Lê Văn A"
    response = api.post(
        f"/api/v1/dossiers/{code}/correct-receipt/",
        {"reason": "sync", "received_at": "2026-02-09T09:00:00+07:00"},
        format="json",
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
