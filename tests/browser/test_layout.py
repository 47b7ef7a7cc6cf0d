"""The console on a supervisor's phone (360×740) and a counter screen (1366×768): no sideways page scroll,
wide tables scroll inside their own box, the main controls on screen, finger-sized controls on the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.console_pages import COUNTER, PHONE, console_data, main_pages, open_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What a page measures in the browser: the document's width against the window's, and every table's box.
MEASURE = """() => {
  const doc = document.documentElement;
  const tables = [...document.querySelectorAll('main table')].map((t) => {
    const r = t.getBoundingClientRect();
    return {left: r.left, right: r.right, scroll: t.scrollWidth, client: t.clientWidth,
            overflowX: getComputedStyle(t).overflowX, testid: t.dataset.testid || t.className};
  });
  // The innermost elements reaching past the right edge: what to fix when the page is too wide.
  const past = [...document.body.querySelectorAll('*')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > doc.clientWidth + 1 && !el.closest('table');
  });
  const culprits = past.filter((el) => !past.some((other) => other !== el && el.contains(other)))
    .slice(0, 5).map((el) => `${el.outerHTML.slice(0, 80)} (${Math.round(el.getBoundingClientRect().right)} px)`);
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, innerWidth: window.innerWidth, tables, culprits};
}"""

#: Controls a finger uses (inline links in text and table cells are exempt, as in WCAG 2.5.8); a check
#: box counts with its label, which is part of its target.
TAP_TARGETS = """() => {
  const seen = (el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const controls = [...document.querySelectorAll(
    'main button, main input:not([type=hidden]), main select, main textarea, main nav a, header button, header a:not(.skip)')];
  return controls.filter(seen).map((el) => {
    let box = el;
    if (el.type === 'checkbox' || el.type === 'radio') {
      box = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label') || el;
    }
    const r = box.getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 90), height: r.height};
  });
}"""


@pytest.fixture
def data(live_server, calendar, tree, users, procedure):
    return console_data(tree, users, procedure)


def open_page(browser: Browser, base: str, page_spec, viewport):
    context = open_context(browser, base, page_spec.user, viewport)
    page = context.new_page()
    response = page.goto(base + page_spec.path, wait_until="networkidle")
    assert response is not None and response.status == 200, (
        f"{page_spec.name}: {response and response.status}"
    )
    return context, page


@pytest.mark.parametrize("viewport", [PHONE, COUNTER], ids=["phone-360", "counter-1366"])
def test_no_page_scrolls_sideways_and_main_controls_are_on_screen(
    live_server, data, browser: Browser, viewport
):
    problems = []
    for spec in main_pages(data):
        context, page = open_page(browser, live_server.url, spec, viewport)
        try:
            size = page.evaluate(MEASURE)
            # A phone that zoomed out to fit a too-wide page would report a wider window: it must not.
            if size["innerWidth"] != viewport["width"]:
                problems.append(
                    f"{spec.name}: window is {size['innerWidth']} px wide, not {viewport['width']}"
                )
            if size["scrollWidth"] > min(size["innerWidth"], size["clientWidth"]):
                problems.append(
                    f"{spec.name}: document {size['scrollWidth']} px wide in {size['clientWidth']} px; "
                    f"past the edge: {size['culprits']}"
                )
            for table in size["tables"]:
                if table["right"] > size["clientWidth"] + 1 or table["left"] < -1:
                    problems.append(f"{spec.name}: table {table['testid']} outside the screen ({table})")
                if table["scroll"] > table["client"] + 1 and table["overflowX"] not in ("auto", "scroll"):
                    problems.append(
                        f"{spec.name}: table {table['testid']} is wider than its box and cannot scroll"
                    )
            for selector in spec.controls:
                control = page.locator(selector).first
                if not control.is_visible():
                    problems.append(f"{spec.name}: {selector} is not visible")
                    continue
                box = control.bounding_box()
                if box["x"] < -1 or box["x"] + min(box["width"], viewport["width"]) > size["clientWidth"] + 1:
                    problems.append(f"{spec.name}: {selector} is off screen ({box})")
            if spec.user is not None and spec.name != "slip":
                for link in page.locator("header nav a").all():
                    box = link.bounding_box()
                    if not link.is_visible() or box["x"] + box["width"] > size["clientWidth"] + 1:
                        problems.append(f"{spec.name}: menu link {link.inner_text()!r} is off screen")
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_phone_controls_are_finger_sized(live_server, data, browser: Browser):
    problems = []
    # The slip is the API's printable page, not a console screen: it has no controls of its own to tap.
    for spec in [s for s in main_pages(data) if s.name != "slip"]:
        context, page = open_page(browser, live_server.url, spec, PHONE)
        try:
            targets = page.evaluate(TAP_TARGETS)
            assert targets, f"{spec.name}: no controls found"
            problems += [
                f"{spec.name}: {t['height']:.0f} px {t['what']}" for t in targets if t["height"] < 43.5
            ]
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_a_wide_table_scrolls_inside_its_box_on_a_phone(live_server, data, browser: Browser):
    spec = next(s for s in main_pages(data) if s.name == "drill-down")
    context, page = open_page(browser, live_server.url, spec, PHONE)
    try:
        table = page.get_by_test_id("dossiers")
        widths = table.evaluate("t => ({scroll: t.scrollWidth, client: t.clientWidth})")
        assert widths["scroll"] > widths["client"]  # seven columns do not fit in 360 px
        table.evaluate("t => { t.scrollLeft = 200; }")
        assert table.evaluate("t => t.scrollLeft") > 0  # the table moved inside its box...
        assert page.evaluate("() => window.scrollX") == 0  # ...and the page did not
    finally:
        context.close()


def test_phone_forms_are_one_column_and_the_menu_wraps(live_server, data, browser: Browser):
    spec = next(s for s in main_pages(data) if s.name == "receive")
    context, page = open_page(browser, live_server.url, spec, PHONE)
    try:
        main_width = page.locator("main").bounding_box()["width"]
        for field in ("applicant_name", "applicant_id_number", "applicant_phone"):
            label = page.locator(f'label[for="id_{field}"]').bounding_box()
            box = page.locator(f"#id_{field}").bounding_box()
            assert label["y"] + label["height"] <= box["y"] + 1  # the label above its field, not beside it
            assert box["width"] >= 0.8 * main_width  # the field takes the column's width
        header = page.locator("header.top").bounding_box()
        brand = page.locator("header .brand").bounding_box()
        assert header["height"] > brand["height"] * 2  # the header's items went onto several lines
        for item in page.locator("header nav a, header button").all():
            box = item.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()
