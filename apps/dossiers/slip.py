"""The receipt and appointment slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả): its data, then its page.

:func:`slip_data` gathers what the slip shows, so the API's printable page and the web console's page
render the same facts; :func:`render_slip` turns them into HTML with print styles.

``documents`` lists what the dossier's records say was received; a dossier recorded without them (an
external system that sends none) shows a blank table the clerk can fill in by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import segno
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from apps.dossiers.applicant import ApplicantKind, came_by
from apps.dossiers.models import Dossier, DossierEvent, EventKind
from apps.dossiers.timeliness import BUSINESS_TZ


@dataclass(frozen=True)
class SlipDocument:
    name: str
    form: str
    count: int
    digitized: bool = False


@dataclass(frozen=True)
class SlipData:
    unit_name: str
    unit_code: str
    code: str
    applicant_kind: str
    applicant_name: str
    applicant_id_number: str
    applicant_tax_code: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    came_by: str
    procedure_code: str
    procedure_name: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    clerk: str
    qr_payload: str
    qr_svg: SafeString
    documents: list[SlipDocument] = field(default_factory=list)
    missing_documents_reason: str = ""

    @property
    def is_organisation(self) -> bool:
        return self.applicant_kind == ApplicantKind.ORGANISATION


def qr_svg(payload: str) -> SafeString:
    """An inline SVG QR code of ``payload`` (medium error correction, survives a worn print)."""
    code = segno.make(payload, error="m", micro=False)
    return mark_safe(code.svg_inline(scale=4, border=2, title=payload))


def _clerk(dossier: Dossier) -> str:
    """Who received it: the user of the receipt event (an accepted online submission: who accepted)."""
    event = (
        DossierEvent.objects.filter(dossier=dossier, kind=EventKind.RECEIVED)
        .select_related("actor_user")
        .order_by("-occurred_at", "-id")
        .first()
    )
    user = event.actor_user if event is not None else dossier.created_by
    if user is not None:
        return user.get_full_name() or user.get_username()
    return (event.actor_system if event is not None else "") or dossier.created_by_system


def slip_data(dossier: Dossier) -> SlipData:
    """The slip's facts for one dossier (read with ``with_related``; the caller checks scope)."""
    address = ", ".join(
        part
        for part in (dossier.applicant_street, dossier.applicant_commune, dossier.applicant_province)
        if part
    )
    local = lambda instant: instant.astimezone(BUSINESS_TZ) if instant else None  # noqa: E731
    return SlipData(
        unit_name=dossier.receiving_unit.name,
        unit_code=dossier.receiving_unit.code,
        code=dossier.code,
        applicant_kind=dossier.applicant_kind,
        applicant_name=dossier.applicant_name,
        applicant_id_number=dossier.applicant_id_number,
        applicant_tax_code=dossier.applicant_tax_code,
        applicant_phone=dossier.applicant_phone,
        applicant_email=dossier.applicant_email,
        applicant_address=address,
        came_by=came_by(dossier.channel).label,
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure_version.name,
        received_at=local(dossier.received_at),
        due_at=local(dossier.effective_due_at or dossier.legal_due_at),
        clerk=_clerk(dossier),
        qr_payload=dossier.code,
        qr_svg=qr_svg(dossier.code),
        documents=[
            SlipDocument(name=d.name, form=d.get_form_display(), count=d.quantity, digitized=d.digitized)
            for d in dossier.documents.order_by("position")
        ],
        missing_documents_reason=dossier.missing_documents_reason,
    )


def render_slip(data: SlipData) -> str:
    """The printable page (A5/A4 portrait, print styles; labels in the active language)."""
    return render_to_string("dossiers/slip.html", {"slip": data})
