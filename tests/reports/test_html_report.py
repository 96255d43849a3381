"""The HTML audit report: self-contained, bilingual, and rendered by a real browser (headless Chromium).

Chromium is Debian's `chromium` package; the session fixture `chromium` (tests/conftest.py) installs it (and
a CJK font, so that the Chinese text is drawn) when it is missing. Outside CI a failed install skips these
tests; under CI=true it fails them.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from report_helpers import AS_OF, KN_FILING, KN_SUBMISSION, SUBMISSIONS, kn_dispensations, load_results, store_run

from inclusive_check.cli import cli
from inclusive_check.reports import html


def _chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the pixel data): a blank page has very few."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


class _Elements(HTMLParser):
    """Collects (tag, attributes) of every element of a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t == tag
            and all(v in a.get(k.rstrip("_"), "").split() or a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def _stored_report(store: Any, tmp_path: Path, *args: str) -> Path:
    store_run(store, [*SUBMISSIONS, KN_FILING])
    out = tmp_path / "report.html"
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "report", "--format", "html", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    if not args:
        assert result.output == (
            f"html report of run 1: {len(SUBMISSIONS) + 1} document(s), {_findings_in(store)} finding(s) -> {out}\n"
        )
    return out


def _findings_in(store: Any) -> int:
    from sqlalchemy import func, select

    from inclusive_check.store import tables as t

    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.findings)).scalar_one())


def test_html_report_renders_in_headless_chromium(store: Any, tmp_path: Path, chromium: str) -> None:
    report = _stored_report(store, tmp_path)
    screenshot = tmp_path / "report.png"
    _chromium(
        chromium,
        tmp_path,
        f"--screenshot={screenshot}",
        "--window-size=1280,2000",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        report.as_uri(),
    )
    width, height, colours = _png_size_and_colours(screenshot)
    assert (width, height) == (1280, 2000)
    assert colours > 100, "the screenshot looks blank"

    dom = _chromium(chromium, tmp_path, "--dump-dom", "--host-resolver-rules=MAP * ~NOTFOUND", report.as_uri()).stdout
    page = _Elements()
    page.feed(dom)
    for chart in ("chart-scores", "chart-items", "chart-indicators"):
        (svg,) = page.find("svg", id=chart)
        assert svg["role"] == "img"
    assert len(page.find("rect", class_="bar")) > 20
    sections = page.find("section", class_="insurer")
    assert [s["data-insurer"] for s in sections] == [
        "AL-PROP-017",
        "FH-AGRI-003",
        "HX-LIFE-001",
        "KN-HLTH-006",
        "ZS-PROP-002",
    ]
    rows = page.find("tr", class_="finding")
    assert len(rows) == sum(1 for _ in re.finditer(r'<tr class="finding ', report.read_text(encoding="utf-8")))
    fee = [r for r in rows if r["data-rule"] == "IC12-FEE-RATE"]
    assert len(fee) == 2 and all("status-fail" in r["class"] and "sev-error" in r["class"] for r in fee)
    assert 'id="ins-KN-HLTH-006"' in dom and "Market overview" in dom
    assert "中介费用率原则上应低于可比产品，实际为14%" in dom


def test_html_report_fetches_nothing(sample_results: Any) -> None:
    text = html.render(sample_results, "both")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in text
    assert not re.search(r"<(link|img|iframe|object|embed|audio|video|source)\b", text)
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert "@import" not in text and "url(" not in text
    assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) == {"http://www.w3.org/2000/svg"}  # an XML namespace


def test_html_report_languages(sample_results: Any) -> None:
    english = html.render(sample_results, "en")
    chinese = html.render(sample_results, "zh")
    both = html.render(sample_results, "both")
    assert "Market overview" in english and "市场概览" not in english
    assert "市场概览" in chinese and "Market overview" not in chinese
    assert '<span class="l-en" lang="en">Market overview</span> <span class="l-zh" lang="zh-CN">市场概览</span>' in both
    assert 'class="switch"' in both and "<script>" in both
    assert "<script" not in english and "<script" not in chinese
    assert "Guidance item 12 (2024 NFRA inclusive-insurance guidance)" in english
    assert "指导意见第（十二）项（2024年普惠保险指导意见）" in chinese
    assert "第（十二）项" in chinese and "Item 12" in english


def test_html_report_groups_findings_by_item_with_evidence(sample_data: dict[str, Any], sample_results: Any) -> None:
    page = _Elements()
    text = html.render(sample_results, "en")
    page.feed(text)
    (sub,) = [
        s for s in sample_data["submissions"] if s["insurer"]["code"] == "KN-HLTH-006" and s["kind"] == "submission"
    ]
    anchor = "ins-KN-HLTH-006-submission-2025"
    items = [h["id"] for h in page.find("h5", class_="item") if h["id"].startswith(anchor + "-item-")]
    assert items == [f"{anchor}-item-{n}" for n in (8, 10, 12)]
    open_findings = [f for f in sub["findings"] if f["status"] in ("fail", "indeterminate")]
    # item 6 (encouraged) is not covered: listed apart from the open findings, never as a failure
    uncovered = [f for f in sub["findings"] if f["status"] == "not_covered"]
    assert [f["rule_id"] for f in uncovered] == ["IC06-SMALL-BUSINESS"]
    rows = {r["data-fingerprint"] for r in page.find("tr", class_="not-covered-finding")}
    assert uncovered[0]["fingerprint"] in rows
    assert not {r["data-fingerprint"] for r in page.find("tr", class_="finding")} & rows
    section = text[text.index(f'id="{anchor}"') :]
    section = section[: section.index("</article>")]
    assert [m for m in re.findall(r'data-fingerprint="([0-9a-f]+)"', section)][: len(open_findings)] == [
        f["fingerprint"]
        for f in sorted(
            open_findings,
            key=lambda f: (
                f["clause"],
                {"error": 0, "warning": 1, "info": 2}[f["severity"]],
                {"fail": 0, "indeterminate": 1}[f["status"]],
                f["rule_id"],
                f["subject"],
            ),
        )
    ]
    assert "<dt>expected</dt><dd>intermediary_fee_rate &lt; 12% (KNH-CI-STD-09)</dd>" in section
    assert "<dt>actual</dt><dd>14%</dd>" in section and "<dt>margin</dt><dd>-2 percentage points</dd>" in section
    assert not [f for f in sub["findings"] if f["status"] == "waived"]  # no dispensations in this run
    closed = len(sub["findings"]) - len(open_findings) - len(uncovered)
    assert f"{closed} passed and not-applicable checks" in section
    assert f'<div class="big band-fair">{sub["score"]["compliance"]}<small> / 100</small></div>' in section
    for name in ("variety", "coverage", "protection", "service"):
        assert sub["score"]["breakdown"]["indicators"][name]["score"] in section


def test_html_report_of_one_insurer(store: Any, tmp_path: Path) -> None:
    report = _stored_report(store, tmp_path, "--insurer", "FH-AGRI-003", "--lang", "zh")
    page = _Elements()
    page.feed(report.read_text(encoding="utf-8"))
    assert [s["data-insurer"] for s in page.find("section", class_="insurer")] == ["FH-AGRI-003"]
    # opens on its findings: the summary, then the insurer's documents; its charts folded after them; no market
    assert not page.find("section", id="market") and "chart-market-trend" not in report.read_text(encoding="utf-8")
    text = report.read_text(encoding="utf-8")
    assert "概要" in text and "市场概览" not in text
    assert text.index('id="overview"') < text.index('class="insurer"') < text.index('id="scores"')
    assert text.index('id="scores"') < text.index("<svg") and text.index('id="scores"') < text.index(
        'id="dispensations"'
    )
    assert '<details class="scores-more">' in text
    for article in re.findall(r'<article class="document".*?</article>', text, re.S):
        # blocking reasons, then the findings, then the score breakdown, folded
        assert article.index("<h4>") < article.index('<details class="breakdown">')
        assert '<details class="breakdown" open' not in article
        if 'class="blocking-reason"' in article:
            assert article.index('class="blocking-reason"') < article.index("<h4>")


def test_report_command_errors(store: Any, tmp_path: Path) -> None:
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", url, "report", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "no runs stored yet" in result.output
    store_run(store, [KN_FILING])
    result = runner.invoke(cli, ["--db", url, "report", "--run", "7", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "no stored run 7" in result.output
    result = runner.invoke(cli, ["--db", url, "report", "--insurer", "NOPE", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "run 1 checked no document of insurer NOPE" in result.output
    assert AS_OF.year == 2026


def _row_cells(text: str, marker: str) -> list[str]:
    """The cell contents (tags stripped) of the first table row whose start tag contains ``marker``."""
    start = text.index(marker)
    row = text[text.rindex("<tr", 0, start) : text.index("</tr>", start)]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_html_report_shows_waived_findings_and_dispensations_apart(store: Any, tmp_path: Path, chromium: str) -> None:
    run_id = store_run(store, [KN_SUBMISSION, KN_FILING], dispensations=kn_dispensations())
    out = tmp_path / "report.html"
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "report", "-o", str(out), "--lang", "en"])  # window: 90 days
    assert result.exit_code == 0, result.output
    dom = _chromium(chromium, tmp_path, "--dump-dom", "--host-resolver-rules=MAP * ~NOTFOUND", out.as_uri()).stdout
    page = _Elements()
    page.feed(dom)

    # Waived findings: a group of their own in the document, each with its dispensation; neither open nor closed.
    (heading,) = page.find("h4", class_="waived-group")
    assert heading["id"] == "ins-KN-HLTH-006-submission-2025-waived"
    assert "Waived by dispensation (2)" in dom
    waived = page.find("tr", class_="waived-finding")
    assert [(r["data-rule"], r["data-dispensation"]) for r in waived] == [
        ("IC08-PREMIUM-RATE", "D-EDGE"),
        ("IC12-FEE-RATE", "D-PAST-EDGE"),
    ]
    assert all("status-waived" in r["class"].split() for r in waived)
    assert not [r for r in page.find("tr", class_="finding") if "status-waived" in r["class"].split()]
    assert not [r for r in page.find("tr", class_="check") if "status-waived" in r["class"].split()]
    assert page.find("a", href="#disp-D-EDGE") and page.find("a", href="#disp-D-PAST-EDGE")
    # the lapsed dispensation waives nothing: the filing's fee breach stays open, with a warning naming it
    (fee,) = [r for r in page.find("tr", class_="finding") if r["data-rule"] == "IC12-FEE-RATE"]
    assert "status-fail" in fee["class"].split()
    assert "dispensation D-LAPSED for IC12-FEE-RATE expired on 2026-01-14" in dom
    # the overview counts them on a tile of their own
    (tile,) = page.find("div", id="tile-waived")
    assert "waived" in tile["class"].split()
    assert re.search(r'id="tile-waived"><div class="n">2</div>', dom)

    # Dispensations: every one of the run with status, covered count, approver, reference and expiry.
    assert page.find("a", href="#dispensations") and page.find("section", id="dispensations")
    rows = page.find("tr", class_="dispensation")
    assert [(r["data-dispensation"], r["data-status"], r["data-expires-in-days"]) for r in rows] == [
        ("D-LAPSED", "expired", "-1"),
        ("D-EDGE", "applied", "90"),
        ("D-PAST-EDGE", "applied", "91"),
        ("D-UNUSED", "unused", "120"),
    ]
    # the boundary: expiring exactly 90 days after the as-of date is soon, 91 days is not
    assert [r["data-dispensation"] for r in rows if "expiring-soon" in r["class"].split()] == ["D-EDGE"]
    assert "expires in 90 day(s)" in dom and "expires in 91 day(s)" not in dom
    assert f"Highlighted: expiring within 90 day(s) of {AS_OF.isoformat()}." in dom
    text = out.read_text(encoding="utf-8")
    assert _row_cells(text, 'data-dispensation="D-EDGE" data-status') == [
        "D-EDGE",
        "applied",
        "IC08-PREMIUM-RATE",
        "KN-HLTH-006 · /products/0",
        "1",
        "Supervisor D-EDGE",
        "Letter D-EDGE",
        "2026-04-15 expires in 90 day(s)",
        "示例理由 D-EDGE",
    ]
    assert _row_cells(text, 'data-dispensation="D-LAPSED" data-status')[1:5] == [
        "expired",
        "IC12-FEE-RATE",
        "KN-HLTH-006 · /product",
        "1",
    ]
    assert _row_cells(text, 'data-dispensation="D-UNUSED" data-status')[1] == "unused"

    # The window is an option: one day wider takes in the other applied dispensation; bilingual labels.
    wider = html.render(load_results(store, run_id, expiry_warning_days=91), "both", 91)
    assert wider.count('class="dispensation status-applied expiring-soon"') == 2
    assert '<span class="l-en" lang="en">Dispensations</span> <span class="l-zh" lang="zh-CN">豁免</span>' in wider
    assert '<span class="l-zh" lang="zh-CN">91天后到期</span>' in wider and "已豁免" in wider
    narrower = html.render(load_results(store, run_id, expiry_warning_days=89), "zh", 89)
    assert ' expiring-soon"' not in narrower and "天后到期" not in narrower and "已豁免" in narrower
