"""What part of the organisation tree a staff user may see and act on.

A user sees their unit's subtree; superusers see everything. Unit subtrees are path-prefix queries,
so scoping any table is a ``unit_id IN (SELECT id FROM unit WHERE path LIKE 'H44/%')``.
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Role, User
from apps.organisation.models import Unit


def sees_everything(user: User) -> bool:
    return bool(user.is_superuser)


def visible_units(user: User) -> QuerySet[Unit]:
    if sees_everything(user):
        return Unit.objects.all()
    if user.unit_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=user.unit.path)


def in_scope(user: User, unit: Unit) -> bool:
    if sees_everything(user):
        return True
    return user.unit_id is not None and unit.path.startswith(user.unit.path)


def can_write(user: User) -> bool:
    """Supervisors only read; every other role writes within its scope."""
    return sees_everything(user) or (user.unit_id is not None and user.role != Role.SUPERVISOR)


def may_administer(user: User, unit: Unit) -> bool:
    """Facts the index reads about a unit (its flags, its online offerings; for a province or ministry,
    its publication decisions) are recorded by administrators of a subtree holding it, or superusers."""
    return sees_everything(user) or (user.role == Role.ADMINISTRATOR and in_scope(user, unit))
