"""Accessibility of the console in Chromium: every control named, the skip link, the keyboard order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.console_pages import COUNTER, console_data, main_pages, open_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-123456"  # tests.factories.UserFactory's

#: Controls without an accessible name, by the rules a screen reader applies first: aria-labelledby
#: (pointing at text), aria-label, a <label for> or an enclosing <label>; a button's own text counts too.
#: Also ids used twice (a <label for> then names only the first) and tabindex above 0 (breaks the order).
UNNAMED = """() => {
  const text = (el) => (el ? el.textContent.trim() : '');
  const problems = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    const named = ids.length && ids.every((id) => text(document.getElementById(id)))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.id && [...document.querySelectorAll(`label[for="${el.id}"]`)].some((l) => text(l)))
      || text(el.closest('label'))
      || (el.tagName === 'BUTTON' && text(el))
      || (el.type === 'submit' && el.value);
    if (!named) problems.push(`no label: ${el.outerHTML.slice(0, 100)}`);
  }
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) {
    if (seen[el.id]) problems.push(`id used twice: ${el.id}`);
    seen[el.id] = true;
  }
  for (const el of document.querySelectorAll('[tabindex]')) {
    if (el.tabIndex > 0) problems.push(`positive tabindex: ${el.outerHTML.slice(0, 80)}`);
  }
  return problems;
}"""

#: What has the keyboard focus, in a form a test can compare, and whether the focus can be seen.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const what = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className}${el.value ? '=' + el.value : ''}`;
  return {what, outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0};
}"""


@pytest.fixture
def data(live_server, calendar, tree, users, procedure):
    return console_data(tree, users, procedure)


def test_every_control_on_the_main_pages_has_an_accessible_name(live_server, data, browser: Browser):
    problems = []
    for spec in main_pages(data):
        context = open_context(browser, live_server.url, spec.user, COUNTER)
        try:
            page = context.new_page()
            response = page.goto(live_server.url + spec.path, wait_until="networkidle")
            assert response is not None and response.status == 200, spec.name
            controls = page.locator("input:not([type=hidden]), select, textarea, button").count()
            found = page.evaluate(UNNAMED)
            problems += [f"{spec.name}: {problem}" for problem in found]
            # The check ran over real controls: every page but the printable slip has some.
            assert controls > 0 or spec.name == "slip", f"{spec.name}: no controls found"
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_skip_link_is_the_first_stop_and_moves_the_focus_into_the_content(
    live_server, data, browser: Browser
):
    spec = next(s for s in main_pages(data) if s.name == "overview")
    context = open_context(browser, live_server.url, spec.user, COUNTER)
    try:
        page = context.new_page()
        page.goto(live_server.url + spec.path, wait_until="networkidle")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0  # shown on screen once focused
        expect(skip).to_have_text(re.compile(r"\S"))
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#main$"))
        expect(page.locator("main")).to_be_focused()
        page.keyboard.press("Tab")  # the next stop is the content's first control, not the header's
        assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
        assert page.evaluate("() => document.activeElement !== document.querySelector('main')")
    finally:
        context.close()


def test_the_keyboard_reaches_the_sign_in_fields_and_button_in_order(live_server, data, page: Page):
    page.goto(live_server.url + "/signin/", wait_until="networkidle")
    expect(page.locator("#id_username")).to_be_focused()  # ready to type on arrival
    # From the top of the page, Tab by Tab.
    page.locator("a.skip").focus()
    order = [page.evaluate(FOCUSED)]
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED))
        if order[-1]["what"].startswith("button.primary"):
            break
    stops = [stop["what"] for stop in order]
    assert stops[0] == "a.skip"
    fields = [stops.index("#id_username"), stops.index("#id_password"), len(stops) - 1]
    assert fields == sorted(fields) and fields[1] == fields[0] + 1 and fields[2] == fields[1] + 1, stops
    assert stops[-1].startswith("button.primary"), stops  # the submit button comes right after the password
    unseen = [stop["what"] for stop in order if not stop["outline"]]
    assert unseen == [], f"focus not visible on {unseen}"
    # And the form works from the keyboard alone.
    page.locator("#id_username").focus()
    page.keyboard.type("supervisor_p1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/units/P1/$"))
