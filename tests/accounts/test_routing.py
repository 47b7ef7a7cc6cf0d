"""The routing rule on its own: who may make which unit a dossier's handling unit (apps/accounts/routing.py)."""

from __future__ import annotations

import pytest

from apps.accounts.models import Role
from apps.accounts.routing import may_route, route_allowed, top_path
from apps.organisation.models import UnitKind
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(tree):
    ministry = UnitFactory(code="G01.BTP", kind=UnitKind.MINISTRY)
    return {
        **tree,
        "ministry": ministry,
        "ministry_desk": UnitFactory(code="G01.BTP.01", kind=UnitKind.DEPARTMENT, parent=ministry),
        "centre": UnitFactory(code="P1.TTHCC", kind=UnitKind.CENTRE, parent=tree["p1"]),
    }


def test_the_top_of_a_unit_is_its_province_or_ministry(units):
    assert top_path(units["c1"]) == "P1/"
    assert top_path(units["p1"]) == "P1/"
    assert top_path(units["ministry_desk"]) == "G01.BTP/"


# (receiving unit, target, allowed): the rule every caller shares
SHARED = [
    ("c1", "c1", True),
    ("c1", "c2", True),  # another commune of the province
    ("c1", "dept", True),  # a department
    ("c1", "centre", True),  # the provincial one-stop centre
    ("c1", "p1", True),  # the province itself
    ("c1", "c3", False),  # another province's commune
    ("c1", "p2", False),
    ("c1", "ministry", False),
    ("c1", "ministry_desk", False),
    ("ministry", "ministry_desk", True),  # a ministry's dossiers stay in the ministry
    ("ministry_desk", "p1", False),
]


@pytest.mark.parametrize(("receiving", "target", "allowed"), SHARED)
def test_a_dossier_is_handled_inside_the_province_that_received_it(units, receiving, target, allowed):
    assert route_allowed(units[receiving], units[target]) is allowed


# (role, user's unit, receiving unit, target, allowed)
BY_ROLE = [
    ("clerk", "c1", "c1", "c2", True),
    ("officer", "dept", "c1", "c2", True),
    ("administrator", "p1", "c1", "centre", True),
    ("supervisor", "p1", "c1", "c1", False),  # reads only
    ("clerk", "c1", "c1", "c3", False),
    ("administrator", "p1", "c1", "ministry", False),
    # a dossier left by an earlier rule in another province cannot bridge into it
    ("officer", "c1", "c3", "c3", False),
    ("superuser", None, "c1", "c2", True),
    ("superuser", None, "c1", "c3", False),  # the province boundary binds everyone
    ("clerk", None, "c1", "c1", False),  # a user without a unit routes nothing
]


@pytest.mark.parametrize(("role", "unit", "receiving", "target", "allowed"), BY_ROLE)
def test_who_may_route(units, role, unit, receiving, target, allowed):
    if role == "superuser":
        user = UserFactory(username="root", unit=None, role=Role.ADMINISTRATOR, is_superuser=True)
    else:
        user = UserFactory(username=f"u_{role}", unit=units[unit] if unit else None, role=role)
    assert may_route(user, receiving_unit=units[receiving], target=units[target]) is allowed
