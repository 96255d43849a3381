"""`diff`: between two stored runs each open finding is new, fixed or persisting, matched by fingerprint."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from report_helpers import KN_SUBMISSION, SUBMISSIONS, load_results, store_run

from inclusive_check.cli import cli
from inclusive_check.reports.diff import diff_results, diff_runs


def _kn(tmp_path: Path, name: str, premium_rates: tuple[float, float, float]) -> Path:
    """The KN sample with governance in order, product 2 given a comparable, and the three premium rates."""
    doc = json.loads(KN_SUBMISSION.read_text(encoding="utf-8"))
    doc["governance"]["lead_department"] = "普惠保险事业部"
    doc["governance"]["board_reviews"] = ["2025-06-20"]
    doc["products"][2]["comparable"] = {"product_code": "KNH-CC-STD-01", "premium_rate": 0.004,
                                        "intermediary_fee_rate": None}
    for product, rate in zip(doc["products"], premium_rates, strict=False):
        product["premium_rate"] = rate
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _two_runs(store: Any, tmp_path: Path) -> tuple[int, int]:
    # before: product 0 priced like its comparable (breach), product 1's fee too high (breach), product 2 fine
    first = store_run(store, [_kn(tmp_path, "kn-a.json", (0.018, 0.0042, 0.0035))])
    # after: product 0 repriced (fixed), product 1 unchanged (persists), product 2 now priced at its comparable (new)
    second = store_run(store, [_kn(tmp_path, "kn-b.json", (0.017, 0.0042, 0.004))])
    return first, second


def _classified(diff: dict[str, Any]) -> list[tuple[str, str, str, str | None, str | None]]:
    return [(f["change"], f["rule_id"], f["subject"], f["status_before"], f["status_after"])
            for f in diff["findings"]]


def test_fixed_new_and_persisting_are_told_apart(store: Any, tmp_path: Path) -> None:
    first, second = _two_runs(store, tmp_path)
    diff = diff_runs(store, first, second)
    assert _classified(diff) == [
        ("new", "IC08-PREMIUM-RATE", "/products/2/premium_rate", "pass", "fail"),
        ("fixed", "IC08-PREMIUM-RATE", "/products/0/premium_rate", "fail", "pass"),
        ("persisting", "IC06-SMALL-BUSINESS", "/products", "fail", "fail"),
        ("persisting", "IC12-FEE-RATE", "/products/1/intermediary_fee_rate", "fail", "fail"),
    ]
    assert diff["summary"] == {"new": 1, "fixed": 1, "persisting": 2, "not_rechecked": 0}
    before, after = load_results(store, first), load_results(store, second)
    fingerprints_after = {f["fingerprint"]: f for f in after["submissions"][0]["findings"]}
    for entry in diff["findings"]:
        assert fingerprints_after[entry["fingerprint"]]["subject"] == entry["subject"]
    (score,) = diff["scores"]
    compliance_before = before["submissions"][0]["score"]["compliance"]
    compliance_after = after["submissions"][0]["score"]["compliance"]
    assert score["compliance"] == {
        "before": compliance_before, "after": compliance_after,
        "change": format((Decimal(compliance_after) - Decimal(compliance_before)).normalize(), "f")
        if compliance_after != compliance_before else "0"}
    assert (score["insurer"], score["kind"], score["document_key"]) == ("KN-HLTH-006", "submission", "2025")
    assert score["variety"]["change"] == "0"


def test_default_is_the_last_two_runs_in_text_and_json(store: Any, tmp_path: Path) -> None:
    first, second = _two_runs(store, tmp_path)
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    as_json = runner.invoke(cli, ["--db", url, "diff", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert (payload["before"]["id"], payload["after"]["id"]) == (first, second)
    assert payload == json.loads(json.dumps(diff_runs(store, first, second), default=str))
    explicit = runner.invoke(cli, ["--db", url, "diff", str(first), str(second)])
    default = runner.invoke(cli, ["--db", url, "diff"])
    assert explicit.exit_code == default.exit_code == 0
    assert explicit.output == default.output
    lines = default.output.splitlines()
    assert lines[1] == "== KN-HLTH-006 2025"
    assert [line.split()[0] for line in lines[2:6]] == ["new", "fixed", "persisting", "persisting"]
    assert "/products/2/premium_rate" in lines[2] and "/products/0/premium_rate" in lines[3]
    assert lines[-1] == "1 new, 1 fixed, 2 persisting, 0 not rechecked"
    chinese = runner.invoke(cli, ["--db", url, "diff", "--lang", "zh"])
    assert chinese.output.splitlines()[-1] == "1 新增, 1 已整改, 2 仍存在, 0 未复查"


def test_a_document_left_out_of_the_later_run_is_not_fixed(store: Any, tmp_path: Path) -> None:
    first = store_run(store, list(SUBMISSIONS))
    second = store_run(store, [], insurer="KN-HLTH-006")
    diff = diff_runs(store, first, second)
    changes = {(f["insurer"], f["change"]) for f in diff["findings"]}
    assert {c for i, c in changes if i == "KN-HLTH-006"} == {"persisting"}
    assert {c for i, c in changes if i != "KN-HLTH-006"} == {"not_rechecked"}
    assert diff["summary"]["fixed"] == diff["summary"]["new"] == 0
    left_out = [s for s in diff["scores"] if not s["in_after"]]
    assert sorted(s["insurer"] for s in left_out) == ["AL-PROP-017", "FH-AGRI-003", "HX-LIFE-001", "ZS-PROP-002"]
    assert all(s["compliance"]["after"] is None and s["compliance"]["change"] is None for s in left_out)


def test_diff_of_the_same_run_changes_nothing(sample_results: dict[str, Any]) -> None:
    diff = diff_results(sample_results, sample_results)
    open_count = sum(sample_results["summary"]["open_by_severity"].values())
    assert diff["summary"] == {"new": 0, "fixed": 0, "persisting": open_count, "not_rechecked": 0}
    assert all(s["compliance"]["change"] == "0" for s in diff["scores"])


def test_diff_usage_errors(store: Any) -> None:
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", url, "diff"])
    assert result.exit_code == 2 and "diff needs two stored runs; the database has 0" in result.output
    result = runner.invoke(cli, ["--db", url, "diff", "1"])
    assert result.exit_code == 2 and "give two run ids" in result.output
    result = runner.invoke(cli, ["--db", url, "diff", "1", "2"])
    assert result.exit_code == 2 and "no stored run 1" in result.output
