"""The one table of ticket events: which event may follow which, and what it leads to."""

from __future__ import annotations

import pytest

from apps.core.errors import ConflictError
from apps.queues.status import TicketEventKind as E
from apps.queues.status import TicketStatus as S
from apps.queues.status import can_happen, check_event

CASES = [
    # (state, event, allowed, leads to)
    (S.WAITING, E.CALLED, True, S.CALLED),
    (S.WAITING, E.NO_SHOW, True, S.NO_SHOW),
    (S.WAITING, E.STARTED, False, None),
    (S.WAITING, E.FINISHED, False, None),
    (S.WAITING, E.ISSUED, False, None),
    (S.CALLED, E.CALLED, True, S.CALLED),  # called again (same or another counter)
    (S.CALLED, E.STARTED, True, S.SERVING),
    (S.CALLED, E.FINISHED, True, S.FINISHED),  # a display that sends no "started"
    (S.CALLED, E.NO_SHOW, True, S.NO_SHOW),
    (S.SERVING, E.FINISHED, True, S.FINISHED),
    (S.SERVING, E.CALLED, False, None),
    (S.SERVING, E.NO_SHOW, False, None),
    (S.SERVING, E.STARTED, False, None),
    (S.FINISHED, E.CALLED, False, None),
    (S.FINISHED, E.FINISHED, False, None),
    (S.FINISHED, E.NO_SHOW, False, None),
    (S.FINISHED, E.STARTED, False, None),
    (S.NO_SHOW, E.NO_SHOW, False, None),
    (S.NO_SHOW, E.CALLED, False, None),
    (S.NO_SHOW, E.STARTED, False, None),
    (S.NO_SHOW, E.FINISHED, False, None),
    # a ticket is issued once: the service answers a second, different issue `duplicate_ticket`
    *[(state, E.ISSUED, False, None) for state in (S.CALLED, S.SERVING, S.FINISHED, S.NO_SHOW)],
]


@pytest.mark.parametrize(("state", "event", "allowed", "target"), CASES)
def test_event_table(state, event, allowed, target):
    assert can_happen(state, event) is allowed
    if allowed:
        assert check_event(state, event) == target
    else:
        with pytest.raises(ConflictError) as refused:
            check_event(state, event)
        assert refused.value.status == 409
        assert refused.value.code == "illegal_transition"
        assert refused.value.field == "event"


def test_every_state_and_event_is_covered():
    assert {(s, e) for s, e, *_ in CASES} == {(s, e) for s in S for e in E}
