"""Every case of tests/cases/<RULE_ID>.yaml, on a single file (in-memory SQLite, as `check` does) and as a
stored run on SQLite and PostgreSQL. The full list of the rule's findings must match exactly."""

from __future__ import annotations

from typing import Any

import pytest

from inclusive_check.check import check_documents
from inclusive_check.engine import Selection, execute_run
from inclusive_check.results import run_results
from inclusive_check.rules import ALL_RULES
from inclusive_check.store.ingest import ingest_one
from rulecases import Case, build, load_cases, normalise, project

CASES = load_cases()


def _verdict(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding with the rule's verdict for its status, as the cases state it: the results call an encouraged
    failure "not covered" (its outcome, by the ruleset's strength), and only that."""
    if finding["status"] == "not_covered":
        assert finding["strength"] == "encouraged", finding
        return {**finding, "status": "fail"}
    assert not (finding["status"] == "fail" and finding["strength"] == "encouraged"), finding
    return finding


def _rule_findings(results: Any, rule: str) -> list[dict[str, Any]]:
    data = results.model_dump(mode="json")
    return [_verdict(f) for sub in data["submissions"] for f in sub["findings"] if f["rule_id"] == rule]


def _check(case: Case, actual: list[dict[str, Any]]) -> None:
    expected = normalise(case.findings)
    assert project(actual, expected) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}::{c.name}")
def test_case_single_file(case: Case) -> None:
    loaded, context, ruleset = build(case)
    outcome = check_documents(loaded, ruleset, case.as_of, context)
    assert outcome.results is not None, outcome.problems
    _check(case, _rule_findings(outcome.results, case.rule))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}::{c.name}")
def test_case_stored_run(case: Case, store: Any) -> None:
    loaded, context, ruleset = build(case)
    if context is not None:
        ingest_one(store, context)
    ids = [ingest_one(store, item).submission_id for item in loaded]
    run_id = execute_run(store, ruleset, Selection(submission_ids=tuple(i for i in ids if i is not None)), case.as_of)
    with store.connect() as conn:
        _check(case, _rule_findings(run_results(conn, run_id), case.rule))


def test_every_rule_has_cases_on_both_sides() -> None:
    names: dict[str, set[str]] = {}
    for case in CASES:
        names.setdefault(case.rule, set()).add(case.name.split("_")[1])
    for rule in ALL_RULES:
        assert rule.ID in names, f"{rule.ID} has no tests/cases/{rule.ID}.yaml"
        assert {"pass", "fail"} <= names[rule.ID], f"{rule.ID} needs test_pass_* and test_fail_* cases"
        assert "na" in names[rule.ID], f"{rule.ID} needs a test_na_* case (a period before the guidance)"
