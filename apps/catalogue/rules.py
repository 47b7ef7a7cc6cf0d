"""Which version of a procedure applies, and which time limit it gives a dossier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext

from apps.catalogue.models import Procedure, ProcedureVersion
from apps.core.errors import DomainError, ErrorCode


def version_for(procedure: Procedure, day: dt.date) -> ProcedureVersion:
    """The version in force on ``day`` (a dossier keeps the one of its receipt day)."""
    version = procedure.version_on(day)
    if version is None:
        raise DomainError(
            ErrorCode.NO_PROCEDURE_VERSION,
            gettext("Procedure %(code)s has no version in force on %(day)s.")
            % {"code": procedure.code, "day": day.isoformat()},
            field="procedure",
        )
    return version


def time_limit_for(version: ProcedureVersion, *, online: bool) -> Decimal:
    """Online dossiers get the procedure's shorter online limit when it has one."""
    if online and version.online_time_limit:
        return version.online_time_limit
    return version.time_limit
