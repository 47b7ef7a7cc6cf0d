"""The per-dossier facts the index needs that are set by explicit actions, each one an event."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Flag(models.TextChoices):
    PORTAL_SYNCED = "portal_synced", _("synced to the national portal")
    INPUTS_DIGITIZED = "inputs_digitized", _("input documents digitized")
    DATA_REUSED = "data_reused", _("a component reused from digitized data")
    PERSONAL_STORAGE_SYNCED = "personal_storage_synced", _("exchanged with the citizen's personal data store")
    APPLICANT_EID_VERIFIED = "applicant_eid_verified", _("applicant authenticated with the national e-ID")
    ELECTRONIC_RESULT_ISSUED = "electronic_result_issued", _("electronic result issued")
    RESULT_SIGNED = "result_signed", _("result digitally signed")
    PAID_ONLINE = "paid_online", _("fee paid online")
    FEE_DATA_SYNCED = "fee_data_synced", _("fee data synced")
