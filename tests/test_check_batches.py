"""`check` over a folder with a file that is not valid judges every valid file and lists the invalid one with its
located problems, exit 3, in every format; `--output html|xlsx|csv` writes `report`'s reports from the
in-memory run, and its JSON names no stored run."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
BAD = "percent-string-rate.json"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLES / "submissions", batch)
    shutil.copy(SAMPLES / "invalid" / BAD, batch / BAD)
    return batch


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", *args, "--as-of", "2026-01-01"])
    return result.exit_code, result.stdout


def test_json_holds_the_findings_of_the_valid_files_and_the_invalid_file(folder: Path) -> None:
    code, out = _check(str(folder), "--format", "json")
    assert code == 3
    results = json.loads(out)
    assert results["schema"] == "inclusive-check/results/1" and results["run"]["id"] is None
    assert len(results["submissions"]) == 5  # every valid submission judged
    validation = results["validation"]
    assert (validation["valid"], validation["invalid"]) == (5, 1)
    (bad,) = [f for f in validation["files"] if not f["valid"]]
    assert bad["file"].endswith(BAD) and bad["problems"][0]["pointer"] == "/product/premium_rate"
    assert bad["problems"][0]["line"] is not None


def test_all_valid_json_has_no_validation_and_no_run_id(folder: Path) -> None:
    (folder / BAD).unlink()
    code, out = _check(str(folder), "--format", "json", "--exit-zero")
    assert code == 0
    results = json.loads(out)
    assert results["validation"] is None and results["run"]["id"] is None


def test_text_lists_findings_then_the_located_problem(folder: Path) -> None:
    code, out = _check(str(folder))
    assert code == 3
    assert "KN-HLTH-006" in out and "IC12-FEE-RATE" in out
    assert f"{BAD}:" in out and "/product/premium_rate" in out
    assert out.index("IC12-FEE-RATE") < out.index("/product/premium_rate")
    assert "1 file(s) not valid" in out


def test_github_annotates_the_invalid_file_as_an_error_beside_the_findings(folder: Path) -> None:
    code, out = _check(str(folder), "--format", "github")
    assert code == 3
    lines = out.splitlines()
    assert any(line.startswith("::error ") and "IC12-FEE-RATE" in line for line in lines)
    assert any(line.startswith("::error ") and BAD in line and "input not valid" in line for line in lines)


def test_junit_has_the_invalid_file_as_errors_beside_the_findings(folder: Path) -> None:
    code, out = _check(str(folder), "--format", "junit")
    assert code == 3
    root = ET.fromstring(out.encode("utf-8"))
    suites = root.findall("testsuite")
    invalid = [s for s in suites if BAD in (s.get("file") or "")]
    assert len(invalid) == 1 and invalid[0].findall("testcase/error")
    assert len(suites) == 6 and root.findall("testsuite/testcase/failure")  # the findings stay failures
    assert int(root.get("errors", "0")) >= 1
    assert int(root.get("tests", "0")) == len(root.findall("testsuite/testcase"))


def test_sarif_has_the_invalid_file_as_an_error_result_in_the_same_run(folder: Path) -> None:
    code, out = _check(str(folder), "--format", "sarif")
    assert code == 3
    (run,) = json.loads(out)["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    invalid = [r for r in run["results"] if r["ruleId"] == "INPUT-NOT-VALID"]
    assert len(invalid) == 1 and invalid[0]["level"] == "error"
    assert rules[invalid[0]["ruleIndex"]] == "INPUT-NOT-VALID"
    assert BAD in invalid[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert any(r["ruleId"] == "IC12-FEE-RATE" for r in run["results"])
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def test_outputs_write_the_reports_of_report(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _ = _check(
        str(folder),
        "--output",
        f"html={out / 'r.html'}",
        "--output",
        f"xlsx={out / 'r.xlsx'}",
        "--output",
        f"csv={out / 'r.csv'}",
        "--output",
        f"json={out / 'r.json'}",
    )
    assert code == 3
    results = json.loads((out / "r.json").read_text(encoding="utf-8"))
    fingerprints = {f["fingerprint"] for s in results["submissions"] for f in s["findings"]}
    rows = list(csv.DictReader(io.StringIO((out / "r.csv").read_text(encoding="utf-8-sig"))))
    assert {r["fingerprint"] for r in rows} == fingerprints and rows
    page = (out / "r.html").read_text(encoding="utf-8")
    assert "IC12-FEE-RATE" in page and "Market overview" in page  # five insurers: the market's overview
    from openpyxl import load_workbook

    workbook = load_workbook(out / "r.xlsx")
    assert "findings" in workbook.sheetnames


def test_html_of_one_insurer_opens_on_its_findings(folder: Path, tmp_path: Path) -> None:
    code, _ = _check(str(folder / "kn-health-2025.json"), "--output", f"html={tmp_path / 'one.html'}")
    assert code == 1
    page = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert "Market overview" not in page and 'id="market"' not in page
    assert page.index('<article class="document"') < page.index("<svg")  # the charts come after, folded
    article = page[page.index('<article class="document"') :]
    assert article.index("IC12-FEE-RATE") < article.index('<details class="breakdown">')
    assert "— run" not in page  # an in-memory run has no number


def test_report_formats_of_input_that_is_not_valid_are_not_written(folder: Path, tmp_path: Path) -> None:
    code, _ = _check(str(folder / BAD), "--output", f"html={tmp_path / 'r.html'}")
    assert code == 3 and not (tmp_path / "r.html").exists()


def test_an_unknown_output_format_is_a_usage_error(folder: Path) -> None:
    code, _ = _check(str(folder), "--output", "pdf=r.pdf")
    assert code == 2


def test_an_invalid_insurer_context_is_listed_and_the_filings_still_judged(folder: Path, tmp_path: Path) -> None:
    contexts = tmp_path / "contexts"
    contexts.mkdir()
    shutil.copy(SAMPLES / "submissions" / "hx-life-2025.json", contexts)
    (contexts / "kn-health-2025.json").write_text("{", encoding="utf-8")  # KN's submission, broken
    code, out = _check(
        str(SAMPLES / "filings" / "hx-life-rural-accident.json"),
        str(SAMPLES / "filings" / "kn-health-fee-breach.json"),
        "--insurer",
        str(contexts),
        "--format",
        "json",
    )
    assert code == 3
    results = json.loads(out)
    assert sorted(s["insurer"]["code"] for s in results["submissions"]) == ["HX-LIFE-001", "KN-HLTH-006"]
    (bad,) = [f for f in results["validation"]["files"] if not f["valid"]]
    assert bad["file"].endswith("kn-health-2025.json")
    gates = {
        s["insurer"]["code"]: [f["status"] for f in s["findings"] if f["rule_id"] == "IC19-SOLVENCY-GATE"]
        for s in results["submissions"]
    }
    assert "pass" in gates["HX-LIFE-001"] and gates["KN-HLTH-006"] == ["indeterminate"]  # no context: undecided
