"""Who may read and change which dossiers.

Reading: dossiers received or handled anywhere in the user's unit subtree (others answer 404, so their
existence does not leak). Writing: clerks act on dossiers their subtree received, officers on dossiers
their subtree handles, administrators on both, supervisors on none (403). Where a dossier may be routed
is :mod:`apps.accounts.routing`.

Identifiers a caller chooses (a receipt code, an external id) are unique across the whole country, so a
collision with a dossier the caller cannot read would tell it that dossier exists. Each caller therefore
chooses only inside a namespace its scope owns (:func:`identifier_refusal`), and a collision can only be
with a dossier it may read anyway.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from apps.accounts.models import Role, User
from apps.accounts.scope import in_scope, sees_everything, visible_units
from apps.core.errors import DomainError, ErrorCode, ScopeError
from apps.dossiers.models import Dossier
from apps.organisation.models import Unit


def visible_dossiers(user: User, queryset: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    queryset = Dossier.objects.all() if queryset is None else queryset
    if sees_everything(user):
        return queryset
    if user.unit_id is None:
        return queryset.none()
    unit_ids = visible_units(user).values("id")
    return queryset.filter(Q(receiving_unit_id__in=unit_ids) | Q(handling_unit_id__in=unit_ids))


def can_create_at(user: User, receiving_unit: Unit) -> bool:
    if sees_everything(user):
        return True
    return user.role in (Role.CLERK, Role.ADMINISTRATOR) and in_scope(user, receiving_unit)


def can_act_on(user: User, dossier: Dossier) -> bool:
    if sees_everything(user):
        return True
    if user.unit_id is None:
        return False
    receives = in_scope(user, dossier.receiving_unit)
    handles = in_scope(user, dossier.handling_unit)
    if user.role == Role.ADMINISTRATOR:
        return receives or handles
    if user.role == Role.CLERK:
        return receives
    if user.role == Role.OFFICER:
        return handles
    return False


def code_prefix(receiving_unit: Unit) -> str:
    """Receipt codes begin with the receiving unit's code: ``H44.100-260213-…``."""
    return f"{receiving_unit.code}-"


def identifier_refusal(
    user: User, *, receiving_unit: Unit, code: str | None, source_system: str, external_id: str | None
) -> DomainError | None:
    """Why the caller may not choose these identifiers, decided without looking at whether they are taken.

    - A supplied receipt code must begin with the receiving unit's code and a dash, the shape of every
      generated code: codes of different units then never collide, so a clash can only be with a dossier
      received at a unit the caller receives at (which it can read).
    - A machine client's external ids live under its own name (``source_system_for``), where only it
      writes. A staff user's live under the source they name; a source that already carries external ids
      of dossiers outside the caller's scope belongs to someone else and is refused as a whole (403
      ``source_system_forbidden``), whether or not this particular id is taken.

    A collision that passes these checks is a ``duplicate_dossier`` of a dossier the caller can read.
    """
    if code is not None and not code.startswith(code_prefix(receiving_unit)):
        return DomainError(
            ErrorCode.VALIDATION_ERROR,
            gettext("A receipt code you choose begins with the receiving unit's code: %(prefix)s…")
            % {"prefix": code_prefix(receiving_unit)},
            field="code",
        )
    if external_id is None or sees_everything(user) or getattr(user, "machine_client", None) is not None:
        return None
    unit_ids = visible_units(user).values("id")
    foreign = Dossier.objects.filter(source_system=source_system, external_id__isnull=False).exclude(
        Q(receiving_unit_id__in=unit_ids) | Q(handling_unit_id__in=unit_ids)
    )
    if user.unit_id is None or foreign.exists():
        return ScopeError(
            ErrorCode.SOURCE_SYSTEM_FORBIDDEN,
            gettext(
                "External ids under the source `%(source)s` belong to another scope; name a source of your own."
            )
            % {"source": source_system},
            field="source_system",
        )
    return None


def can_correct_receipt(user: User, dossier: Dossier) -> bool:
    """Receipt facts fix the legal due date and the statistics: only an administrator whose subtree
    received or handles the dossier (or a superuser) corrects them. A machine client's service account,
    administrator though it is, does not: its receipts are fixed at ingest (``receipt_mismatch``)."""
    if getattr(user, "machine_client", None) is not None:
        return False
    if sees_everything(user):
        return True
    return user.role == Role.ADMINISTRATOR and can_act_on(user, dossier)
