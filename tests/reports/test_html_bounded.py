"""The HTML report stays bounded at market scale: lists are cut at limits and the rest counted per rule.

The limits are lowered here so that the samples cross them; bench/market.py measures the real scale by
hand (see bench/README.md). Both backends: the passes are then counted by the database, not loaded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import KN_FILING, SUBMISSIONS, load_results, store_run

from inclusive_check.cli import cli
from inclusive_check.reports import html, stored

OPEN = ("fail", "indeterminate")


def _articles(text: str) -> dict[str, str]:
    """Each document's <article> by its id."""
    return {
        m.group(1): m.group(0) for m in re.finditer(r'<article class="document" id="([^"]+)">.*?</article>', text, re.S)
    }


def _anchor(sub: dict[str, Any]) -> str:
    return html.slug(f"{sub['insurer']['code']}-{sub['kind']}-{sub['document_key']}")


def _counts(section: str, table_class: str) -> int:
    total = 0
    for table in re.findall(rf'<table class="{table_class}">.*?</table>', section, re.S):
        total += sum(int(n) for n in re.findall(r'data-count="(\d+)"', table))
    return total


def test_bounded_report_lists_up_to_the_limits_and_counts_the_rest(
    store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store_run(store, [*SUBMISSIONS, KN_FILING])
    monkeypatch.setattr(html, "OPEN_LIST_LIMIT", 2)
    monkeypatch.setattr(html, "REPORT_ROW_LIMIT", 5)
    monkeypatch.setattr(stored, "HTML_PASSES_UP_TO", 10)
    out = tmp_path / "report.html"
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "report", "--format", "html", "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    full = load_results(store, run_id).model_dump(mode="json")
    total = sum(len(s["findings"]) for s in full["submissions"])
    assert f"{total} finding(s) -> {out}" in result.output  # every finding of the run, listed or counted
    text = out.read_text("utf-8")
    articles = _articles(text)
    listed_rows = 0
    budget = 5
    for sub in full["submissions"]:
        section = articles[_anchor(sub)]
        open_findings = [f for f in sub["findings"] if f["status"] in OPEN]
        expected_listed = min(len(open_findings), 2, budget)
        budget -= expected_listed
        listed = section.count('<tr class="finding ')
        assert listed == expected_listed, sub["document_key"]
        listed_rows += listed
        # errors first: what is listed is the most severe of the document's open findings
        severities = sorted(f["severity"] for f in open_findings)  # "error" < "info" < "warning"
        order = {"error": 0, "warning": 1, "info": 2}
        shown = re.findall(r'<tr class="finding status-\w+ sev-(\w+)"', section)
        assert sorted(shown, key=order.__getitem__) == sorted(severities, key=order.__getitem__)[:listed]
        more = len(open_findings) - listed
        if more:
            assert f'data-more="{more}"' in section
            assert f"{more} more open finding(s) not listed here" in section
            assert _counts(section, "more-by-rule") == more
            assert "No open findings." not in section
        else:
            assert "more-open" not in section
        # passes: counted per rule by the database, never listed
        closed = [f for f in sub["findings"] if f["status"] in ("pass", "not_applicable")]
        assert f"{len(closed)} passed and not-applicable checks" in section
        assert _counts(section, "more-by-rule closed-counts") == len(closed)
        assert 'class="closed-checks"' not in section
    assert listed_rows == 5


def test_small_runs_still_list_their_passes(store: Any, tmp_path: Path) -> None:
    store_run(store, [*SUBMISSIONS, KN_FILING])
    results, closed = stored.load_run(store, None, None, passes_up_to=stored.HTML_PASSES_UP_TO)
    assert any(f.status == "pass" for s in results.submissions for f in s.findings)
    assert closed is None
    counted, closed = stored.load_run(store, None, None, passes_up_to=0)
    assert closed is not None
    assert not any(f.status == "pass" for s in counted.submissions for f in s.findings)
    for listed in results.submissions:
        passes = sum(1 for f in listed.findings if f.status in ("pass", "not_applicable"))
        assert sum(c.count for c in closed[listed.submission_id]) == passes


def test_the_streamed_file_is_the_rendered_page(sample_results: Any, tmp_path: Path) -> None:
    out = tmp_path / "streamed.html"
    html.write(sample_results, out, "both", 90)
    assert out.read_text("utf-8") == html.render(sample_results, "both", 90)
