"""The applicant rules as tables: identity numbers, tax codes, phones, folding and masking."""

import datetime as dt
import unicodedata

import pytest
from django.utils import translation

from apps.dossiers.applicant import (
    ApplicantError,
    came_by,
    clean_applicant,
    fold,
    mask_id_number,
    mask_phone,
    normalise_phone,
    validate_id_number,
    validate_tax_code,
)

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("001099012389", "001099012389"),  # Hà Nội, male, born 1999
        ("079301000123", "079301000123"),  # Hồ Chí Minh City, female, born 2001
        ("025 185 000 001", "025185000001"),  # spaces as people write it; male born 1985
        ("096026123456", "096026123456"),  # Cà Mau, born 2026 (this year): allowed
    ],
)
def test_valid_identity_numbers(raw, expected):
    assert validate_id_number(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("00109901238", "12 digits"),  # 11 digits
        ("0010990123890", "12 digits"),  # 13 digits
        ("00109901238A", "only digits"),
        ("００１０９９０１２３８９", "only digits"),  # full-width digits are not ASCII digits
        ("003099012389", "province"),  # 003 is no province code
        ("097099012389", "province"),  # past the last code (096)
        ("000099012389", "province"),
        ("001227012389", "future"),  # century digit 2 = 2000s, year 27 → 2027 > 2026
        ("001499012389", "future"),  # century digit 4 = 2100s
    ],
)
def test_invalid_identity_numbers(raw, why):
    with translation.override("en"), pytest.raises(ApplicantError) as caught:
        validate_id_number(raw, today=TODAY)
    assert caught.value.code == "invalid_id_number"
    assert why in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0101234567", "0101234567"),
        ("0101234567-001", "0101234567-001"),
        ("0101234567001", "0101234567-001"),  # 13 digits without the dash: stored in the 10-3 form
        (" 0101234567 - 001 ", "0101234567-001"),
    ],
)
def test_valid_tax_codes(raw, expected):
    assert validate_tax_code(raw) == expected


@pytest.mark.parametrize(
    "raw", ["010123456", "01012345678", "0101234567-01", "0101234567-0012", "abcdefghij"]
)
def test_invalid_tax_codes(raw):
    with pytest.raises(ApplicantError) as caught:
        validate_tax_code(raw)
    assert caught.value.code == "invalid_tax_code"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),  # Viettel/VinaPhone mobile
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0389-123-456", "0389123456"),
        ("0561234567", "0561234567"),
        ("0701234567", "0701234567"),
        ("0812345678", "0812345678"),
        ("024 3825 1234", "02438251234"),  # Hà Nội landline
        ("(028) 3822 1234", "02838221234"),  # Hồ Chí Minh City landline
        ("+84 210 3846 123", "02103846123"),  # Phú Thọ landline from abroad
    ],
)
def test_valid_phones(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "091234567",  # 9 digits
        "09123456789",  # 11-digit mobile
        "0112345678",  # 01x is no longer a mobile prefix
        "0212345678",  # a landline has 11 digits
        "0612345678",  # 06 is not allocated
        "1912345678",  # no leading 0
        "+1 202 555 0100",
        "0912abc678",
    ],
)
def test_invalid_phones(raw):
    with pytest.raises(ApplicantError) as caught:
        normalise_phone(raw)
    assert caught.value.code == "invalid_phone"


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("NGUYỄN VĂN AN", "nguyen van an"),
        ("Đặng Thị Đào", "dang thi dao"),  # đ/Đ are letters of their own, not d + a mark
        ("  Trần   Thị  Bích  ", "tran thi bich"),
        ("Lê Ngọc Sơn", "le ngoc son"),
        ("Hoàng Quốc Việt", "hoang quoc viet"),
        ("Công ty TNHH Phát Đạt 12", "cong ty tnhh phat dat 12"),
        (unicodedata.normalize("NFD", "Nguyễn Văn An"), "nguyen van an"),  # combining marks fold the same
        ("", ""),
    ],
)
def test_fold(name, folded):
    assert fold(name) == folded


@pytest.mark.parametrize(
    ("number", "masked"),
    [("001099012389", "0010******89"), ("079301000123", "0793******23"), ("12345", "*****")],
)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


def test_mask_phone():
    assert mask_phone("0912345678") == "0912***678"
    assert mask_phone("02438251234") == "0243****234"


@pytest.mark.parametrize(("channel", "expected"), [(1, "in_person"), (2, "online"), (3, "by_post")])
def test_came_by_follows_the_channel(channel, expected):
    assert came_by(channel) == expected


def test_clean_applicant_normalises_and_names_each_bad_key():
    values, errors = clean_applicant(
        {"name": " Nguyễn Văn An ", "id_number": "001 099 012 389", "phone": "+84912345678", "email": ""}
    )
    assert errors == []
    assert values == {
        "applicant_name": "Nguyễn Văn An",
        "applicant_id_number": "001099012389",
        "applicant_phone": "0912345678",
        "applicant_email": "",
    }
    _values, errors = clean_applicant(
        {"kind": "robot", "phone": "123", "email": "not-an-email", "nickname": "An", "street": 5}
    )
    assert {(key, code) for key, code, _m in errors} == {
        ("kind", "invalid_choice"),
        ("phone", "invalid_phone"),
        ("email", "invalid_email"),
        ("nickname", "unknown_field"),
        ("street", "invalid"),
    }


def test_a_person_has_no_tax_code():
    _values, errors = clean_applicant({"kind": "person", "tax_code": "0101234567"})
    assert [(key, code) for key, code, _m in errors] == [("tax_code", "tax_code_for_organisations")]
    values, errors = clean_applicant({"kind": "organisation", "tax_code": "0101234567001"})
    assert errors == [] and values["applicant_tax_code"] == "0101234567-001"
