"""The one table of allowed petition transitions."""

from __future__ import annotations

import itertools

import pytest

from apps.core.errors import ConflictError, ErrorCode
from apps.petitions.status import ALLOWED_TRANSITIONS, PetitionStatus, can_transition, check_transition

S = PetitionStatus
ALLOWED = {
    (S.RECEIVED, S.REJECTED),
    (S.RECEIVED, S.INFO_REQUESTED),
    (S.RECEIVED, S.IN_PROGRESS),
    (S.INFO_REQUESTED, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.RESOLVED),
}


def test_every_status_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == set(PetitionStatus)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(PetitionStatus, repeat=2)))
def test_transition_table(current, target):
    allowed = (current, target) in ALLOWED
    assert can_transition(current, target) is allowed
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(ConflictError) as raised:
            check_transition(current, target)
        assert raised.value.code == ErrorCode.ILLEGAL_TRANSITION
        assert raised.value.status == 409


@pytest.mark.parametrize("final", [S.REJECTED, S.RESOLVED])
def test_final_statuses_lead_nowhere(final):
    assert ALLOWED_TRANSITIONS[final] == frozenset()
