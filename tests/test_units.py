"""A finding's figures are in one unit, and the unit is stated wherever a number is shown.

Every rule case and every sample is rendered in English and Chinese: expected, actual, message and margin, the
text view, the HTML report and the GitHub annotations. A number that is a figure (not part of a date, a quarter,
a code, a JSON Pointer, a reporting year or a line:column) must be followed by its unit: ``%``, percentage
points, or the word for what is counted (month(s), briefing(s), 起, 个月...).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from inclusive_check.check import check_documents
from inclusive_check.contract.load import load_file
from inclusive_check.contract.outputs import Results
from inclusive_check.figures import places, shown, shown_margin
from inclusive_check.reports import github, html, text
from inclusive_check.reports.common import margin_text
from inclusive_check.reports.tabular import write_csv
from inclusive_check.ruleset import load_ruleset
from rulecases import build, load_cases

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CASES = load_cases()
# A figure: digits not inside a date, quarter, code, pointer or identifier, nor a line:column.
NUMBER = re.compile(r"(?<![\w./:\-])[-+]?\d+(?:\.\d+)?(?![\w./:\-])")
UNIT = re.compile(r"\s?(?:%|percentage points|个百分点|\(?[A-Za-z\u4e00-\u9fff（(])")
# A finding's line in the text view, up to its line:column (or "-" when it is not located).
FINDING_LINE = re.compile(r"^   \S.*? IC\d\d-[A-Z0-9-]+ +(?:item \d+|第\d+项) +(?:\d+:\d+|-) ")
YEAR = re.compile(r"[(（]\d{4}[)）]")  # a reporting period named by its year: "the insurer context (2025)"


def bare_numbers(shown: str) -> list[str]:
    """The figures in ``shown`` that no unit follows."""
    shown = YEAR.sub("(year)", shown)
    return [m.group() for m in NUMBER.finditer(shown) if not UNIT.match(shown, m.end())]


def finding_texts(results: Results) -> list[str]:
    out = []
    for sub in results.model_dump(mode="json")["submissions"]:
        for f in sub["findings"]:
            for lang in ("en", "zh"):
                out += [f["evidence"][lang]["expected"], f["evidence"][lang]["actual"], f["message"][lang]]
                if f["margin"] is not None:
                    out.append(margin_text(f, lang) or "")
    return out


def test_bare_numbers_are_found() -> None:
    assert bare_numbers("<= 0") == ["0"] and bare_numbers("margin: 0.0009") == ["0.0009"]
    assert bare_numbers("board 0, management 2") == ["0", "2"]
    assert bare_numbers("4.99% against >= 5.00% (margin -0.01 percentage points)") == []
    assert bare_numbers("/products/2 KNH-CI-09 2025-Q3 2025-01-01 (2025) 41:23 3个月 1起") == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}::{c.name}")
def test_every_rule_case_states_its_units(case: Any) -> None:
    loaded, context, ruleset = build(case)
    outcome = check_documents(loaded, ruleset, case.as_of, context)
    assert outcome.results is not None
    for shown_text in finding_texts(outcome.results):
        assert bare_numbers(shown_text) == [], shown_text


@pytest.fixture(scope="module")
def samples() -> Results:
    submissions = [load_file(p) for p in sorted((SAMPLES / "submissions").glob("*.json"))]
    filings = [load_file(p) for p in sorted((SAMPLES / "filings").glob("*.*"))]
    outcome = check_documents([*submissions, *filings], load_ruleset(None), date(2026, 1, 15), submissions)
    assert outcome.results is not None, outcome.problems
    return outcome.results


def test_samples_state_their_units_in_every_rendering(samples: Results) -> None:
    for shown_text in finding_texts(samples):
        assert bare_numbers(shown_text) == [], shown_text
    for lang in ("en", "zh"):
        for line in text.render(samples, lang, show_passes=True).splitlines():
            finding = FINDING_LINE.match(line)
            if finding:
                assert bare_numbers(line[finding.end() :]) == [], line
    page = html.render(samples, "both")
    evidence = re.findall(r'<dl class="evidence">(.*?)</dl>', page, re.S)
    assert evidence
    for cell in re.findall(r"<dd>(.*?)</dd>", "".join(evidence), re.S):
        assert bare_numbers(re.sub(r"<[^>]+>", " ", cell)) == [], cell
    for line in github.render(samples).split("%0A"):
        if line.startswith(("expected:", "actual:", "margin:")):
            assert bare_numbers(line.replace("%25", "%")) == [], line


def test_a_rate_reads_in_percent_with_its_margin_in_percentage_points() -> None:
    value, threshold = Decimal("0.0085"), Decimal("0.01")
    decimals = places("rate", value, threshold)
    assert (shown(value, "rate", "en", decimals), shown(threshold, "rate", "en", decimals)) == ("0.85%", "1.00%")
    assert shown_margin("0.0015", "rate", "en", "0.0085", "0.01") == "0.15 percentage points"
    assert shown_margin("0.0015", "rate", "zh", "0.0085", "0.01") == "0.15个百分点"
    assert shown_margin("-0.0001", "rate", "en", "0.0499", "0.05") == "-0.01 percentage points"
    assert shown_margin("131.7", "pct", "en") == "131.7 percentage points"
    assert shown_margin("12", "months", "zh", "24", "12") == "12个月"
    assert shown_margin("-1", "count", "en", "1", "0") == "-1 (count)"


def test_the_kpi_weight_reads_in_one_unit_everywhere(samples: Results) -> None:
    (kpi,) = [
        f for s in samples.submissions for f in s.findings if f.rule_id == "IC10-KPI-WEIGHT" and f.status == "fail"
    ]
    assert (kpi.value, kpi.threshold, kpi.margin, kpi.unit) == ("0.0499", "0.05", "-0.0001", "rate")
    assert (kpi.evidence["en"]["actual"], kpi.evidence["en"]["expected"]) == ("4.99%", ">= 5.00%")
    assert "4.99%" in kpi.message["zh"] and ">= 5.00%" in kpi.message["zh"]
    shown_text = text.render(samples)
    assert "(margin -0.01 percentage points)" in shown_text
    assert "（差距-0.01个百分点）" in text.render(samples, "zh")


def test_csv_keeps_figures_as_numbers_with_their_unit(samples: Results, tmp_path: Path) -> None:
    write_csv(samples, str(tmp_path / "f.csv"))
    with (tmp_path / "f.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with_figures = [r for r in rows if r["margin"] or r["value"] or r["threshold"]]
    assert with_figures and all(r["unit"] for r in with_figures)
    kpi = next(r for r in rows if r["rule_id"] == "IC10-KPI-WEIGHT" and r["status"] == "fail")
    assert (kpi["value"], kpi["threshold"], kpi["margin"], kpi["unit"]) == ("0.0499", "0.05", "-0.0001", "rate")
