"""The applicant as the counter records them: pure rules, free of the ORM, shared by the API and ingest.

- **Citizen identity number** (căn cước / CCCD): 12 digits. The first three are the code of the
  province of birth registration (one of the 63 codes of Circular 07/2016/TT-BCA), the fourth joins
  century and sex (0/1: 1900s male/female, 2/3: 2000s, 4/5: 2100s, …), the fifth and sixth are the last
  two digits of the birth year, and six serial digits follow. A number whose birth year lies in the
  future is refused.
- **Tax code** (mã số thuế) of an organisation: 10 digits, or 13 written ``NNNNNNNNNN-NNN`` for a branch.
- **Phone**: a Vietnamese mobile (10 digits: ``03``, ``05``, ``07``, ``08``, ``09`` + 8) or landline
  (11 digits: ``02`` + area code + number); ``+84``/``84`` and spaces, dots, dashes are accepted and the
  number is stored in its national form (``0912345678``).
- **Folded name**: lower case without diacritics, ``đ`` read as ``d``, spaces collapsed, so
  ``nguyen van an`` finds "Nguyễn Văn An" with a plain indexed prefix query on any database.

Each validator returns the normalised value or raises :class:`ApplicantError` with a stable code.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", _("organisation")


class CameBy(models.TextChoices):
    """How the applicant came, read from the dossier's channel (one fact, stored once)."""

    IN_PERSON = "in_person", _("in person")
    BY_POST = "by_post", _("by post")
    ONLINE = "online", _("online")


class ApplicantError(ValueError):
    """A value the applicant rules refuse; ``code`` is machine-readable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Province codes of the citizen identity number (Circular 07/2016/TT-BCA, 63 provinces before 2025;
# a number keeps the code of its birth registration whatever the later mergers).
PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)

_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"^0[35789]\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")
_TAX = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """A 12-digit citizen identity number: digits, a province code, a birth year not in the future."""
    number = _SEPARATORS.sub("", value or "")
    if not number.isascii() or not number.isdigit():
        raise ApplicantError("invalid_id_number", str(_("An identity number has only digits.")))
    if len(number) != 12:
        raise ApplicantError("invalid_id_number", str(_("A citizen identity number has 12 digits.")))
    if number[:3] not in PROVINCE_CODES:
        raise ApplicantError("invalid_id_number", str(_("The first three digits are not a province code.")))
    century = 1900 + 100 * (int(number[3]) // 2)
    year = century + int(number[4:6])
    if year > (today or timezone.localdate()).year:
        raise ApplicantError(
            "invalid_id_number", str(_("The century and year digits give a birth year in the future."))
        )
    return number


def validate_tax_code(value: str) -> str:
    """An organisation's tax code: 10 digits, or a branch's 13 digits stored as ``NNNNNNNNNN-NNN``."""
    match = _TAX.match(re.sub(r"\s", "", value or ""))
    if match is None:
        raise ApplicantError(
            "invalid_tax_code", str(_("A tax code has 10 digits, or 13 written as 10 digits, a dash and 3."))
        )
    head, branch = match.groups()
    return f"{head}-{branch}" if branch else head


def normalise_phone(value: str) -> str:
    """A Vietnamese mobile or landline number in national form, or :class:`ApplicantError`."""
    number = _SEPARATORS.sub("", value or "")
    if number.startswith("+84"):
        number = "0" + number[3:]
    elif number.startswith("84") and len(number) in (11, 12):
        number = "0" + number[2:]
    if not (_MOBILE.match(number) or _LANDLINE.match(number)):
        raise ApplicantError(
            "invalid_phone",
            str(_("Not a Vietnamese phone number: a mobile has 10 digits (09…), a landline 11 (02…).")),
        )
    return number


def phone_or_none(value: str) -> str | None:
    """The national form of a phone number, or None when it is none (for lookups, which never raise)."""
    try:
        return normalise_phone(value)
    except ApplicantError:
        return None


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` → ``d``, one space between words: the searchable form of a name."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(bare.casefold().split())


def mask_id_number(number: str) -> str:
    """``001099012389`` → ``0010******89``: enough to recognise, not enough to reuse."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_phone(number: str) -> str:
    """``0912345678`` → ``0912***678``."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 7) + number[-3:]


#: Keys of an applicant object (API and ingest) and the dossier column each one fills.
COLUMNS: dict[str, str] = {
    "kind": "applicant_kind",
    "name": "applicant_name",
    "id_number": "applicant_id_number",
    "tax_code": "applicant_tax_code",
    "phone": "applicant_phone",
    "email": "applicant_email",
    "province": "applicant_province",
    "commune": "applicant_commune",
    "street": "applicant_street",
}
_MAX_LENGTHS = {"name": 255, "email": 254, "province": 128, "commune": 128, "street": 255}


def clean_applicant(raw: dict) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Check an applicant object: the dossier columns of the keys present, and the errors found.

    Errors are ``(key, code, message)``; an empty string clears a value. Unknown keys are errors too,
    so a misspelt key never silently drops data. Whether a tax code fits the kind is
    :func:`kind_problem`, checked on the dossier's values once merged.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    values: dict[str, str] = {}
    errors: list[tuple[str, str, str]] = []
    for key, value in raw.items():
        if key not in COLUMNS:
            known = ", ".join(COLUMNS)
            errors.append(
                (
                    key,
                    "unknown_field",
                    str(_("Unknown applicant field; known: %(known)s.") % {"known": known}),
                )
            )
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append((key, "invalid", str(_("Expected a string."))))
            continue
        if "\x00" in value:
            errors.append((key, "nul_character", str(_("Text may not contain the NUL character."))))
            continue
        value = value.strip()
        try:
            if key == "kind":
                if value not in ApplicantKind.values:
                    raise ApplicantError("invalid_choice", str(_("Use person or organisation.")))
            elif value and key == "id_number":
                value = validate_id_number(value)
            elif value and key == "tax_code":
                value = validate_tax_code(value)
            elif value and key == "phone":
                value = normalise_phone(value)
            elif value and key == "email":
                try:
                    validate_email(value)
                except ValidationError:
                    raise ApplicantError("invalid_email", str(_("Enter a valid e-mail address."))) from None
            if key in _MAX_LENGTHS and len(value) > _MAX_LENGTHS[key]:
                raise ApplicantError(
                    "max_length", str(_("At most %(n)d characters.") % {"n": _MAX_LENGTHS[key]})
                )
        except ApplicantError as error:
            errors.append((key, error.code, error.message))
            continue
        values[COLUMNS[key]] = value
    if not errors and (
        problem := kind_problem(values.get("applicant_kind"), values.get("applicant_tax_code"))
    ):
        errors.append(problem)
    return values, errors


def kind_problem(kind: str | None, tax_code: str | None) -> tuple[str, str, str] | None:
    """A person carries no tax code here: they are identified by their identity number."""
    if kind == ApplicantKind.PERSON and tax_code:
        return (
            "tax_code",
            "tax_code_for_organisations",
            str(_("A tax code is recorded for organisations; identify a person by their identity number.")),
        )
    return None


def folded_columns(values: dict[str, str]) -> dict[str, str]:
    """The values plus the folded name whenever the name is among them (one place keeps them in step)."""
    if "applicant_name" in values:
        return {**values, "applicant_name_folded": fold(values["applicant_name"])}
    return values


def came_by(channel: int) -> CameBy:
    """How the applicant came, from the dossier's channel (1 counter, 2 online, 3 postal)."""
    return {2: CameBy.ONLINE, 3: CameBy.BY_POST}.get(int(channel), CameBy.IN_PERSON)
