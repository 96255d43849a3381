"""The two journeys in Debian's Chromium (Playwright with the system browser, never `playwright install`), on
PostgreSQL, through a real server on loopback. Screenshots go to /tmp/inclusive-check-screens (outside the
checkout): 1-5 the filer's, 6-9 the supervisor's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from portal_helpers import PASSWORD, PERIOD, ZS, breach_bytes, serving, zs_bytes

SCREENS = Path("/tmp/inclusive-check-screens")


@pytest.fixture
def browser_page(chromium: str) -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def sign_in(page: Any, base: str, name: str) -> None:
    page.goto(base + "/login?lang=en")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_filer_and_supervisor_journeys_in_chromium(pg_store: Any, browser_page: Any, tmp_path: Path) -> None:
    from inclusive_check.portal import service
    from inclusive_check.portal.app import create_app

    # Playwright's assertions wait for the page a click leads to (a bare is_visible() reads it at once).
    expect = pytest.importorskip("playwright.sync_api").expect
    SCREENS.mkdir(parents=True, exist_ok=True)
    app = create_app(pg_store.url.render_as_string(hide_password=False))
    engine = app.state.portal.engine
    service.create_user(engine, "zs", "filer", ZS, PASSWORD)
    service.create_user(engine, "sup", "supervisor", None, PASSWORD)
    (tmp_path / "breach.json").write_bytes(breach_bytes())
    (tmp_path / "fixed.json").write_bytes(zs_bytes())
    page = browser_page
    with serving(app) as base:
        # the filer: upload a breach, read the findings, fail to sign past the blocking error
        sign_in(page, base, "zs")
        expect(page.get_by_label("Reporting period")).to_have_count(0)  # the file states it
        page.get_by_label("Submission file").set_input_files(str(tmp_path / "breach.json"))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#blocking")).to_be_visible()
        expect(page.locator("#findings").get_by_text("IC10-INTERNAL-CONTROL")).to_be_visible()
        page.screenshot(path=str(SCREENS / "1-filer-breach-findings.png"), full_page=True)
        expect(page.locator("#sign-blocked")).to_be_visible()  # no sign form on a blocking revision
        expect(page.get_by_role("button", name="Attest and sign")).to_have_count(0)
        expect(page.locator("#findings tbody tr").first).to_contain_text("blocking")  # blocking findings first
        page.screenshot(path=str(SCREENS / "2-filer-cannot-sign.png"), full_page=True)
        # fix, answer the principle failure, sign, read the receipt
        page.goto(base + "/")
        page.get_by_label("Submission file").set_input_files(str(tmp_path / "fixed.json"))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#state")).to_have_text("awaiting signature")
        page.screenshot(path=str(SCREENS / "3-filer-fixed-findings.png"), full_page=True)
        page.get_by_label("Reason for a dispensation").fill("The weight was set before the guidance; 5% from 2026.")
        page.get_by_role("button", name="Request a dispensation").click()
        expect(page.get_by_text("Dispensation requested")).to_be_visible()
        page.get_by_label("I have verified").check()
        page.get_by_role("button", name="Attest and sign").click()
        expect(page.locator("dl.receipt")).to_contain_text(ZS)
        receipt = page.locator("dl.receipt").inner_text()
        assert ZS in receipt and "zs" in receipt
        page.screenshot(path=str(SCREENS / "4-filer-receipt.png"), full_page=True)
        page.goto(base + f"/filings/{ZS}/{PERIOD}/revisions/2?lang=zh")
        expect(page.get_by_text("回执")).to_be_visible()
        page.screenshot(path=str(SCREENS / "5-filer-receipt-zh.png"), full_page=True)
        page.get_by_role("button", name="退出").click()

        # the supervisor: board, review, approve the dispensation request, accept
        sign_in(page, base, "sup")
        page.goto(base + f"/board?period={PERIOD}")
        expect(page.locator("#board td.state.signed")).to_be_visible()
        page.screenshot(path=str(SCREENS / "6-supervisor-board.png"), full_page=True)
        page.get_by_role("link", name="Dispensation requests").click()
        page.get_by_label("Expires on").fill("2027-12-31")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".state.approved")).to_be_visible()
        page.screenshot(path=str(SCREENS / "7-supervisor-request-approved.png"), full_page=True)
        page.goto(base + f"/filings/{ZS}/{PERIOD}")
        page.get_by_role("link", name="2", exact=True).click()
        expect(page.get_by_text("The weight was set before the guidance")).to_be_visible()
        page.screenshot(path=str(SCREENS / "8-supervisor-review.png"), full_page=True)
        page.goto(base + f"/filings/{ZS}/{PERIOD}")
        page.get_by_role("button", name="Accept the filing").click()
        page.goto(base + f"/board?period={PERIOD}")
        expect(page.locator("#board td.state.accepted")).to_be_visible()
        page.screenshot(path=str(SCREENS / "9-supervisor-accepted.png"), full_page=True)
    engine.dispose()
