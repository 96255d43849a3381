"""Dispensations: each status, expiry on the boundary day, subject scope, mandatory rules refused.

Every case runs on a single file (in-memory SQLite, as `check` does) and as a stored run on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from inclusive_check import rules
from inclusive_check.check import check_documents
from inclusive_check.cli import cli
from inclusive_check.contract.dispensations import DispensationError
from inclusive_check.contract.load import parse_bytes
from inclusive_check.dispensations import parse_dispensations
from inclusive_check.engine import Selection, execute_run
from inclusive_check.results import run_results
from inclusive_check.ruleset import load_ruleset, load_ruleset_text
from inclusive_check.store.dispensations import import_dispensations, stored_dispensations
from inclusive_check.store.ingest import ingest_one
from rulecases import apply_patch, base, to_json

RULESET = load_ruleset()


def _document() -> Any:
    """Eleven dedicated products, all priced at their comparable's rate: eleven IC08-PREMIUM-RATE failures."""
    doc = base("submission")
    product = doc["products"][0]
    doc["products"] = [{**product, "code": f"P-{i}", "premium_rate": Decimal("0.002")} for i in range(11)]
    return doc


def _yaml(**fields: Any) -> str:
    item = {
        "id": "D-1",
        "rule": "IC08-PREMIUM-RATE",
        "insurer": "CASE-INS-001",
        "reason": "subsidised",
        "approved_by": "Supervisor A",
        "reference": "Letter 2025-12",
        "expires": "2026-06-30",
        **fields,
    }
    return json.dumps({"dispensations": [{k: v for k, v in item.items() if v is not None}]})


def _statuses(results: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {
        f["subject"]: (f["status"], f["dispensation"])
        for s in results["submissions"]
        for f in s["findings"]
        if f["rule_id"] == "IC08-PREMIUM-RATE"
    }


def _single(doc: Any, dispensations: str, as_of: date) -> dict[str, Any]:
    loaded = parse_bytes(to_json(doc), "doc.json")
    outcome = check_documents([loaded], RULESET, as_of, None, parse_dispensations(dispensations, "d.yaml"))
    assert outcome.results is not None
    return outcome.results.model_dump(mode="json")


def _stored(engine: Any, doc: Any, dispensations: str, as_of: date) -> dict[str, Any]:
    sid = ingest_one(engine, parse_bytes(to_json(doc), "doc.json")).submission_id
    items = parse_dispensations(dispensations, "d.yaml")
    run_id = execute_run(engine, RULESET, Selection(submission_ids=(sid,) if sid else ()), as_of, items)
    with engine.connect() as conn:
        return run_results(conn, run_id).model_dump(mode="json")


def both(engine: Any, doc: Any, dispensations: str, as_of: date) -> list[dict[str, Any]]:
    return [_single(doc, dispensations, as_of), _stored(engine, doc, dispensations, as_of)]


def _pointer(i: int) -> str:
    return f"/products/{i}/premium_rate"


def test_applied_to_the_whole_submission(store: Any) -> None:
    for results in both(store, _document(), _yaml(), date(2026, 1, 1)):
        assert set(_statuses(results).values()) == {("waived", "D-1")}
        assert [(d["id"], d["status"], d["covered"]) for d in results["dispensations"]] == [("D-1", "applied", 11)]
        assert results["summary"]["status"]["waived"] == 11


def test_subject_scope_does_not_cover_a_neighbour(store: Any) -> None:
    for results in both(store, _document(), _yaml(subject="/products/1"), date(2026, 1, 1)):
        statuses = _statuses(results)
        assert statuses[_pointer(1)] == ("waived", "D-1")
        assert statuses[_pointer(10)] == ("fail", None)  # /products/10 is not under /products/1
        assert statuses[_pointer(0)] == ("fail", None)
        assert sum(1 for s, _ in statuses.values() if s == "waived") == 1


@pytest.mark.parametrize(("as_of", "status"), [(date(2026, 6, 30), "applied"), (date(2026, 7, 1), "expired")])
def test_expiry_is_inclusive_on_the_boundary_day(store: Any, as_of: date, status: str) -> None:
    for results in both(store, _document(), _yaml(subject="/products/0"), as_of):
        assert [d["status"] for d in results["dispensations"]] == [status]
        finding = _statuses(results)[_pointer(0)]
        sub = results["submissions"][0]
        if status == "applied":
            assert finding == ("waived", "D-1")
            assert sub["warnings"] == []
        else:
            assert finding == ("fail", None)
            assert sub["warnings"] == [
                "dispensation D-1 for IC08-PREMIUM-RATE expired on 2026-06-30; 1 failure(s) it covered stand"
            ]


def test_unused_when_nothing_fails(store: Any) -> None:
    compliant = base("submission")
    for results in both(store, compliant, _yaml(), date(2026, 1, 1)):
        assert [(d["status"], d["covered"]) for d in results["dispensations"]] == [("unused", 0)]


def test_period_scope(store: Any) -> None:
    for results in both(store, _document(), _yaml(period="2024"), date(2026, 1, 1)):
        assert [d["status"] for d in results["dispensations"]] == ["unused"]
        assert set(_statuses(results).values()) == {("fail", None)}


def test_waived_does_not_fail_the_exit_code(tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    doc.write_bytes(to_json(apply_patch(base("submission"), {"/products/0/premium_rate": Decimal("0.002")})))
    dispensations = tmp_path / "d.yaml"
    dispensations.write_text(_yaml(), "utf-8")
    runner = CliRunner()
    failing = runner.invoke(cli, ["check", str(doc), "--as-of", "2026-01-01"])
    assert failing.exit_code == 1
    waived = runner.invoke(
        cli, ["check", str(doc), "--as-of", "2026-01-01", "--dispensations", str(dispensations), "--format", "json"]
    )
    assert waived.exit_code == 0, waived.output
    assert json.loads(waived.output)["dispensations"][0]["status"] == "applied"


@pytest.mark.parametrize("rule", ["IC19-SOLVENCY-GATE", "IC10-LEADERSHIP", "IC11-ONLINE-SERVICE"])
def test_only_principle_rules_can_be_dispensed(rule: str, tmp_path: Path) -> None:
    text = (
        "dispensations:\n  - id: D-9\n    rule: " + rule + "\n    insurer: CASE-INS-001\n    reason: r\n"
        "    approved_by: a\n    reference: b\n    expires: 2026-01-01\n"
    )
    with pytest.raises(DispensationError) as raised:
        parse_dispensations(text, "d.yaml")
    [problem] = raised.value.problems
    assert (problem.pointer, problem.line, problem.column) == ("/dispensations/0/rule", 3, 11)
    assert "only principle" in problem.message
    path = tmp_path / "d.yaml"
    path.write_text(text, "utf-8")
    doc = tmp_path / "doc.json"
    doc.write_bytes(to_json(base("submission")))
    result = CliRunner().invoke(cli, ["check", str(doc), "--dispensations", str(path)])
    assert result.exit_code == 3
    assert "d.yaml:3:11: /dispensations/0/rule" in result.output


@pytest.mark.parametrize(("field", "pointer"), [("approved_by", "/dispensations/0"), ("expires", "/dispensations/0")])
def test_required_fields(field: str, pointer: str) -> None:
    item = json.loads(_yaml())
    del item["dispensations"][0][field]
    with pytest.raises(DispensationError) as raised:
        parse_dispensations(json.dumps(item), "d.json")
    assert [(p.pointer, p.message) for p in raised.value.problems] == [(pointer, f"'{field}' is a required property")]


def test_import_keeps_history_and_later_runs_use_it(store: Any, db_url: str, tmp_path: Path) -> None:
    first = parse_dispensations(_yaml(), "d.yaml")
    assert import_dispensations(store, first, "d.yaml") == {"new": 1, "changed": 0, "unchanged": 0}
    assert import_dispensations(store, first, "d.yaml") == {"new": 0, "changed": 0, "unchanged": 1}
    changed = parse_dispensations(_yaml(expires="2026-12-31"), "d.yaml")
    assert import_dispensations(store, changed, "d.yaml") == {"new": 0, "changed": 1, "unchanged": 0}
    assert [d.expires for d in stored_dispensations(store)] == [date(2026, 12, 31)]
    doc = tmp_path / "doc.json"
    doc.write_bytes(to_json(_document()))
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "ingest", str(doc)]).exit_code == 0
    result = runner.invoke(cli, ["--db", db_url, "run", "--as-of", "2026-07-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [(d["status"], d["expires"]) for d in json.loads(result.output)["dispensations"]] == [
        ("applied", "2026-12-31")
    ]


def test_dispensations_naming_a_retired_rule_id_still_apply(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dispensation stored (or written) before its rule was renamed applies to the rule under its new ID."""
    import_dispensations(store, parse_dispensations(_yaml(), "d.yaml"), "d.yaml")
    with store.begin() as conn:  # as stored before the rename
        conn.execute(text("UPDATE dispensations SET rule_id = 'IC08-PRICE'"))
    monkeypatch.setitem(rules.ALIASES, "IC08-PRICE", "IC08-PREMIUM-RATE")
    stored = stored_dispensations(store)
    assert [d.rule for d in stored] == ["IC08-PREMIUM-RATE"]
    [written] = parse_dispensations(_yaml(rule="IC08-PRICE"), "d.yaml")
    assert written.rule == "IC08-PREMIUM-RATE"
    sid = ingest_one(store, parse_bytes(to_json(_document()), "doc.json")).submission_id
    run_id = execute_run(store, RULESET, Selection(submission_ids=(sid,) if sid else ()), date(2026, 1, 1), stored)
    with store.connect() as conn:
        statuses = _statuses(run_results(conn, run_id).model_dump(mode="json"))
    assert len(statuses) == 11 and set(statuses.values()) == {("waived", "D-1")}


def test_an_unknown_rule_in_a_dispensation_names_the_closest(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DispensationError) as raised:
        parse_dispensations(_yaml(rule="IC08-PREMIUM-RAT"), "d.yaml")
    [problem] = raised.value.problems
    assert problem.pointer == "/dispensations/0/rule"
    assert "did you mean IC08-PREMIUM-RATE" in problem.message


def test_only_failures_filed_as_principle_are_waived(store: Any) -> None:
    """A rule's strength is ruleset data: read as mandatory from a date, its failures are no longer dispensable."""
    stricter = load_ruleset_text(
        RULESET.text.replace(
            "      values: [{from: 2024-05-29, value: principle}]\n",
            "      values: [{from: 2024-05-29, value: principle}, {from: 2025-10-01, value: mandatory}]\n",
            1,
        ),
        "r.yaml",
    )
    assert stricter.strength(rules.get("IC08-PREMIUM-RATE"), date(2025, 12, 31)) == "mandatory"
    items = parse_dispensations(_yaml(), "d.yaml", stricter)
    sid = ingest_one(store, parse_bytes(to_json(_document()), "doc.json")).submission_id
    run_id = execute_run(store, stricter, Selection(submission_ids=(sid,) if sid else ()), date(2026, 1, 1), items)
    with store.connect() as conn:
        results = run_results(conn, run_id).model_dump(mode="json")
    assert set(_statuses(results).values()) == {("fail", None)}
    assert results["dispensations"][0]["status"] == "unused"
