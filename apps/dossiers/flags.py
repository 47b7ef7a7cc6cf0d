"""The per-dossier facts the index needs that are set by explicit actions, each one an event."""

from __future__ import annotations

from django.db import models


class Flag(models.TextChoices):
    PORTAL_SYNCED = "portal_synced", "synced to the national portal"
    INPUTS_DIGITIZED = "inputs_digitized", "input documents digitized"
    DATA_REUSED = "data_reused", "a component reused from digitized data"
    PERSONAL_STORAGE_SYNCED = "personal_storage_synced", "exchanged with the citizen's personal data store"
    APPLICANT_EID_VERIFIED = "applicant_eid_verified", "applicant authenticated with the national e-ID"
    ELECTRONIC_RESULT_ISSUED = "electronic_result_issued", "electronic result issued"
    RESULT_SIGNED = "result_signed", "result digitally signed"
    PAID_ONLINE = "paid_online", "fee paid online"
    FEE_DATA_SYNCED = "fee_data_synced", "fee data synced"
