"""End to end: `check` on the samples, as a compliance officer would run it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.rules import ALL_RULES

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CONTRACT = (
    "rule_id",
    "clause",
    "strength",
    "severity",
    "status",
    "subject",
    "expected",
    "actual",
    "margin",
    "message",
    "parameters",
)

# What each sample must show, besides passes: (rule, status, severity, subject, key). The encouraged items a
# sample misses are not covered, never failures.
EXPECTED = {
    "al-prop-2025.json": (
        1,
        [
            ("IC19-SOLVENCY-GATE", "fail", "error", "/solvency/2", "2025-Q3"),
            ("IC07-KEY-AREAS", "not_covered", "info", "/products", ""),
        ],
    ),
    "hx-life-2025.json": (
        0,
        [
            ("IC06-SMALL-BUSINESS", "not_covered", "info", "/products", ""),
            ("IC07-KEY-AREAS", "not_covered", "info", "/products", ""),
        ],
    ),
    "kn-health-2025.json": (
        1,
        [
            ("IC08-PREMIUM-RATE", "fail", "error", "/products/0/premium_rate", ""),
            ("IC08-PREMIUM-RATE", "indeterminate", "error", "/products/2/premium_rate", ""),
            ("IC12-FEE-RATE", "fail", "error", "/products/1/intermediary_fee_rate", ""),
            ("IC10-LEAD-DEPARTMENT", "fail", "error", "/governance/lead_department", ""),
            ("IC10-REGULAR-REVIEWS", "fail", "error", "/governance/board_reviews", ""),
            ("IC06-SMALL-BUSINESS", "not_covered", "info", "/products", ""),
        ],
    ),
    "zs-prop-2025q4.json": (
        1,
        [
            ("IC10-KPI-WEIGHT", "fail", "error", "/governance/inclusive_kpi_weight", ""),
            ("IC04-RURAL-LOW-INCOME", "not_covered", "info", "/products", ""),
            ("IC07-KEY-AREAS", "not_covered", "info", "/products", ""),
        ],
    ),
}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no ./inclusive-check.db: filings get no stored context by accident
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)
    return CliRunner()


CLAUSES = {rule.ID: rule.CLAUSE for rule in ALL_RULES}


def _open(results: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (f["rule_id"], f["status"], f["severity"], f["subject"], f["key"])
        for s in results["submissions"]
        for f in s["findings"]
        if f["status"] not in ("pass", "not_applicable")
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_submissions(runner: CliRunner, name: str) -> None:
    code, expected = EXPECTED[name]
    result = runner.invoke(
        cli, ["check", str(SAMPLES / "submissions" / name), "--format", "json", "--as-of", "2026-01-01"]
    )
    assert result.exit_code == code, result.output
    results = json.loads(result.output)
    assert _open(results) == expected
    for sub in results["submissions"]:
        assert sub["score"]["breakdown"]["compliance"]["score"] == sub["score"]["compliance"]
        for finding in sub["findings"]:
            assert set(CONTRACT) <= set(finding)
            assert finding["clause"] == CLAUSES[finding["rule_id"]]  # the guidance item of the rule that spoke
            assert finding["message"]["en"] and finding["message"]["zh"]


def test_blocking_failure_is_shown_whatever_the_score(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check", str(SAMPLES / "submissions" / "al-prop-2025.json"), "--format", "json"])
    score = json.loads(result.output)["submissions"][0]["score"]
    assert score["blocking"] is True
    assert score["breakdown"]["compliance"]["blocking_failures"] == ["IC19-SOLVENCY-GATE"]
    text = runner.invoke(cli, ["check", str(SAMPLES / "submissions" / "al-prop-2025.json")])
    assert "BLOCKING FAILURE" in text.output
    score_line = next(line for line in text.output.splitlines() if "BLOCKING FAILURE" in line)
    assert "(poor)" in score_line and "(good)" not in score_line  # a high number, but blocked


def test_fail_on_info_never_trips_on_items_not_covered(runner: CliRunner) -> None:
    """The HX sample misses two encouraged items and nothing else: not covered, never a failure, whatever
    --fail-on says; the summary counts them apart."""
    path = str(SAMPLES / "submissions" / "hx-life-2025.json")
    assert runner.invoke(cli, ["check", path]).exit_code == 0
    result = runner.invoke(cli, ["check", path, "--fail-on", "info", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "尚未覆盖：没有普惠产品服务第（六）项" in result.output
    summary = result.output.splitlines()[-1]
    assert "2 未覆盖" in summary and "不合规" not in summary


def test_filing_without_context_is_indeterminate_for_the_solvency_gate(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["check", str(SAMPLES / "filings" / "al-prop-courier-accident.yaml"), "--format", "json"]
    )
    assert result.exit_code == 1  # an indeterminate mandatory gate is an error
    [gate] = [
        f for f in json.loads(result.output)["submissions"][0]["findings"] if f["rule_id"] == "IC19-SOLVENCY-GATE"
    ]
    assert (gate["status"], gate["subject"]) == ("indeterminate", "/product")
    assert "no insurer context" in gate["actual"]


def test_filing_with_insurer_file_uses_its_solvency(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "check",
            str(SAMPLES / "filings" / "al-prop-courier-accident.yaml"),
            "--insurer",
            str(SAMPLES / "submissions" / "al-prop-2025.json"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    sub = json.loads(result.output)["submissions"]
    assert [s["kind"] for s in sub] == ["product_filing"]  # the context is used, not checked
    assert [
        (f["status"], f["key"])
        for f in sub[0]["findings"]
        if f["rule_id"] == "IC19-SOLVENCY-GATE" and f["status"] != "pass"
    ] == [("fail", "2025-Q3"), ("not_applicable", "2026-Q1..")]  # the open window past the context: said


def test_filing_uses_the_latest_stored_submission(runner: CliRunner, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ctx.db'}"
    assert runner.invoke(cli, ["--db", db, "ingest", str(SAMPLES / "submissions")]).exit_code == 0
    result = runner.invoke(
        cli, ["--db", db, "check", str(SAMPLES / "filings" / "hx-life-rural-accident.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    gate = [f for f in json.loads(result.output)["submissions"][0]["findings"] if f["rule_id"] == "IC19-SOLVENCY-GATE"]
    # on sale from 2025-09-01: judged for the two quarters of the stored 2025 submission it overlaps
    assert [(f["status"], f["key"]) for f in gate] == [
        ("pass", "2025-Q3"),
        ("pass", "2025-Q4"),
        ("not_applicable", "2026-Q1.."),  # the open sale window past the 2025 context and the filing date
    ]


def test_insurer_context_for_another_insurer_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "check",
            str(SAMPLES / "filings" / "al-prop-courier-accident.yaml"),
            "--insurer",
            str(SAMPLES / "submissions" / "hx-life-2025.json"),
        ],
    )
    assert result.exit_code == 2
    assert "is for insurer AL-PROP-017" in result.output


def test_insurer_folder_gives_each_filing_its_own_insurers_submission(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "check",
            str(SAMPLES / "filings" / "al-prop-courier-accident.yaml"),
            str(SAMPLES / "filings" / "hx-life-rural-accident.json"),
            "--insurer",
            str(SAMPLES / "submissions"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    gates = {
        s["insurer"]["code"]: [(f["status"], f["key"]) for f in s["findings"] if f["rule_id"] == "IC19-SOLVENCY-GATE"]
        for s in json.loads(result.output)["submissions"]
    }
    assert ("fail", "2025-Q3") in gates["AL-PROP-017"]  # al-prop-2025.json's class C quarter
    assert gates["HX-LIFE-001"] == [  # hx-life-2025.json; the quarters from 2026-Q1 are named, not judged
        ("pass", "2025-Q3"),
        ("pass", "2025-Q4"),
        ("not_applicable", "2026-Q1.."),
    ]


def test_insurer_is_repeatable_and_a_filing_without_its_insurers_submission_is_a_usage_error(runner: CliRunner) -> None:
    filings = [
        str(SAMPLES / "filings" / "al-prop-courier-accident.yaml"),
        str(SAMPLES / "filings" / "kn-health-fee-breach.json"),
    ]
    both = [
        "--insurer",
        str(SAMPLES / "submissions" / "al-prop-2025.json"),
        "--insurer",
        str(SAMPLES / "submissions" / "kn-health-2025.json"),
    ]
    assert runner.invoke(cli, ["check", *filings, *both, "--format", "json"]).exit_code == 1  # breaches, checked
    result = runner.invoke(cli, ["check", *filings, *both[:2]])
    assert result.exit_code == 2
    assert "kn-health-fee-breach.json: filing is for insurer KN-HLTH-006" in result.output
    assert "al-prop-2025.json is AL-PROP-017" in result.output


def test_insurer_folder_without_documents_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["check", str(SAMPLES / "filings" / "al-prop-courier-accident.yaml"), "--insurer", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no .json, .yaml or .yml documents found" in result.output


def test_invalid_input_exits_3_and_the_valid_file_is_still_checked(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "check",
            str(SAMPLES / "submissions" / "hx-life-2025.json"),
            str(SAMPLES / "invalid" / "percent-string-rate.json"),
        ],
    )
    assert result.exit_code == 3
    assert "/product/premium_rate" in result.output
    assert "HX-LIFE-001" in result.output and "1 file(s) not valid" in result.output


def test_only_invalid_input_exits_3_and_checks_nothing(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check", str(SAMPLES / "invalid" / "percent-string-rate.json")])
    assert result.exit_code == 3
    assert "/product/premium_rate" in result.output and "nothing was checked" in result.output


def test_a_period_after_the_review_date_warns_the_ruleset_may_be_out_of_date(runner: CliRunner, tmp_path: Path) -> None:
    doc = json.loads((SAMPLES / "submissions" / "hx-life-2025.json").read_text("utf-8"))
    doc["reporting_period"] = "2026-Q4"
    doc["solvency"] = [{**doc["solvency"][0], "quarter": "2026-Q4"}]
    path = tmp_path / "late.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    result = runner.invoke(cli, ["check", str(path), "--format", "json"])
    [warning] = json.loads(result.output)["submissions"][0]["warnings"]
    assert "last reviewed against the law up to 2026-09-30" in warning
    assert "may be out of date" in warning


def test_rules_matrix_accounts_for_all_twenty_items(runner: CliRunner) -> None:
    rows = json.loads(runner.invoke(cli, ["rules", "matrix", "--format", "json"]).output)["items"]
    assert [r["item"] for r in rows] == list(range(1, 21))
    assert all(r["rules"] or r["reason"] for r in rows)
    assert {r["item"] for r in rows if r["rules"]} == {4, 5, 6, 7, 8, 10, 11, 12, 19, 20}


def test_rules_show_prints_parameters_with_citations(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["rules", "show", "IC10-KPI-WEIGHT"])
    assert result.exit_code == 0
    assert "large_total_assets_cny [interpretation]" in result.output
    assert "Non-compliant::" in result.output
    assert runner.invoke(cli, ["rules", "show", "NOPE"]).exit_code == 2


def test_rules_list_and_show_give_the_strength_the_ruleset_states_on_a_date(runner: CliRunner, tmp_path: Path) -> None:
    text = (SAMPLES.parent / "rulesets" / "nfra-2024-inclusive.yaml").read_text("utf-8")
    old = "      values: [{from: 2024-05-29, value: principle}]\n"
    assert text.count(old) == 3
    changed = tmp_path / "r.yaml"
    changed.write_text(
        text.replace(
            old, "      values: [{from: 2024-05-29, value: principle}, {from: 2026-01-01, value: mandatory}]\n"
        ),
        "utf-8",
    )

    def strength(*args: str) -> str:
        result = runner.invoke(cli, [*args, "--ruleset", str(changed), "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        return str(
            data["strength"]
            if isinstance(data, dict)
            else next(r["strength"] for r in data if r["id"] == "IC10-KPI-WEIGHT")
        )

    assert strength("rules", "list", "--as-of", "2025-12-31") == "principle"
    assert strength("rules", "list", "--as-of", "2026-01-01") == "mandatory"
    assert strength("rules", "show", "IC10-KPI-WEIGHT", "--as-of", "2025-12-31") == "principle"
    assert strength("rules", "show", "ic10-kpi-weight", "--as-of", "2026-01-01") == "mandatory"
    unknown = runner.invoke(cli, ["rules", "show", "IC10-KPI-WIEGHT"])
    assert unknown.exit_code == 2
    assert "did you mean IC10-KPI-WEIGHT" in unknown.output


def test_ruleset_with_an_unknown_parameter_is_rejected(runner: CliRunner, tmp_path: Path) -> None:
    text = (SAMPLES.parent / "rulesets" / "nfra-2024-inclusive.yaml").read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("      min_weight:\n", "      min_wieght:\n", 1), "utf-8")
    result = runner.invoke(cli, ["check", str(SAMPLES / "submissions" / "hx-life-2025.json"), "--ruleset", str(bad)])
    assert result.exit_code == 3
    assert "rules/IC10-KPI-WEIGHT/params/min_wieght: unknown parameter" in result.output
    bad.write_text(text.replace("  IC10-KPI-WEIGHT:\n", "  IC99-NOPE:\n", 1), "utf-8")
    result = runner.invoke(cli, ["check", str(SAMPLES / "submissions" / "hx-life-2025.json"), "--ruleset", str(bad)])
    assert result.exit_code == 3
    assert "rules/IC99-NOPE: unknown rule" in result.output
    bad.write_text("!!python/object/apply:os.system ['true']\n", "utf-8")
    result = runner.invoke(cli, ["check", str(SAMPLES / "submissions" / "hx-life-2025.json"), "--ruleset", str(bad)])
    assert result.exit_code == 3
    assert "not valid YAML" in result.output
