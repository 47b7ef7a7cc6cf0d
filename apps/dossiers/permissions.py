"""Who may read and change which dossiers.

Reading: dossiers received or handled anywhere in the user's unit subtree (others answer 404, so their
existence does not leak). Writing: clerks act on dossiers their subtree received, officers on dossiers
their subtree handles, administrators on both, supervisors on none (403).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.accounts.models import Role, User
from apps.accounts.scope import in_scope, sees_everything, visible_units
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
