"""The supervisor overview's panels against the API's JSON for the same unit and period, the htmx
fragments (the on-time switch, the period switch), the lists of open dossiers and the SVG chart."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from apps.console.charts import line_chart
from apps.console.overview import LIST_ROWS, movers
from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import due_soon_q, overdue_now_q
from apps.organisation.models import UnitKind
from apps.queues import services as queue_services
from apps.queues.models import Counter
from tests.factories import UnitFactory, UserFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")
NOVEMBER = "2026-11"
HTMX = {"HTTP_HX_REQUEST": "true"}


class _Tables(HTMLParser):
    """Each ``<table data-testid=…>``'s rows as lists of cell texts (header cells included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-testid"):
            self._table = attrs["data-testid"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def body_rows(table: list[list[str]], header_rows: int = 1) -> list[list[str]]:
    return table[header_rows:]


def number(text: str) -> str:
    """English page numbers as the API writes them (no thousands separators in these small figures)."""
    return text.replace(",", "")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def activity(calendar, tree, procedure, django_capture_on_commit_callbacks):
    """November 2026 in P1: c1 finishes three dossiers on time, c2 has one open and overdue, and c1 has
    open dossiers due in 4 hours (due soon) and in 30 hours (not yet)."""
    with django_capture_on_commit_callbacks(execute=True):
        for day in (2, 3, 4):
            d = services.receive_dossier(
                procedure=procedure,
                receiving_unit=tree["c1"],
                actor=S,
                received_at=vn(2026, 11, day, 9),
                applicant_name="Nguyễn Văn An",
            )
            services.finish(d, actor=S, at=vn(2026, 11, day + 1, 9))
        services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c2"], actor=S, received_at=vn(2026, 11, 2, 9)
        )
        soon = [
            services.receive_dossier(
                procedure=procedure,
                receiving_unit=tree["c1"],
                actor=S,
                received_at=vn(2026, 11, 23, 8),
                applicant_name=name,
            )
            for name in ("Lê Văn Sớm", "Lê Văn Muộn")
        ]
    # The due instants are placed around the frozen clock by hand: only the lists of open dossiers read
    # them here, and they read the stored column, as the API's ?due_soon=true does.
    now = timezone.now()
    Dossier.objects.filter(pk=soon[0].pk).update(effective_due_at=now + dt.timedelta(hours=4))
    Dossier.objects.filter(pk=soon[1].pk).update(effective_due_at=now + dt.timedelta(hours=30))


@pytest.fixture
def tickets(tree, calendar):
    """A centre under P1 with two counters and five tickets in November: waits 1, 15, 16 and 20
    minutes, one no-show; handling 10, 30, 31 and 20 minutes."""
    centre = UnitFactory(code="P1.TT", kind=UnitKind.CENTRE, parent=tree["p1"], name="Trung tâm")
    for n in (1, 2):
        Counter.objects.create(unit=centre, number=n, name=f"Desk {n}")
    UserFactory(username="an", unit=centre)
    start = vn(2026, 11, 17, 8)

    def event(ticket, kind, at, **fields):
        data = queue_services.EventData(ticket=ticket, event=kind, at=at, **fields)
        queue_services.record_event(data, source_system="kiosk", scope_path=centre.path, actor=S)

    visits = [
        ("A", 60, 600, 1),
        ("B", 900, 1800, 1),
        ("C", 901, 1860, 2),
        ("D", 300, None, 2),
        ("F", 1200, 1200, 1),
    ]
    for index, (name, wait, handling, counter) in enumerate(visits):
        at = start + dt.timedelta(minutes=10 * index)
        event(name, "issued", at, unit=centre.code)
        called = at + dt.timedelta(seconds=wait)
        event(name, "called", called, counter=counter, staff="an")
        if handling is None:
            event(name, "no_show", called + dt.timedelta(minutes=2))
        else:
            event(name, "started", called + dt.timedelta(seconds=30))
            event(name, "finished", called + dt.timedelta(seconds=30 + handling))
    return centre


def panel(client: Client, name: str, query: dict):
    """A panel the overview loads after itself, as htmx fetches it (the fragment alone)."""
    response = client.get(f"/console/units/P1/panels/{name}/", query, **HTMX, HTTP_HX_TARGET=f"panel-{name}")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    return response


def api(client_for, user, url: str):
    response = client_for(user).get(url)
    assert response.status_code == 200, response.content
    return response.json()


# ---- the whole page against the API --------------------------------------------------------------


def test_ranking_movers_and_streak_are_the_apis(activity, users, client_for):
    html = signed_in(users["supervisor_p1"]).get("/console/units/P1/", {"period": NOVEMBER, "lang": "en"})
    assert html.status_code == 200
    page = html.content.decode()
    data = api(client_for, users["supervisor_p1"], f"/api/v1/units/P1/rankings/?period={NOVEMBER}")
    ranking = body_rows(tables(page)["ranking"])
    assert [row[1].split()[-1] for row in ranking] == [r["unit"] for r in data["rows"]]
    for shown, row in zip(ranking, data["rows"], strict=True):
        delta = Decimal(row["delta"])
        expected = "±0" if delta == 0 else f"{'+' if delta > 0 else '−'}{abs(delta)}"
        assert shown[2] == row["total"] and shown[4] == expected
    # Movers: every unit that rose is listed with its delta and a plus sign, biggest first.
    risen = sorted((r for r in data["rows"] if Decimal(r["delta"]) > 0), key=lambda r: -Decimal(r["delta"]))
    rises = page[page.index('data-testid="rises"') : page.index('data-testid="falls"')]
    for row in risen[:3]:
        assert f"+{Decimal(row['delta'])}" in rises
    assert rises.count("<li>") == min(3, len(risen))
    streak = data["summary"]["first_streak"]
    leader = next(r for r in data["rows"] if r["rank"] == 1)
    if streak is None:
        assert 'data-testid="streak"' not in page
    else:
        assert streak["unit"] == leader["unit"]
        shown = re.search(r'data-testid="streak"><strong>([^<]+)</strong>', page)[1]
        assert str(streak["periods"]) in shown or streak["periods"] == 1


def test_trend_chart_and_table_are_the_apis_months(activity, users, client_for):
    page = panel(signed_in(users["supervisor_p1"]), "trend", {"period": NOVEMBER}).content.decode()
    data = api(client_for, users["supervisor_p1"], "/api/v1/units/P1/trend/?kind=month&count=12")
    rows = body_rows(tables(page)["trend-table"])
    assert [r[0] for r in rows] == [p["period"]["key"] for p in data]
    assert [r[1] for r in rows] == [p["total"].replace(".", ",") for p in data]  # Vietnamese decimal comma
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert '<title id="trend-title">' in svg and '<desc id="trend-desc">' in svg
    assert 'aria-labelledby="trend-title trend-desc"' in svg
    assert svg.count('<circle class="point"') == len(data)
    # Every point carries its value as text, so the chart never depends on reading the line.
    for point in data:
        assert f">{point['total'].replace('.', ',')}</text>" in svg


def test_a_week_shows_twelve_weeks(activity, users, client_for):
    page = panel(signed_in(users["supervisor_p1"]), "trend", {"lang": "en"}).content.decode()
    data = api(client_for, users["supervisor_p1"], "/api/v1/units/P1/trend/?kind=week&count=12")
    assert [r[0] for r in body_rows(tables(page)["trend-table"])] == [p["period"]["key"] for p in data]
    assert data[-1]["period"]["key"] == "2026-W48" and "week by week" in page


def test_on_time_by_unit_is_the_apis_with_links(activity, users, client_for):
    page = signed_in(users["supervisor_p1"]).get("/console/units/P1/", {"period": NOVEMBER}).content.decode()
    data = api(
        client_for,
        users["supervisor_p1"],
        f"/api/v1/units/P1/on-time/?period={NOVEMBER}&by=unit&ordering=rate",
    )
    rows = body_rows(tables(page)["on-time"])
    assert [r[0].split()[-1] for r in rows] == [r["key"] for r in data]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (str(d["in_period"]), str(d["on_time"]), str(d["late"])) for d in data
    ]


@pytest.mark.parametrize("dimension", ["procedure", "field"])
def test_the_on_time_switch_answers_htmx_with_the_panel_only(activity, users, client_for, dimension):
    supervisor = signed_in(users["supervisor_p1"])
    query = {"period": NOVEMBER, "dimension": dimension, "lang": "en"}
    partial = supervisor.get("/console/units/P1/", query, **HTMX, HTTP_HX_TARGET="on-time-panel")
    assert partial.status_code == 200 and "HX-Request" in partial["Vary"]
    html = partial.content.decode()
    assert "<html" not in html and "score-heading" not in html and 'id="trend-heading"' not in html
    assert html.count('id="on-time-panel"') == 1 and f'data-dimension="{dimension}"' in html
    assert (
        f'id="dimension-{dimension}" href="/console/units/P1/?period={NOVEMBER}&amp;dimension={dimension}"'
        in html
    )
    assert 'aria-current="true">' in html
    # The period controls come along out of band, their links now keeping the new dimension.
    assert 'id="overview-controls" class="controls" hx-swap-oob="true"' in html
    assert f"dimension={dimension}" in html[html.index("period-previous") :]
    data = api(
        client_for,
        users["supervisor_p1"],
        f"/api/v1/units/P1/on-time/?period={NOVEMBER}&by={dimension}&ordering=rate",
    )
    rows = body_rows(tables(html)["on-time"])
    assert rows and [(r[1], r[2], r[3]) for r in rows] == [
        (str(d["in_period"]), str(d["on_time"]), str(d["late"])) for d in data
    ]
    for row, item in zip(rows, data, strict=True):
        assert item["key"] in row[0]
    # Without htmx (no JavaScript, a reload) the same URL is the whole page with that panel.
    whole = supervisor.get("/console/units/P1/", query).content.decode()
    assert "<html" in whole and 'id="score-heading"' in whole and f'data-dimension="{dimension}"' in whole


def test_the_period_switch_answers_htmx_with_the_main_content(activity, users):
    supervisor = signed_in(users["supervisor_p1"])
    partial = supervisor.get(
        "/console/units/P1/", {"period": NOVEMBER}, **HTMX, HTTP_HX_TARGET="overview-main"
    )
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html and "<body" not in html
    assert html.startswith("<title>") and 'id="score-heading"' in html and 'id="on-time-panel"' in html
    assert f'id="lang-next" value="/console/units/P1/?period={NOVEMBER}" hx-swap-oob="true"' in html
    # The same moment as a week, month, quarter or year; the month is the one shown.
    kinds = html[html.index('data-testid="period-kinds"') :]
    for key in ("2026-W48", "2026-11", "2026-Q4", "2026"):
        assert f'href="/console/units/P1/?period={key}"' in kinds
    assert re.search(r'period=2026-11" hx-get="[^"]+" aria-current="page"', kinds)
    assert 'href="/console/units/P1/?period=2026-10"' in html  # previous period
    assert "period=2026-12" not in html  # December has not started
    # A history restore (htmx's cache missed) needs the whole page.
    restore = supervisor.get(
        "/console/units/P1/", {"period": NOVEMBER}, **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"dimension": "planet"}, {"kind": "planet"}, {"period": "2026-W99"}, {"period": "2030"}],
)
def test_bad_choices_answer_400(users, query):
    supervisor = signed_in(users["supervisor_p1"])
    whole = supervisor.get("/console/units/P1/", query)
    assert whole.status_code == 400 and "<html" in whole.content.decode()
    partial = supervisor.get("/console/units/P1/", query, **HTMX, HTTP_HX_TARGET="overview-main")
    assert partial.status_code == 400 and "<html" not in partial.content.decode()
    assert partial["HX-Retarget"] == "#overview-alert" and partial["HX-Push-Url"] == "false"
    assert 'data-testid="refused"' in partial.content.decode()


def test_a_unit_outside_the_scope_is_not_found(users):
    clerk = signed_in(users["clerk_c1"])
    for url in (
        "/console/units/P1/",
        "/console/units/P1/open/?state=overdue",
        "/console/units/P2.100/open/?state=due_soon",
    ):
        assert clerk.get(url).status_code == 404, url
        assert clerk.get(url, **HTMX, HTTP_HX_TARGET="on-time-panel").status_code == 404, url


# ---- open dossiers ---------------------------------------------------------------------------------


def test_overdue_and_due_soon_lists_are_the_apis(activity, users, client_for):
    page = panel(signed_in(users["supervisor_p1"]), "open", {"period": NOVEMBER}).content.decode()
    found = tables(page)
    for state, flag in (("overdue", "overdue"), ("due_soon", "due_soon")):
        data = api(client_for, users["supervisor_p1"], f"/api/v1/dossiers/?unit=P1&{flag}=true")["results"]
        shown = [row[0] for row in body_rows(found[f"open-{state}-rows"])]
        assert sorted(shown) == sorted(d["code"] for d in data) and len(shown) == 1
        count = re.search(rf'data-testid="open-{state}-count">(\d+)</a>', page)[1]
        assert int(count) == len(data)
    overdue_code = Dossier.objects.get(receiving_unit__code="P1.101").code
    soon_code = Dossier.objects.get(applicant_name="Lê Văn Sớm").code
    assert overdue_code in page and soon_code in page
    assert Dossier.objects.get(applicant_name="Lê Văn Muộn").code not in page  # due in 30 hours


def test_the_full_open_list_pages_and_validates(activity, users, tree, procedure, settings):
    supervisor = signed_in(users["supervisor_p1"])
    response = supervisor.get("/console/units/P1/open/", {"state": "overdue", "lang": "en"})
    html = response.content.decode()
    assert response.status_code == 200 and "Overdue dossiers" in html
    codes = [row[0] for row in body_rows(tables(html)["dossiers"])]
    assert codes == [Dossier.objects.get(receiving_unit__code="P1.101").code]
    assert 'data-testid="count">1 open dossier' in html
    assert supervisor.get("/console/units/P1/open/", {"state": "late"}).status_code == 400
    assert supervisor.get("/console/units/P1/open/").status_code == 400
    assert supervisor.get("/console/units/P1/open/", {"state": "overdue", "page": "x"}).status_code == 400
    assert supervisor.get("/console/units/P1/open/", {"state": "overdue", "page": "2"}).status_code == 400
    # A commune's own list holds only its subtree's dossiers.
    commune = supervisor.get("/console/units/P1.100/open/", {"state": "overdue"}).content.decode()
    assert "No dossiers." in commune or 'data-testid="count">0' in commune


def test_the_overview_shows_ten_rows_and_links_the_rest(calendar, tree, procedure, users):
    for day in range(LIST_ROWS + 2):
        services.receive_dossier(procedure=procedure, receiving_unit=tree["c2"], actor=S,
                                 received_at=vn(2026, 10, 1 + day, 9))  # fmt: skip
    overdue = Dossier.objects.filter(overdue_now_q())
    assert overdue.count() == LIST_ROWS + 2
    supervisor = signed_in(users["supervisor_p1"])
    page = panel(supervisor, "open", {}).content.decode()
    assert len(body_rows(tables(page)["open-overdue-rows"])) == LIST_ROWS
    assert re.search(
        r'href="/console/units/P1/open/\?state=overdue" data-testid="open-overdue-count">12</a>', page
    )
    full = supervisor.get("/console/units/P1/open/", {"state": "overdue"}).content.decode()
    codes = [row[0] for row in body_rows(tables(full)["dossiers"])]
    expected = overdue.order_by("effective_due_at", "id").values_list("code", flat=True)
    assert codes == list(expected)  # soonest due (most overdue) first


def test_due_soon_selector_and_api_filter(activity, users, client_for):
    now = timezone.now()
    soon = Dossier.objects.get(applicant_name="Lê Văn Sớm")
    later = Dossier.objects.get(applicant_name="Lê Văn Muộn")
    assert list(Dossier.objects.filter(due_soon_q(now))) == [soon]
    assert list(Dossier.objects.filter(due_soon_q(now, within=dt.timedelta(hours=31))).order_by("id")) == [
        soon,
        later,
    ]
    # A paused dossier's clock stands still: not due soon; an overdue one is never due soon either.
    Dossier.objects.filter(pk=soon.pk).update(paused_since=now)
    assert not Dossier.objects.filter(due_soon_q(now)).exists()
    Dossier.objects.filter(pk=soon.pk).update(
        paused_since=None, effective_due_at=now - dt.timedelta(minutes=1)
    )
    assert not Dossier.objects.filter(due_soon_q(now)).exists()
    assert Dossier.objects.filter(overdue_now_q(now), pk=soon.pk).exists()
    Dossier.objects.filter(pk=soon.pk).update(effective_due_at=now + dt.timedelta(hours=1))
    data = api(client_for, users["supervisor_p1"], "/api/v1/dossiers/?due_soon=true")["results"]
    assert [d["code"] for d in data] == [soon.code]
    rest = api(client_for, users["supervisor_p1"], "/api/v1/dossiers/?due_soon=false&page_size=100")[
        "results"
    ]
    assert soon.code not in {d["code"] for d in rest} and later.code in {d["code"] for d in rest}
    assert client_for(users["supervisor_p1"]).get("/api/v1/dossiers/?due_soon=maybe").status_code == 400


# ---- counter queues and workload --------------------------------------------------------------------


def test_counter_queues_are_the_apis(tickets, users, client_for):
    page = panel(
        signed_in(users["supervisor_p1"]), "queues", {"period": NOVEMBER, "lang": "en"}
    ).content.decode()
    data = api(
        client_for, users["supervisor_p1"], f"/api/v1/units/P1/queue-figures/?period={NOVEMBER}&by=counter"
    )
    assert "Targets: a wait of at most 15 minutes, handling of at most 30 minutes." in page
    table = tables(page)["queues"]
    rows, total = table[2:-1], table[-1]
    assert len(rows) == len(data["rows"]) == 2

    def cells(item):
        w, h = item["waiting"], item["handling"]
        return [str(item["tickets"]), str(w["median_minutes"]), str(w["p90_minutes"]),
                f"{(Decimal(w['within_target_rate']) * 100).quantize(Decimal('0.1'))}% ({w['within_target']}/{w['count']})",
                str(h["median_minutes"]), str(h["p90_minutes"]),
                f"{(Decimal(h['within_target_rate']) * 100).quantize(Decimal('0.1'))}% ({h['within_target']}/{h['count']})"]  # fmt: skip

    for shown, item in zip(rows, data["rows"], strict=True):
        assert shown[0].startswith(item["name"]) and item["unit"] in shown[0] and shown[1:8] == cells(item)
        assert shown[8].split()[0] == str(item["no_shows"])
    assert total[1:8] == cells(data["total"]) and total[8].split()[0] == "1"
    assert data["total"]["waiting"]["median_minutes"] == 15  # waits 1, 5, 15, 16, 20


def test_workload_is_the_apis(activity, tickets, users, client_for):
    page = panel(
        signed_in(users["supervisor_p1"]), "workload", {"period": NOVEMBER, "lang": "en"}
    ).content.decode()
    data = api(client_for, users["supervisor_p1"], f"/api/v1/units/P1/workload/?period={NOVEMBER}")
    table = tables(page)["workload"]
    rows, total = table[1:-1], table[-1]
    assert [r[0].split()[-1] for r in rows] == [u["unit"] for u in data["units"]]
    for shown, item in zip([*rows, total], [*data["units"], data["total"]], strict=True):
        assert shown[2:5] == [str(item["staff"]), str(item["received"]), str(item["finished"])]
        per_staff = item["received_per_staff_per_year"]
        assert number(shown[5]) == (per_staff if per_staff is not None else "–")
        target = item["target_per_staff_per_year"]
        assert number(shown[7]) == (str(target) if target is not None else "–")
    assert "Targets, dossiers per staff member per year:" in page
    assert f"annualised over the {data['observed_days']} days" in page


# ---- speed --------------------------------------------------------------------------------------------


def test_the_overview_needs_a_bounded_number_of_queries(
    activity, tickets, users, django_assert_max_num_queries
):
    supervisor = signed_in(users["supervisor_p1"])
    supervisor.get("/console/units/P1/", {"period": NOVEMBER})  # closed periods' snapshots stored once
    for name in ("trend", "open", "queues", "workload"):
        panel(supervisor, name, {"period": NOVEMBER})
    # Most of these are the statistics' two-row version checks before a cached score is reused.
    with django_assert_max_num_queries(30):
        assert supervisor.get("/console/units/P1/", {"period": NOVEMBER}).status_code == 200
    limits = {"trend": 32, "open": 10, "queues": 10, "workload": 12}
    for name, limit in limits.items():
        with django_assert_max_num_queries(limit):
            panel(supervisor, name, {"period": NOVEMBER})
    with django_assert_max_num_queries(12):
        partial = supervisor.get("/console/units/P1/", {"period": NOVEMBER, "dimension": "field"},
                                 **HTMX, HTTP_HX_TARGET="on-time-panel")  # fmt: skip
        assert partial.status_code == 200


def test_the_slower_panels_load_after_the_page_and_work_without_javascript(activity, users):
    supervisor = signed_in(users["supervisor_p1"])
    html = supervisor.get("/console/units/P1/", {"period": NOVEMBER, "kind": "commune"}).content.decode()
    for name in ("trend", "open", "queues", "workload"):
        url = f"/console/units/P1/panels/{name}/?period={NOVEMBER}&amp;kind=commune"
        placeholder = (
            f'<section id="panel-{name}" class="panel lazy" aria-busy="true" hx-get="{url}" hx-trigger="load"'
        )
        assert placeholder in html and f'<a href="{url}">' in html
        # The fragment replaces the placeholder (same id); without htmx the link shows a page of its own.
        fragment = panel(supervisor, name, {"period": NOVEMBER, "kind": "commune"}).content.decode()
        assert fragment.lstrip().startswith(f'<section id="panel-{name}" class="panel"')
        alone = supervisor.get(f"/console/units/P1/panels/{name}/", {"period": NOVEMBER})
        assert alone.status_code == 200 and "<html" in alone.content.decode()
        assert f'id="panel-{name}" class="panel"' in alone.content.decode()
    assert supervisor.get("/console/units/P1/panels/everything/").status_code == 404
    assert supervisor.get("/console/units/P1/panels/trend/", {"period": "2026-W99"}).status_code == 400
    refused = supervisor.get(
        "/console/units/P1/panels/queues/", {"period": "x"}, **HTMX, HTTP_HX_TARGET="panel-queues"
    )
    assert refused.status_code == 400 and 'data-testid="refused"' in refused.content.decode()
    assert signed_in(users["clerk_c1"]).get("/console/units/P1/panels/trend/").status_code == 404


# ---- pure parts ---------------------------------------------------------------------------------------


def test_line_chart_geometry():
    chart = line_chart([("a", Decimal(0)), ("b", Decimal(50)), ("c", Decimal(100))], maximum=Decimal(100))
    xs = [float(p.x) for p in chart.points]
    ys = [float(p.y) for p in chart.points]
    assert xs == sorted(xs) and xs[0] == float(chart.left) and xs[-1] == float(chart.right)
    assert ys[0] == float(chart.bottom) and ys[2] == float(chart.top)
    assert ys[1] == pytest.approx((float(chart.top) + float(chart.bottom)) / 2)
    assert chart.path.startswith(f"M{chart.points[0].x},{chart.points[0].y} L")
    assert [g.value for g in chart.grid] == [0, 25, 50, 75, 100]
    assert all("," not in p.x and "," not in p.y for p in chart.points)  # SVG numbers, never localised
    single = line_chart([("only", Decimal("12.5"))], maximum=Decimal(100))
    assert single.path.startswith("M") and float(single.points[0].x) > float(single.left)
    with pytest.raises(ValueError):
        line_chart([("a", Decimal(1))], maximum=Decimal(0))


def test_movers_split_rises_and_falls():
    class U:
        def __init__(self, code):
            self.code = code

    rows = [{"unit": U(c), "delta": d} for c, d in
            [("a", Decimal(2)), ("b", Decimal(-5)), ("c", Decimal(7)), ("d", None), ("e", Decimal(0)), ("f", Decimal(-1))]]  # fmt: skip
    rises, falls = movers(rows)
    assert [r["unit"].code for r in rises] == ["c", "a"]
    assert [r["unit"].code for r in falls] == ["b", "f"]
    assert movers(rows, count=1) == ([rows[2]], [rows[1]])
