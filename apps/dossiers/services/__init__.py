"""Every write to a dossier goes through one of these functions (keyword-only, with an actor)."""

from apps.dossiers.services.corrections import correct_dossier, correct_receipt
from apps.dossiers.services.documents import record_documents
from apps.dossiers.services.facts import assign_handling_unit, rate_dossier, set_flag
from apps.dossiers.services.receipt import accept_registered_dossier, receive_dossier, register_dossier
from apps.dossiers.services.transitions import (
    complete_supplement,
    finish,
    refuse_at_intake,
    request_payment,
    request_supplement,
    return_result,
    start_processing,
    stop,
    withdraw,
)

__all__ = [
    "accept_registered_dossier",
    "assign_handling_unit",
    "complete_supplement",
    "correct_dossier",
    "correct_receipt",
    "finish",
    "rate_dossier",
    "receive_dossier",
    "record_documents",
    "refuse_at_intake",
    "register_dossier",
    "request_payment",
    "request_supplement",
    "return_result",
    "set_flag",
    "start_processing",
    "stop",
    "withdraw",
]
