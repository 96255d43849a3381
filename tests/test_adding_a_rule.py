"""Adding a rule takes four things (CONTRIBUTING.md, "Adding a rule"): the rule module, its line in the registry,
its ruleset entry and its case. Proven here with a throwaway rule that lives only in this test: its module is
written to a temporary folder, registered by patching the registry, given a ruleset entry, and run through
`check` (in-memory SQLite) and through `ingest` + `run` on SQLite and PostgreSQL, and through its case."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import case, select

from inclusive_check import rules
from inclusive_check.check import check_documents
from inclusive_check.cli import cli
from inclusive_check.engine import RuleCrash
from inclusive_check.rules.findings import finding, from_select, one_by_one
from inclusive_check.store import tables as t
from rulecases import RULESET_FILE, Case, base, build, normalise, project, to_json

RULE = '''"""Ensure a dedicated product's premium rate is at most the ruleset's ceiling (a test fixture)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, case, select

from inclusive_check.rules.base import Params as _Params
from inclusive_check.rules.base import Scope
from inclusive_check.rules.findings import Findings, from_select
from inclusive_check.store import tables as t

ID = "IC99-FIXTURE-CEILING"
CLAUSE = 8
KINDS = ("submission", "product_filing")
TITLE = {"en": "Keep premium rates under a ceiling", "zh": "费率不超过上限"}
MESSAGES = {
    "pass": {"en": "{subject}: {actual}, within {expected}.", "zh": "{subject}：{actual}，不超过{expected}。"},
    "fail": {"en": "{subject}: {actual}, above {expected}.", "zh": "{subject}：{actual}，超过{expected}。"},
    "not_applicable": {"en": "Not applied: {actual}.", "zh": "未适用：{actual}。"},
}


class Params(_Params):
    max_rate: Decimal


def evaluate(conn: Connection, scope: Scope, p: Params) -> Findings:
    rs, pr = t.run_submissions.c, t.products.c
    query = (select(rs.submission_id).join(t.products, pr.submission_id == rs.submission_id)
             .where(scope.where(), pr.dedicated_inclusive.is_(True)))
    return from_select(query, submission_id=rs.submission_id, subject=pr.pointer + "/premium_rate",
                       status=case((pr.premium_rate <= p.max_rate, "pass"), else_="fail"),
                       expected="<= {threshold}", actual="{value}", product_id=pr.id, value=pr.premium_rate,
                       threshold=p.max_rate, margin=p.max_rate - pr.premium_rate, unit="rate",
                       ordinal=pr.position)
'''
ENTRY = {
    "in_force": {"citation": "a test fixture", "values": [{"from": date(2024, 5, 29)}]},
    "strength": {"citation": "a test fixture", "values": [{"from": date(2024, 5, 29), "value": "principle"}]},
    "params": {"max_rate": {"citation": "a test fixture", "values": [{"from": date(2024, 5, 29), "value": "0.0005"}]}},
}
CASE = Case(
    rule="IC99-FIXTURE-CEILING",
    name="test_fail_above_the_ceiling",
    ruleset_patch={"/rules/IC99-FIXTURE-CEILING": ENTRY},
    findings=[
        {
            "status": "fail",
            "severity": "error",
            "subject": "/products/0/premium_rate",
            "expected": "<= 0.05%",
            "actual": "0.10%",
            "margin": "-0.0005",
        }
    ],
)


@pytest.fixture
def new_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The rule module, imported from a temporary folder and appended to the registry."""
    (tmp_path / "ic99_fixture_ceiling.py").write_text(RULE, "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("ic99_fixture_ceiling")
    monkeypatch.setattr(rules, "ALL_RULES", (*rules.ALL_RULES, module))
    return module


def _ruleset_file(tmp_path: Path) -> Path:
    data = yaml.safe_load(RULESET_FILE.read_text("utf-8"))
    data["rules"][CASE.rule] = ENTRY
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def _document(tmp_path: Path) -> Path:
    path = tmp_path / "submission.json"
    path.write_bytes(to_json(base("submission")))
    return path


def _mine(output: str) -> list[dict[str, Any]]:
    results = json.loads(output)
    return [f for sub in results["submissions"] for f in sub["findings"] if f["rule_id"] == CASE.rule]


def _expected_in_output(findings: list[dict[str, Any]]) -> None:
    expected = normalise(CASE.findings)
    assert project(findings, expected) == expected
    assert findings[0]["value"] == "0.001" and findings[0]["threshold"] == "0.0005" and findings[0]["unit"] == "rate"
    assert findings[0]["product"]["code"] == "P-DED-1" and findings[0]["product"]["position"] == 0
    assert findings[0]["message"]["en"] == "/products/0/premium_rate: 0.10%, above <= 0.05%."


def test_the_rule_runs_through_its_case(new_rule: ModuleType) -> None:
    loaded, context, ruleset = build(CASE)
    outcome = check_documents(loaded, ruleset, CASE.as_of, context)
    assert outcome.results is not None
    findings = [
        f
        for sub in outcome.results.model_dump(mode="json")["submissions"]
        for f in sub["findings"]
        if f["rule_id"] == CASE.rule
    ]
    _expected_in_output(findings)


def test_the_rule_runs_through_check(new_rule: ModuleType, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(_document(tmp_path)),
            "--ruleset",
            str(_ruleset_file(tmp_path)),
            "--as-of",
            "2026-01-01",
            "--format",
            "json",
            "--exit-zero",
        ],
    )
    assert result.exit_code == 0, result.output
    _expected_in_output(_mine(result.stdout))


def test_the_rule_runs_through_a_stored_run(new_rule: ModuleType, tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    stored = runner.invoke(cli, ["--db", db_url, "ingest", str(_document(tmp_path))])
    assert stored.exit_code == 0, stored.output
    result = runner.invoke(
        cli,
        [
            "--db",
            db_url,
            "run",
            "--ruleset",
            str(_ruleset_file(tmp_path)),
            "--as-of",
            "2026-01-01",
            "--format",
            "json",
            "--exit-zero",
        ],
    )
    assert result.exit_code == 0, result.output
    _expected_in_output(_mine(result.stdout))


def _crash(monkeypatch: pytest.MonkeyPatch, module: ModuleType, evaluate: Any) -> str:
    monkeypatch.setattr(module, "evaluate", evaluate)
    loaded, context, ruleset = build(CASE)
    with pytest.raises(RuleCrash) as crash:
        check_documents(loaded, ruleset, CASE.as_of, context)
    assert crash.value.rule_id == CASE.rule
    return str(crash.value)


def test_a_result_that_is_not_findings_is_a_crash_naming_the_rule(
    new_rule: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = _crash(monkeypatch, new_rule, lambda conn, scope, p: [("a", "tuple")])
    assert "IC99-FIXTURE-CEILING" in message and "evaluate returned list, not Findings" in message


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"margin": 0.5}, "margin must be a Decimal or an int, not float"),
        ({"status": "failed"}, "status 'failed' is not one of"),
        ({"unit": "percent"}, "unit 'percent' is not one of"),
    ],
)
def test_a_malformed_finding_is_a_crash_naming_the_rule(
    new_rule: ModuleType, monkeypatch: pytest.MonkeyPatch, bad: dict[str, Any], says: str
) -> None:
    fields: dict[str, Any] = {"status": "fail", **bad}

    @one_by_one
    def evaluate(conn: Any, scope: Any, p: Any) -> Iterator[Any]:
        status = fields.pop("status")
        yield finding(1, "/insurer", status, "x", "y", **fields)

    assert says in _crash(monkeypatch, new_rule, evaluate)


def test_a_set_based_status_outside_the_statuses_is_a_crash_naming_the_rule(
    new_rule: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def evaluate(conn: Any, scope: Any, p: Any) -> Any:
        rs = t.run_submissions.c
        return from_select(
            select(rs.submission_id).where(scope.where()),
            submission_id=rs.submission_id,
            subject="/insurer",
            status=case((rs.id > 0, "passed"), else_="fail"),
            expected="x",
            actual="y",
            ordinal=rs.id,
        )

    assert "status 'passed' is not one of" in _crash(monkeypatch, new_rule, evaluate)


def test_long_texts_are_cut_to_their_columns(new_rule: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    @one_by_one
    def evaluate(conn: Any, scope: Any, p: Any) -> Iterator[Any]:
        rs = t.run_submissions.c
        for sid in conn.execute(select(rs.submission_id).where(scope.where())).scalars():
            yield finding(sid, "/insurer", "fail", "e" * 600, "a" * 600)

    monkeypatch.setattr(new_rule, "evaluate", evaluate)
    loaded, context, ruleset = build(CASE)
    outcome = check_documents(loaded, ruleset, CASE.as_of, context)
    assert outcome.results is not None
    [mine] = [
        f
        for sub in outcome.results.model_dump(mode="json")["submissions"]
        for f in sub["findings"]
        if f["rule_id"] == CASE.rule
    ]
    assert (mine["expected"], mine["actual"]) == ("e" * 500, "a" * 500)
