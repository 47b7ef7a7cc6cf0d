"""Petition deadlines: 2 / 5 / 15 working days on the unit's calendar, and the timeliness classes."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.dossiers.timeliness import Timeliness
from apps.petitions.deadlines import LIMIT_WORKING_DAYS, Answer, classify, compute_deadlines, in_time_on
from apps.workcalendar.services import calendar_for_unit
from tests.helpers import vn

pytestmark = pytest.mark.django_db


def test_the_limits_are_the_rule_books():
    assert LIMIT_WORKING_DAYS == {Answer.REJECT: 2, Answer.REQUEST_INFO: 5, Answer.RESOLVE: 15}


# received, reject by (2 wd), ask for information by (5 wd), resolve by (15 wd)
DEADLINES = [
    pytest.param(
        vn(2026, 3, 2, 9),
        vn(2026, 3, 4, 9),
        vn(2026, 3, 9, 9),
        vn(2026, 3, 23, 9),
        id="Mon 2 Mar 09:00: plain weeks",
    ),
    pytest.param(
        vn(2026, 2, 12, 10),
        vn(2026, 2, 23, 10),  # Thu -> Fri 13 (1) -> Tết Sat 14 – Sun 22 skipped -> Mon 23 (2)
        vn(2026, 2, 26, 10),
        vn(2026, 3, 12, 10),
        id="Thu 12 Feb 10:00: Tết 2026 skipped",
    ),
    pytest.param(
        vn(2026, 2, 13, 16, 30),
        vn(2026, 2, 24, 16, 30),  # 30 min on Fri 13, then Mon 23 and Tue 24 after Tết
        vn(2026, 2, 27, 16, 30),
        vn(2026, 3, 13, 16, 30),
        id="Fri 13 Feb 16:30: last afternoon before Tết",
    ),
    pytest.param(
        vn(2026, 2, 18, 10),
        vn(2026, 2, 24, 17),  # received during Tết: counting starts Mon 23 07:00
        vn(2026, 2, 27, 17),
        vn(2026, 3, 13, 17),
        id="Wed 18 Feb (Tết): counted from Mon 23 Feb",
    ),
    pytest.param(
        vn(2026, 2, 13, 18),
        vn(2026, 2, 24, 17),  # after hours before Tết: also from Mon 23 07:00
        vn(2026, 2, 27, 17),
        vn(2026, 3, 13, 17),
        id="Fri 13 Feb 18:00: after hours, then Tết",
    ),
    pytest.param(
        vn(2026, 8, 20, 9),
        vn(2026, 8, 22, 9),  # Sat 22 Aug 2026 is a make-up working day
        vn(2026, 8, 26, 9),
        vn(2026, 9, 14, 9),  # National Day off Sat 29 Aug – Wed 2 Sep
        id="Thu 20 Aug: make-up Saturday counts, National Day skipped",
    ),
]


@pytest.mark.parametrize(("received", "reject", "info", "reply"), DEADLINES)
def test_deadlines(calendar, tree, received, reject, info, reply):
    deadlines = compute_deadlines(calendar_for_unit(tree["c1"]), received)
    assert (deadlines.reject_due_at, deadlines.info_due_at, deadlines.reply_due_at) == (reject, info, reply)


def test_receipt_stores_the_deadlines_once(receive):
    petition = receive(vn(2026, 2, 12, 10))
    assert petition.reject_due_at == vn(2026, 2, 23, 10)
    assert petition.info_due_at == vn(2026, 2, 26, 10)
    assert petition.reply_due_at == vn(2026, 3, 12, 10)
    assert petition.due_on == dt.date(2026, 3, 12)
    assert petition.received_on == dt.date(2026, 2, 12)


# answered at, due at, class
CLASSES = [
    pytest.param(vn(2026, 3, 3, 16), vn(2026, 3, 4, 9), Timeliness.EARLY, id="a day before: early"),
    pytest.param(vn(2026, 3, 4, 8), vn(2026, 3, 4, 9), Timeliness.ON_TIME, id="due day, before the hour"),
    pytest.param(vn(2026, 3, 4, 9), vn(2026, 3, 4, 9), Timeliness.ON_TIME, id="at the due instant"),
    pytest.param(vn(2026, 3, 4, 9, 1), vn(2026, 3, 4, 9), Timeliness.LATE, id="a minute late"),
    pytest.param(vn(2026, 3, 9, 8), vn(2026, 3, 4, 9), Timeliness.LATE, id="days late"),
    pytest.param(
        vn(2026, 3, 4, 1, 30).astimezone(dt.UTC),
        vn(2026, 3, 4, 9),
        Timeliness.ON_TIME,
        id="UTC input judged on the local day",
    ),
]


@pytest.mark.parametrize(("answered_at", "due_at", "expected"), CLASSES)
def test_classify(answered_at, due_at, expected):
    assert classify(answered_at=answered_at, due_at=due_at) == expected


@pytest.mark.parametrize(
    ("due_on", "judged_on", "in_time"),
    [
        (dt.date(2026, 3, 23), dt.date(2026, 3, 22), True),
        (dt.date(2026, 3, 23), dt.date(2026, 3, 23), True),  # still in time on its due day
        (dt.date(2026, 3, 23), dt.date(2026, 3, 24), False),
    ],
)
def test_unanswered_in_time_on(due_on, judged_on, in_time):
    assert in_time_on(due_on=due_on, judged_on=judged_on) is in_time
