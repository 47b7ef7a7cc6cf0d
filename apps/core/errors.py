"""Domain errors with stable, machine-readable codes.

Services raise these; the API layer turns them into the one error format. Clients branch on
``code``, never on the human-readable message.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # request-level
    MALFORMED_JSON = "malformed_json"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    THROTTLED = "throttled"
    VALIDATION_ERROR = "validation_error"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    # field-level and domain
    UNKNOWN_PROCEDURE = "unknown_procedure"
    UNKNOWN_UNIT = "unknown_unit"
    UNIT_OUT_OF_SCOPE = "unit_out_of_scope"
    RECEIVED_IN_FUTURE = "received_in_future"
    NO_PROCEDURE_VERSION = "no_procedure_version"
    OUTSIDE_CALENDAR = "outside_calendar"
    ILLEGAL_TRANSITION = "illegal_transition"
    EVENT_BEFORE_PREVIOUS = "event_before_previous"
    DUPLICATE_DOSSIER = "duplicate_dossier"
    UNKNOWN_DOSSIER = "unknown_dossier"
    UNKNOWN_PETITION = "unknown_petition"
    DUPLICATE_PETITION = "duplicate_petition"
    PETITION_NOT_ANSWERED = "petition_not_answered"
    # machine clients and ingest
    INSUFFICIENT_SCOPE = "insufficient_scope"
    TOO_MANY_ITEMS = "too_many_items"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    BATCH_REJECTED = "batch_rejected"
    RECEIPT_MISMATCH = "receipt_mismatch"
    DUPLICATE_IN_REQUEST = "duplicate_in_request"
    MALFORMED_LINE = "malformed_line"
    SOURCE_SYSTEM_FORBIDDEN = "source_system_forbidden"
    RETRY_IDENTITY_REQUIRED = "retry_identity_required"
    # hostile or out-of-range input (issue 7)
    NUL_CHARACTER = "nul_character"
    INVALID_CURSOR = "invalid_cursor"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    PERIOD_NOT_SCORED = "period_not_scored"
    # counter queues (issue 9, apps/queues)
    UNKNOWN_TICKET = "unknown_ticket"
    DUPLICATE_TICKET = "duplicate_ticket"
    UNKNOWN_COUNTER = "unknown_counter"
    UNKNOWN_STAFF = "unknown_staff"
    # the counter (issue 9)
    UNKNOWN_PARAMETER = "unknown_parameter"
    USE_CORRECT_RECEIPT = "use_correct_receipt"
    NOT_RECEIVED = "not_received"
    MISSING_MANDATORY_DOCUMENTS = "missing_mandatory_documents"
    FLAG_FROM_DOCUMENTS = "flag_from_documents"


class DomainError(Exception):
    """A business rule refused the request. ``status`` is the HTTP status the API answers."""

    status = 400

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """The request is well-formed but conflicts with the current state (HTTP 409)."""

    status = 409


class ScopeError(DomainError):
    """The user's role or unit does not cover what the request touches (HTTP 403)."""

    status = 403
