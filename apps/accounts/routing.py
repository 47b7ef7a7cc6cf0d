"""Where a dossier may be routed: the handling unit chosen at receipt, or given later by assignment.

Reception is boundary-free *inside* one top-level unit: a commune may receive a dossier that its
province's departments, the provincial one-stop centre, the province itself or another commune of the
province handles. Routing never crosses the top of the tree: a dossier received in one province is never
handled by another province, nor by a ministry, and a ministry's dossiers stay inside the ministry.

Who routes (the act itself is checked by :mod:`apps.dossiers.permissions`):

========================  ===========================================================================
clerk                     dossiers its subtree receives (at receipt, and by assigning them later)
officer                   dossiers its subtree handles (it hands them on)
administrator             either; a machine client with ``write_dossiers`` acts as one
supervisor                none (read-only); a client without ``write_dossiers`` likewise
superuser                 any dossier, still only inside the receiving unit's province
========================  ===========================================================================

and the target must lie in the province (top-level unit) of the dossier's receiving unit *and* of the
caller, so a record that predates this rule cannot be used as a bridge into another province. The bulk
ingest path has no staff user but a client subtree; it applies :func:`route_allowed` to units it has
already checked against that subtree.
"""

from __future__ import annotations

from django.utils.translation import gettext

from apps.accounts.models import User
from apps.accounts.scope import can_write, sees_everything
from apps.core.errors import ErrorCode, ScopeError
from apps.organisation.models import PATH_SEPARATOR, Unit


def top_path(unit: Unit) -> str:
    """Path of the unit's top-level ancestor (its province or ministry), e.g. ``H44/``."""
    return unit.path.split(PATH_SEPARATOR, 1)[0] + PATH_SEPARATOR


def route_allowed(receiving_unit: Unit, target: Unit) -> bool:
    """The rule every caller shares: a dossier is handled inside the province that received it."""
    return target.path.startswith(top_path(receiving_unit))


def may_route(user: User, *, receiving_unit: Unit, target: Unit) -> bool:
    """May this user make ``target`` the handling unit of a dossier received at ``receiving_unit``?"""
    if not route_allowed(receiving_unit, target):
        return False
    if sees_everything(user):
        return True
    if not can_write(user):
        return False
    return target.path.startswith(top_path(user.unit))


def check_route(user: User, *, receiving_unit: Unit, target: Unit, field: str = "handling_unit") -> None:
    """403 ``unit_out_of_scope`` on ``field`` unless :func:`may_route` allows it."""
    if not may_route(user, receiving_unit=receiving_unit, target=target):
        raise ScopeError(
            ErrorCode.UNIT_OUT_OF_SCOPE,
            gettext(
                "A dossier received at %(receiving)s may be handled only inside its own province "
                "or ministry, and only by a unit you may route to; %(target)s is not one."
            )
            % {"receiving": receiving_unit.code, "target": target.code},
            field=field,
        )
