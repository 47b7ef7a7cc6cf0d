"""The transition table, checked pair by pair against the national rules."""

import itertools

import pytest

from apps.core.errors import ConflictError
from apps.dossiers.status import ALLOWED_TRANSITIONS, Status, can_transition, check_transition

S = Status
EXPECTED = {
    (S.REGISTERED, S.RECEIVED),
    (S.REGISTERED, S.REFUSED_AT_INTAKE),
    *(
        (S.RECEIVED, t)
        for t in (
            S.PROCESSING,
            S.SUPPLEMENT_REQUESTED,
            S.FINANCIAL_OBLIGATION,
            S.WITHDRAWN,
            S.STOPPED,
            S.FINISHED,
        )
    ),
    *(
        (S.PROCESSING, t)
        for t in (S.SUPPLEMENT_REQUESTED, S.FINANCIAL_OBLIGATION, S.WITHDRAWN, S.STOPPED, S.FINISHED)
    ),
    (S.SUPPLEMENT_REQUESTED, S.PROCESSING),
    (S.SUPPLEMENT_REQUESTED, S.WITHDRAWN),
    (S.SUPPLEMENT_REQUESTED, S.STOPPED),
    *((S.FINANCIAL_OBLIGATION, t) for t in (S.PROCESSING, S.WITHDRAWN, S.STOPPED, S.FINISHED)),
    (S.FINISHED, S.RESULT_RETURNED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Status, Status)))
def test_every_pair(current, target):
    allowed = (current, target) in EXPECTED
    assert can_transition(current, target) is allowed
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(ConflictError) as caught:
            check_transition(current, target)
        assert caught.value.code == "illegal_transition"
        assert caught.value.status == 409


def test_end_states_have_no_way_out():
    for end in (S.REFUSED_AT_INTAKE, S.WITHDRAWN, S.STOPPED, S.RESULT_RETURNED):
        assert ALLOWED_TRANSITIONS[end] == frozenset()
