"""Screenshots of the web console's main pages at 1366×768, for the README (docs/screenshots/).

Run against the demo (``./bin/demo`` in another terminal), with Debian's Chromium:

    .venv/bin/python scripts/console_screenshots.py [--base http://127.0.0.1:8000] [--out docs/screenshots]

It signs in as the demo supervisor and clerk (password ``demo``), opens the overview (its first screen, its
panels and on a 360 px phone), the what-if page with one target set, a drill-down list,
the reception desk, a receipt form, receives one dossier (the demo database gains it) and its slip, and
prints each page's load time. Playwright's own browser download is never used.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}


def timed(page: Page, url: str) -> None:
    started = time.perf_counter()
    page.goto(url)
    print(f"{(time.perf_counter() - started) * 1000:7.0f} ms  {url}")


def sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/signin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("demo")
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport=VIEWPORT, locale="vi-VN")
        timed(page, f"{args.base}/signin/")
        page.screenshot(path=str(out / "signin.png"))

        sign_in(page, args.base, "supervisor")
        timed(page, f"{args.base}/console/units/H44/?period=2026-11")
        page.wait_for_load_state("networkidle")  # the trend, open lists, queues and workload panels
        page.screenshot(path=str(out / "overview.png"))
        page.get_by_test_id("trend").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "overview-panels.png"))
        phone = browser.new_page(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
        phone.context.add_cookies(page.context.cookies())
        timed(phone, f"{args.base}/console/units/H44/?period=2026-11")
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=str(out / "overview-phone.png"))
        phone.close()
        timed(page, f"{args.base}/console/units/H44/what-if/?period=2026-11")
        page.locator('input[name^="target_"]').first.fill("100")
        page.locator("#what-if-submit").click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "what-if.png"))
        timed(page, f"{args.base}/console/units/H44/?period=2026-11")
        late = page.get_by_test_id("on-time").locator('a[href*="measure=late"]').first
        timed(page, args.base + late.get_attribute("href"))
        page.screenshot(path=str(out / "dossiers.png"))

        sign_in(page, args.base, "clerk")
        timed(page, f"{args.base}/console/desk/?q=khai+sinh")
        page.screenshot(path=str(out / "desk.png"))
        page.get_by_test_id("procedures").locator("tbody a").first.click()
        page.locator("#id_applicant_name").fill("Lê Thị Cúc")
        page.locator("#id_applicant_id_number").fill("001099012389")
        page.locator("#id_applicant_phone").fill("0912345678")
        page.screenshot(path=str(out / "receive.png"))
        for box in page.locator('input[name="documents"]').all():
            box.check()
        page.locator("button.primary").click()
        page.wait_for_url(re.compile(r"/console/dossiers/"))
        page.screenshot(path=str(out / "dossier.png"))
        timed(page, page.url + "slip/")
        page.screenshot(path=str(out / "slip.png"))
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
