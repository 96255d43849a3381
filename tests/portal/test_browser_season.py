"""The filing season in Debian's Chromium on PostgreSQL, through a real server on loopback: the supervisor's
register and calendar make the 2025-Q4 board (names; an annual-only filer absent; a missing quarterly filer late);
the filer uploads without typing a period, gets no sign form on a blocking revision, fixes it, signs and prints the
receipt (ruleset and tool named). Screenshots go to /tmp/inclusive-check-screens/season-*.png (outside the
checkout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from portal_helpers import PASSWORD, PERIOD, ROOT, ZS, breach_bytes, serving, zs_bytes
from test_browser import SCREENS, browser_page, sign_in  # noqa: F401  (the fixture)

from inclusive_check.cli import cli


def _register(tmp_path: Path) -> Path:
    def insurer(code: str, files: str, en: str, zh: str) -> dict[str, Any]:
        return {"code": code, "name": {"zh": zh, "en": en}, "group": "property", "ownership": "state",
                "size_class": "medium", "files": files}  # fmt: skip

    path = tmp_path / "insurers.yaml"
    data = {
        "insurers": [
            insurer(ZS, "both", "Zhongshan P&C", "中山财险"),
            insurer("ANNUAL-ONLY", "annual", "Annual Only Mutual", "年报互助"),
            insurer("MISSING-Q", "quarterly", "Missing Quarterly Co.", "缺报保险"),
        ]
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_season_board_and_filing_in_chromium(pg_store: Any, browser_page: Any, tmp_path: Path) -> None:  # noqa: F811
    from inclusive_check.portal import service
    from inclusive_check.portal.app import create_app

    expect = pytest.importorskip("playwright.sync_api").expect
    SCREENS.mkdir(parents=True, exist_ok=True)
    url = pg_store.url.render_as_string(hide_password=False)
    app = create_app(url)
    engine = app.state.portal.engine
    service.create_user(engine, "zs", "filer", ZS, PASSWORD)
    service.create_user(engine, "sup", "supervisor", None, PASSWORD)
    calendar = tmp_path / "calendar.yaml"  # 2025-Q4 due 2026-01-31: past, so a missing filer is late
    calendar.write_text(
        yaml.safe_dump(
            {"periods": [{"period": PERIOD, "opens": "2026-01-01", "due": {"quarterly_submission": "2026-01-31"}}]}
        ),
        encoding="utf-8",
    )
    for command, path in (("insurers", _register(tmp_path)), ("calendar", calendar)):
        result = CliRunner().invoke(cli, ["--db", url, command, "import", str(path)])
        assert result.exit_code == 0, result.output
    (tmp_path / "breach.json").write_bytes(breach_bytes())
    (tmp_path / "fixed.json").write_bytes(zs_bytes())
    (tmp_path / "other.json").write_bytes((ROOT / "samples/submissions/kn-health-2025.json").read_bytes())
    page = browser_page
    with serving(app) as base:
        sign_in(page, base, "sup")
        page.goto(base + f"/board?period={PERIOD}&lang=en")
        expect(page.locator("#board")).to_contain_text("Missing Quarterly Co.")
        expect(page.locator('#board tr[data-insurer="MISSING-Q"] td.state')).to_have_text("late")
        expect(page.locator('#board tr[data-insurer="ANNUAL-ONLY"]')).to_have_count(0)
        page.screenshot(path=str(SCREENS / "season-1-board-en.png"), full_page=True)
        page.goto(base + f"/board?period={PERIOD}&lang=zh")
        expect(page.locator("#board")).to_contain_text("缺报保险")
        page.screenshot(path=str(SCREENS / "season-2-board-zh.png"), full_page=True)
        page.get_by_role("button", name="退出").click()

        sign_in(page, base, "zs")
        expect(page.get_by_label("Reporting period")).to_have_count(0)
        page.get_by_label("Submission file").set_input_files(str(tmp_path / "other.json"))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#refused")).to_be_visible()
        expect(page.locator("#problems")).to_contain_text("/insurer/code")
        page.screenshot(path=str(SCREENS / "season-3-other-insurer-refused.png"), full_page=True)
        page.goto(base + "/")
        page.get_by_label("Submission file").set_input_files(str(tmp_path / "breach.json"))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#sign-blocked")).to_be_visible()
        expect(page.get_by_role("button", name="Attest and sign")).to_have_count(0)
        expect(page.locator("#findings tbody tr").first).to_contain_text("IC10-INTERNAL-CONTROL")
        page.screenshot(path=str(SCREENS / "season-4-blocking-no-sign-form.png"), full_page=True)
        page.goto(base + "/")
        page.get_by_label("Submission file").set_input_files(str(tmp_path / "fixed.json"))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#state")).to_have_text("awaiting signature")
        score_before = page.locator("#state + strong, p strong").first.inner_text()
        page.get_by_label("Reason for a dispensation").fill("The weight was set before the guidance; 5% from 2026.")
        page.get_by_role("button", name="Request a dispensation").click()
        expect(page.get_by_text("Dispensation requested")).to_be_visible()
        revision_url = page.url
        page.get_by_role("button", name="Sign out").click()
        # the supervisor approves; the filer's page shows it at once, without an upload
        sign_in(page, base, "sup")
        page.goto(base + "/requests?lang=en")
        page.get_by_label("Expires on").fill("2099-12-31")
        page.get_by_label("Note").fill("NFRA letter 2026-7")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".state.approved")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, base, "zs")
        page.goto(revision_url)
        expect(page.locator(".decision.dispensed")).to_contain_text("approved by sup")
        expect(page.locator(".decision.dispensed")).to_contain_text("2099-12-31")
        assert page.locator("p strong").first.inner_text() != score_before  # the score changed
        page.screenshot(path=str(SCREENS / "season-5-dispensed-without-upload.png"), full_page=True)
        page.get_by_label("I have verified").check()
        page.get_by_role("button", name="Attest and sign").click()
        expect(page.locator("#receipt-ruleset")).to_be_visible()
        expect(page.locator("#receipt-tool")).to_contain_text("inclusive-check")
        page.emulate_media(media="print")
        expect(page.locator("header.top")).to_be_hidden()
        page.screenshot(path=str(SCREENS / "season-6-receipt-print.png"), full_page=True)
        page.pdf(path=str(SCREENS / "season-6-receipt.pdf"))
    engine.dispose()
