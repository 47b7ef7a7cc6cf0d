"""Who may read and change which petitions.

Reading: petitions under the authority of any unit in the user's subtree (others answer 404, so their
existence does not leak). Writing: clerks, officers and administrators within their subtree;
supervisors read only (403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.scope import can_write, in_scope, sees_everything, visible_units
from apps.organisation.models import Unit
from apps.petitions.models import Petition


def visible_petitions(user: User, queryset: QuerySet[Petition] | None = None) -> QuerySet[Petition]:
    queryset = Petition.objects.all() if queryset is None else queryset
    if sees_everything(user):
        return queryset
    if user.unit_id is None:
        return queryset.none()
    return queryset.filter(unit_id__in=visible_units(user).values("id"))


def can_write_for(user: User, unit: Unit) -> bool:
    """Receive or act on petitions under ``unit``."""
    return can_write(user) and in_scope(user, unit)
