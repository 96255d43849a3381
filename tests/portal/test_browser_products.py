"""A product filing in Debian's Chromium on PostgreSQL, through a real server on loopback: the filer uploads it
(judged with the insurer's stored submission as context), downloads the findings workbook, answers it offline,
uploads it back, signs and prints the receipt; the supervisor sees it signed in the product-filings view.
Screenshots go to /tmp/inclusive-check-screens/products-*.png (outside the checkout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from portal_helpers import KN, PASSWORD, ROOT, serving
from test_browser import SCREENS, browser_page, sign_in  # noqa: F401  (the fixture)


def test_product_filing_with_bulk_answers_sign_and_receipt_in_chromium(
    pg_store: Any,
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from inclusive_check.portal import service
    from inclusive_check.portal.app import create_app

    expect = pytest.importorskip("playwright.sync_api").expect
    SCREENS.mkdir(parents=True, exist_ok=True)
    app = create_app(pg_store.url.render_as_string(hide_password=False))
    engine = app.state.portal.engine
    service.create_user(engine, "kn", "filer", KN, PASSWORD)
    service.create_user(engine, "sup", "supervisor", None, PASSWORD)
    submission = tmp_path / "kn-2025.json"
    submission.write_bytes((ROOT / "samples/submissions/kn-health-2025.json").read_bytes())
    filing = tmp_path / "kn-filing.json"
    filing.write_bytes((ROOT / "samples/filings/kn-health-fee-breach.json").read_bytes())
    page = browser_page
    with serving(app) as base:
        sign_in(page, base, "kn")
        page.get_by_label("Submission file").set_input_files(str(submission))  # the insurer context
        page.get_by_role("button", name="Upload").click()
        page.goto(base + "/")
        page.get_by_label("Submission file").set_input_files(str(filing))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#product")).to_have_text("KNH-PH-2025-02")
        expect(page.locator("#findings")).to_contain_text("IC12-FEE-RATE")
        expect(page.locator("#findings p.guidance").first).to_be_visible()  # the sentence it rests on
        page.screenshot(path=str(SCREENS / "products-1-filing-findings.png"), full_page=True)
        revision_url = page.url

        with page.expect_download() as info:
            page.locator("#answers-xlsx").click()
        workbook = tmp_path / "answers.xlsx"
        info.value.save_as(str(workbook))
        book = load_workbook(workbook)
        row = next(book["findings"].iter_rows(min_row=2))
        row[7].value = "The comparable rate is the channel's 2024 average; ours falls below it from March."
        book.save(workbook)
        page.get_by_label("Filled workbook").set_input_files(str(workbook))
        page.get_by_role("button", name="Upload the answers").click()
        expect(page.locator("#responded")).to_have_text("1")
        page.screenshot(path=str(SCREENS / "products-2-bulk-answers-recorded.png"), full_page=True)

        page.goto(revision_url)
        expect(page.locator("#findings")).to_contain_text("The comparable rate is the channel")
        page.get_by_label("I have verified").check()
        page.get_by_role("button", name="Attest and sign").click()
        expect(page.locator("#receipt-ruleset")).to_be_visible()
        expect(page.locator("#receipt-tool")).to_contain_text("inclusive-check")
        expect(page.locator("#receipt-product")).to_have_text("KNH-PH-2025-02")
        page.emulate_media(media="print")
        expect(page.locator("header.top")).to_be_hidden()
        page.screenshot(path=str(SCREENS / "products-3-receipt-print.png"), full_page=True)
        page.emulate_media(media="screen")
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, base, "sup")
        page.goto(base + "/board/products?period=2025-Q1&lang=zh")
        state = page.locator('#products tr[data-product="KNH-PH-2025-02"] td.state')
        expect(state).to_contain_text("已签署")  # and late: 2025-Q1's filings were due long ago
        page.screenshot(path=str(SCREENS / "products-4-supervisor-view-zh.png"), full_page=True)
    engine.dispose()
