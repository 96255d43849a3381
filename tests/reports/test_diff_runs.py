"""`diff`: between two stored runs each open or waived finding is new, fixed, waived or persisting, matched by
fingerprint; dispensations of the later run that expire soon are listed."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from report_helpers import AS_OF, KN_SUBMISSION, SUBMISSIONS, kn_dispensations, load_results, store_run

from inclusive_check.cli import cli
from inclusive_check.reports.diff import render_text
from inclusive_check.results import diff_results
from inclusive_check.results import diff_runs as typed_diff_runs


def diff_runs(store: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The diff in its published JSON form."""
    return typed_diff_runs(store, *args, **kwargs).model_dump(mode="json")


def _kn(tmp_path: Path, name: str, premium_rates: tuple[float, float, float]) -> Path:
    """The KN sample with governance in order, product 2 given a comparable, and the three premium rates."""
    doc = json.loads(KN_SUBMISSION.read_text(encoding="utf-8"))
    doc["governance"]["lead_department"] = "普惠保险事业部"
    doc["governance"]["board_reviews"] = ["2025-06-20"]
    doc["products"][2]["comparable"] = {
        "product_code": "KNH-CC-STD-01",
        "premium_rate": 0.004,
        "intermediary_fee_rate": None,
    }
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
    return [(f["change"], f["rule_id"], f["subject"], f["status_before"], f["status_after"]) for f in diff["findings"]]


def test_fixed_new_and_persisting_are_told_apart(store: Any, tmp_path: Path) -> None:
    first, second = _two_runs(store, tmp_path)
    diff = diff_runs(store, first, second)
    assert _classified(diff) == [
        ("new", "IC08-PREMIUM-RATE", "/products/2/premium_rate", "pass", "fail"),
        ("fixed", "IC08-PREMIUM-RATE", "/products/0/premium_rate", "fail", "pass"),
        ("persisting", "IC12-FEE-RATE", "/products/1/intermediary_fee_rate", "fail", "fail"),
    ]
    # IC06 (encouraged) is not met in either run: not covered, counted apart, never persisting
    assert diff["summary"] == {
        "new": 1,
        "fixed": 1,
        "waived": 0,
        "persisting": 1,
        "not_rechecked": 0,
        "not_covered": 1,
    }
    before, after = (load_results(store, run).model_dump(mode="json") for run in (first, second))
    fingerprints_after = {f["fingerprint"]: f for f in after["submissions"][0]["findings"]}
    for entry in diff["findings"]:
        assert fingerprints_after[entry["fingerprint"]]["subject"] == entry["subject"]
    (score,) = diff["scores"]
    compliance_before = before["submissions"][0]["score"]["compliance"]
    compliance_after = after["submissions"][0]["score"]["compliance"]
    assert score["compliance"] == {
        "before": compliance_before,
        "after": compliance_after,
        "change": format((Decimal(compliance_after) - Decimal(compliance_before)).normalize(), "f")
        if compliance_after != compliance_before
        else "0",
    }
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
    lines = runner.invoke(cli, ["--db", url, "diff", "--all"]).output.splitlines()
    assert lines[1] == "== KN-HLTH-006 2025"
    assert [line.split()[0] for line in lines[2:5]] == ["new", "fixed", "persisting"]
    assert "/products/2/premium_rate" in lines[2] and "/products/0/premium_rate" in lines[3]
    changes = default.output.splitlines()  # by default: what changed only
    assert [line.split()[0] for line in changes[2:4]] == ["new", "fixed"]
    assert "persisting" not in " ".join(line.split()[0] for line in changes[2:-1] if line.startswith("   "))
    assert "(1 persisting finding(s) not listed; --all lists them)" in changes
    assert lines[-1] == "1 new, 1 fixed, 0 waived, 1 persisting, 0 not rechecked, 1 not covered in the later run"
    chinese = runner.invoke(cli, ["--db", url, "diff", "--lang", "zh"])
    assert chinese.output.splitlines()[-1] == "1 新增, 1 已整改, 0 已豁免, 1 仍存在, 0 未复查, 1 后一批次未覆盖"


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


def test_diff_of_the_same_run_changes_nothing(sample_results: Any) -> None:
    diff = diff_results(sample_results, sample_results)
    open_count = sum(sample_results.summary.open_by_severity.values())
    assert diff.summary.model_dump() == {
        "new": 0,
        "fixed": 0,
        "waived": 0,
        "persisting": open_count,
        "not_rechecked": 0,
        "not_covered": sample_results.summary.status["not_covered"],
    }
    assert all(s.compliance.change == "0" for s in diff.scores)


def test_diff_usage_errors(store: Any) -> None:
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", url, "diff"])
    assert result.exit_code == 2 and "diff needs two stored runs; the database has 0" in result.output
    result = runner.invoke(cli, ["--db", url, "diff", "1"])
    assert result.exit_code == 2 and "give two run ids" in result.output
    result = runner.invoke(cli, ["--db", url, "diff", "1", "2"])
    assert result.exit_code == 2 and "no stored run 1" in result.output


def _dispensed(diff: dict[str, Any]) -> list[tuple[str, str, str | None, str | None, str | None, str | None]]:
    return [
        (
            f["change"],
            f["subject"],
            f["status_before"],
            f["status_after"],
            f["dispensation_before"],
            f["dispensation_after"],
        )
        for f in diff["findings"]
        if f["rule_id"] in ("IC08-PREMIUM-RATE", "IC12-FEE-RATE")
    ]


def test_a_newly_waived_finding_is_waived_not_fixed(store: Any) -> None:
    first = store_run(store, [KN_SUBMISSION])
    second = store_run(store, [KN_SUBMISSION], dispensations=kn_dispensations())
    diff = diff_runs(store, first, second)
    assert _dispensed(diff) == [
        ("waived", "/products/0/premium_rate", "fail", "waived", None, "D-EDGE"),
        ("waived", "/products/1/intermediary_fee_rate", "fail", "waived", None, "D-PAST-EDGE"),
        ("persisting", "/products/2/premium_rate", "indeterminate", "indeterminate", None, None),
    ]
    assert diff["summary"]["waived"] == 2 and diff["summary"]["fixed"] == 0
    # the later run's dispensations expiring within 90 days: exactly 90 days is in, 91 days is not
    assert diff["expiry_warning_days"] == 90
    assert [(d["id"], d["status"], d["expires_in_days"]) for d in diff["expiring_dispensations"]] == [
        ("D-EDGE", "applied", 90)
    ]
    wider = diff_runs(store, first, second, expiry_warning_days=91)
    assert [d["id"] for d in wider["expiring_dispensations"]] == ["D-EDGE", "D-PAST-EDGE"]


def test_waived_persists_as_waived_and_a_lapsed_dispensation_reopens(store: Any) -> None:
    waived = store_run(store, [KN_SUBMISSION], dispensations=kn_dispensations())
    # 91 days on: D-EDGE (AS_OF + 90) has lapsed, D-PAST-EDGE (AS_OF + 91) holds on its last day
    later = store_run(store, [KN_SUBMISSION], dispensations=kn_dispensations(), as_of=AS_OF + timedelta(days=91))
    diff = diff_runs(store, waived, later)
    assert _dispensed(diff) == [
        ("new", "/products/0/premium_rate", "waived", "fail", "D-EDGE", None),
        ("waived", "/products/1/intermediary_fee_rate", "waived", "waived", "D-PAST-EDGE", "D-PAST-EDGE"),
        ("persisting", "/products/2/premium_rate", "indeterminate", "indeterminate", None, None),
    ]
    assert [(d["id"], d["status"], d["expires_in_days"]) for d in diff["expiring_dispensations"]] == [
        ("D-PAST-EDGE", "applied", 0),
        ("D-UNUSED", "unused", 29),
    ]
    assert "expires 2026-04-16 (today)" in render_text(typed_diff_runs(store, waived, later))


def test_diff_text_and_json_show_waived_and_expiring(store: Any) -> None:
    first = store_run(store, [KN_SUBMISSION])
    second = store_run(store, [KN_SUBMISSION], dispensations=kn_dispensations())
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    text = runner.invoke(cli, ["--db", url, "diff"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    waived = [line for line in lines if line.split()[:1] == ["waived"]]
    assert len(waived) == 2 and all(" waived " in line for line in waived)
    assert "/products/0/premium_rate" in waived[0] and "D-EDGE" in waived[0]
    assert lines[-3:] == [
        f"dispensations of run {second} expiring within 90 day(s):",
        "   D-EDGE (IC08-PREMIUM-RATE, KN-HLTH-006, /products/0): applied, 1 failure(s) covered, expires "
        "2026-04-15 (in 90 day(s)); Letter D-EDGE",
        "0 new, 0 fixed, 2 waived, 3 persisting, 0 not rechecked, 1 not covered in the later run",
    ]
    chinese = runner.invoke(cli, ["--db", url, "diff", "--lang", "zh", "--expiry-warning-days", "91"])
    assert chinese.exit_code == 0, chinese.output
    assert f"批次 {second} 即将到期的豁免（91天内）：" in chinese.output
    assert (
        "D-PAST-EDGE（IC12-FEE-RATE, KN-HLTH-006, /products/1）：已适用，覆盖 1 项未达标，2026-04-16到期（91天后）"
        in chinese.output
    )
    assert chinese.output.splitlines()[-1] == "0 新增, 0 已整改, 2 已豁免, 3 仍存在, 0 未复查, 1 后一批次未覆盖"
    as_json = runner.invoke(
        cli, ["--db", url, "diff", str(first), str(second), "--format", "json", "--expiry-warning-days", "89"]
    )
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert payload["summary"]["waived"] == 2 and payload["expiring_dispensations"] == []
    assert payload["expiry_warning_days"] == 89


def test_a_fixed_finding_is_shown_as_it_was_before(store: Any, tmp_path: Path) -> None:
    first, second = _two_runs(store, tmp_path)
    diff = diff_runs(store, first, second)
    (fixed,) = [f for f in diff["findings"] if f["change"] == "fixed"]
    findings = load_results(store, first).model_dump(mode="json")["submissions"][0]["findings"]
    was = {f["fingerprint"]: f for f in findings}[fixed["fingerprint"]]
    assert (fixed["status"], fixed["severity"], fixed["message"]) == (was["status"], was["severity"], was["message"])
    assert fixed["status"] == "fail"
    # the text view shows the same before-state: severity, status, rule
    url = store.url.render_as_string(hide_password=False)
    text = CliRunner().invoke(cli, ["--db", url, "diff", str(first), str(second)]).output
    (line,) = [line for line in text.splitlines() if line.split()[:1] == ["fixed"]]  # a change: listed by default
    assert line.split()[1:4] == [was["severity"], was["status"], was["rule_id"]]
    (new,) = [f for f in diff["findings"] if f["change"] == "new"]
    assert (new["status"], new["status_after"]) == ("fail", "fail")


def test_diff_fail_on_exits_1_when_new_open_findings_reach_it(store: Any, tmp_path: Path) -> None:
    first, second = _two_runs(store, tmp_path)
    url = store.url.render_as_string(hide_password=False)
    runner = CliRunner()
    (new,) = [f for f in diff_runs(store, first, second)["findings"] if f["change"] == "new"]
    assert new["severity"] == "error" and new["status"] in ("fail", "indeterminate")
    assert runner.invoke(cli, ["--db", url, "diff"]).exit_code == 0  # reports only, by default
    assert runner.invoke(cli, ["--db", url, "diff", "--fail-on", "error"]).exit_code == 1
    assert runner.invoke(cli, ["--db", url, "diff", "--fail-on", "info", "--format", "json"]).exit_code == 1
    # a run against itself: open findings that all persist, nothing new to fail on
    assert runner.invoke(cli, ["--db", url, "diff", str(second), str(second), "--fail-on", "info"]).exit_code == 0
