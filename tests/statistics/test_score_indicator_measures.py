"""Each score indicator states its name, its group and the drill-down measure that lists its dossiers.

One table (apps.statistics.measures.INPUT_MEASURES) pairs score inputs with drill-down measures; these
tests hold the score, the table and the drill-down endpoint to it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.flags import Flag
from apps.scoring.inputs import COUNT_NAMES
from apps.scoring.methodology import Methodology
from apps.statistics import measures, reports, selectors
from apps.statistics.counting import CONDITIONS
from apps.statistics.measures import COMPOSITE_MEASURES, DRILL_DOWN_MEASURES, INPUT_MEASURES, measure_parts
from apps.statistics.models import COUNT_FIELDS
from apps.statistics.periods import parse
from apps.statistics.selectors import Totals, UnitRow
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
MARCH = "2026-03"


@pytest.fixture
def activity(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """March 2026: a spread of flags so that most measures count something."""
    flags = [Flag.PORTAL_SYNCED, Flag.PAID_ONLINE, Flag.APPLICANT_EID_VERIFIED]
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4, 5, 6):
            d = services.receive_dossier(
                procedure=procedure,
                receiving_unit=tree["c1" if day % 2 else "c2"],
                actor=S,
                received_at=vn(2026, 3, day, 9),
                channel=2 if day % 2 else 1,
            )
            for flag in flags[: day % 4]:
                services.set_flag(d, flag, actor=S, at=vn(2026, 3, day, 10))
            if day < 5:
                services.finish(d, actor=S, at=vn(2026, 3, day + (1 if day % 2 else 12), 9))
        services.receive_dossier(  # carried over from February, still open: in the period, overdue
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 2, 10, 9)
        )


@pytest.fixture
def supervisor(users, client_for):
    return client_for(users["supervisor_p1"])


def _score(client, code: str) -> dict:
    response = client.get(f"/api/v1/units/{code}/score/?period={MARCH}")
    assert response.status_code == 200, response.content
    return response.json()


def _list(client, code: str, measure: str) -> tuple[list[str], set[int]]:
    """Every dossier code of a drill-down, following the cursor; and the counts the pages gave."""
    url = f"/api/v1/units/{code}/dossiers/?period={MARCH}&measure={measure}&page_size=2"
    codes, counts = [], set()
    while url:
        response = client.get(url)
        assert response.status_code == 200, (measure, response.content)
        page = response.json()
        codes += [d["code"] for d in page["results"]]
        counts.add(page["count"])
        url = page["next"]
    return codes, counts


def test_the_table_names_real_inputs_and_real_measures():
    assert set(INPUT_MEASURES) <= set(COUNT_NAMES)
    assert set(INPUT_MEASURES.values()) <= set(CONDITIONS) <= set(COUNT_FIELDS)
    assert set(DRILL_DOWN_MEASURES) == set(CONDITIONS) | set(COMPOSITE_MEASURES) | set(INPUT_MEASURES)
    assert len(DRILL_DOWN_MEASURES) == len(set(DRILL_DOWN_MEASURES))
    # a name both a measure and a score input means the same dossiers either way
    assert all(INPUT_MEASURES[name] == name for name in set(INPUT_MEASURES) & set(CONDITIONS))
    assert measure_parts("dossiers_on_time") == measure_parts("on_time") == ("on_time",)
    assert measure_parts("late") == ("ended_late", "open_overdue")
    with pytest.raises(ValueError):
        measure_parts("petitions")


def test_the_table_is_what_the_score_counts_with(calendar, tree, monkeypatch):
    """Feed each aggregate a distinct number: every input that takes one is in the table, paired with it."""
    counts = {name: 1000 - index for index, name in enumerate(COUNT_FIELDS)}
    counts |= {"in_period": 2000, "received": 1900, "fee_dossiers": 1800}  # denominators above their parts

    def distinct_rows(units, *args, **kwargs):
        return {u.pk: UnitRow(Totals(counts=dict(counts)), {}) for u in units if u.pk == tree["c1"].pk}

    monkeypatch.setattr(selectors, "unit_rows", distinct_rows)
    today = reports.business_today()
    inputs = reports.scorer(tree["c1"], parse(MARCH), today).unit_score(tree["c1"]).inputs.counts()
    measure_of_value = {value: name for name, value in counts.items()}
    taken = {name: measure_of_value[value] for name, value in inputs.items() if value in measure_of_value}
    assert taken == dict(INPUT_MEASURES)


def test_every_indicator_has_a_name_a_group_and_its_measures(activity, supervisor):
    body = _score(supervisor, "P1")
    methodology = Methodology.for_date(parse(MARCH).end)
    groups = {g.code for g in methodology.groups}
    indicators = body["score"]["indicators"]
    assert [i["code"] for i in indicators] == [rule.code for rule in methodology.indicators]
    for indicator in indicators:
        rule = methodology.indicator(indicator["code"])
        assert indicator["name"], indicator
        assert indicator["group"] == rule.group and indicator["group"] in groups
        assert indicator["group_name"]
        assert indicator["measure"] == INPUT_MEASURES.get(rule.denominator)
        assert indicator["numerator_measure"] == INPUT_MEASURES.get(rule.numerator)
    by_code = {i["code"]: i for i in indicators}
    assert (by_code["PROGRESS"]["measure"], by_code["PROGRESS"]["numerator_measure"]) == (
        "in_period",
        "on_time",
    )
    assert by_code["DOSSIER_SYNC"]["measure"] == "received"
    assert by_code["ONLINE_PROCEDURES"]["measure"] is None  # counts procedures, not dossiers
    assert by_code["PETITION_PROCESSING_ON_TIME"]["measure"] is None
    assert by_code["ELECTRONIC_CERTIFIED_COPY"]["measure"] is None  # counts communes


def test_names_come_from_the_methodology_in_the_active_language(activity, supervisor, monkeypatch):
    """Whatever Methodology provides (the i18n helper adds the lookups), the score shows it."""
    monkeypatch.setattr(Methodology, "indicator_name", lambda self, code: f"indicator {code}", raising=False)
    monkeypatch.setattr(Methodology, "group_name", lambda self, code: f"group {code}", raising=False)
    body = _score(supervisor, "P1.100")
    for indicator in body["score"]["indicators"]:
        assert indicator["name"] == f"indicator {indicator['code']}"
        assert indicator["group_name"] == f"group {indicator['group']}"
    assert all(g["name"] == f"group {g['code']}" for g in body["score"]["groups"])


@pytest.mark.parametrize("language", ["vi", "en"])
def test_names_follow_the_language_of_the_request(activity, supervisor, language):
    methodology = Methodology.for_date(parse(MARCH).end)
    response = supervisor.get(f"/api/v1/units/P1/score/?period={MARCH}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    with translation.override(language):
        expected = {
            rule.code: measures.indicator_name(methodology, rule.code) for rule in methodology.indicators
        }
        groups = {g.code: measures.group_name(methodology, g.code) for g in methodology.groups}
    body = response.json()["score"]
    assert {i["code"]: i["name"] for i in body["indicators"]} == expected
    assert {i["group"]: i["group_name"] for i in body["indicators"]} == {
        i["group"]: groups[i["group"]] for i in body["indicators"]
    }
    assert {g["code"]: g["name"] for g in body["groups"]} == groups


@pytest.mark.parametrize("code", ["P1", "P1.100", "P1.101"])
def test_each_indicator_measure_lists_exactly_its_counted_dossiers(activity, supervisor, code):
    body = _score(supervisor, code)
    checked = 0
    for indicator in body["score"]["indicators"]:
        rule = Methodology.for_date(parse(MARCH).end).indicator(indicator["code"])
        for measure, count in (
            (indicator["measure"], indicator["denominator"]),
            (indicator["numerator_measure"], indicator["numerator"]),
        ):
            if measure is None:
                continue
            listed, counts = _list(supervisor, code, measure)
            assert counts == {count} == {len(listed)}, (indicator["code"], measure)
            assert len(set(listed)) == len(listed)
            checked += 1
        if indicator["measure"] is not None:
            assert body["inputs"][rule.denominator] == indicator["denominator"]
    assert checked >= 20
    assert body["inputs"]["dossiers_in_period"] > 0


def test_a_score_input_name_is_a_measure_too(activity, supervisor):
    by_input, input_counts = _list(supervisor, "P1", "dossiers_on_time")
    by_measure, measure_counts = _list(supervisor, "P1", "on_time")
    assert by_input == by_measure and input_counts == measure_counts
    assert input_counts == {_score(supervisor, "P1")["inputs"]["dossiers_on_time"]}


def test_late_lists_the_finished_late_and_the_open_overdue(activity, supervisor):
    late, counts = _list(supervisor, "P1", "late")
    ended_late, _ = _list(supervisor, "P1", "ended_late")
    overdue, _ = _list(supervisor, "P1", "open_overdue")
    assert ended_late and overdue
    assert sorted(late) == sorted(ended_late + overdue) and counts == {len(late)}
    rows = supervisor.get(f"/api/v1/units/P1/on-time/?period={MARCH}&by=unit").json()
    assert sum(r["late"] for r in rows) == len(late)  # the breakdown's column is this list's size


@pytest.mark.parametrize("measure", [*sorted(CONDITIONS), "late"])
def test_the_drill_down_count_is_the_statistics_count_without_counting_rows(activity, supervisor, measure):
    listed, counts = _list(supervisor, "P1", measure)
    assert counts == {len(listed)}
    with CaptureQueriesContext(connection) as queries:
        page = supervisor.get(f"/api/v1/units/P1/dossiers/?period={MARCH}&measure={measure}&page_size=1")
    assert page.status_code == 200 and page.json()["count"] == len(listed)
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def test_the_count_of_a_range_period_and_of_a_unit_outside_the_activity(
    activity, supervisor, users, client_for
):
    named, _ = _list(supervisor, "P1", "in_period")
    response = supervisor.get("/api/v1/units/P1/dossiers/?period=2026-03-01..2026-03-31&measure=in_period")
    assert response.status_code == 200 and response.json()["count"] == len(named)
    empty = supervisor.get(f"/api/v1/units/P1.01/dossiers/?period={MARCH}&measure=in_period").json()
    assert (empty["count"], empty["results"], empty["next"]) == (0, [], None)
    other = client_for(users["clerk_c3"]).get(f"/api/v1/units/P1/dossiers/?period={MARCH}&measure=in_period")
    assert other.status_code == 404
