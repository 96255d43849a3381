"""A rule may give its findings as one SELECT (``findings_query``); the engine writes them with INSERT ... SELECT.

The rows must be the ones ``evaluate`` yields through the Python path, in the same order, on each backend.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Numeric, case, cast, func, literal, null, select

from inclusive_check.engine import Selection, execute_run
from inclusive_check.rules import ic08_target_groups
from inclusive_check.rules.base import Scope, status_case
from inclusive_check.ruleset import load_ruleset
from inclusive_check.store import tables as t
from inclusive_check.store.ingest import ingest_paths

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
COLUMNS = ("submission_id", "rule_id", "clause", "strength", "severity", "status", "subject", "key", "expected",
           "actual", "margin", "dispensation_id")


def target_groups_query(conn: Connection, scope: Scope, p: Any) -> Any:
    """IC08-TARGET-GROUPS's ``evaluate``, as SQL."""
    rs, pr = t.RunSubmission, t.Product
    trim = func.trim if conn.dialect.name == "sqlite" else func.btrim
    groups = func.replace(trim(pr.target_groups, ","), ",", ", ")
    return (
        select(rs.submission_id.label("submission_id"), (pr.pointer + "/target_groups").label("subject"),
               status_case(pr.target_group_count > 0), literal("at least 1 target group").label("expected"),
               case((groups == "", "none"), else_=groups).label("actual"), cast(null(), Numeric).label("margin"),
               literal("").label("key"), pr.id.label("ordinal"))
        .join(pr, pr.submission_id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True))
    )


def _findings(store: Any, run_id: int) -> list[tuple[Any, ...]]:
    f = t.Finding
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*[getattr(f, c) for c in COLUMNS])
                                               .where(f.run_id == run_id).order_by(f.id))]


def test_set_based_findings_equal_the_python_path(store: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    files = sorted((SAMPLES / "submissions").glob("*.json"))
    # a product with no target group and a dedicated product added, so that both statuses occur
    extra = tmp_path / "extra.json"
    text = (SAMPLES / "submissions" / "hx-life-2025.json").read_text("utf-8")
    extra.write_text(text.replace('"HX-LIFE-001"', '"HX-LIFE-002"').replace(
        '"target_groups": ["rural_residents", "poverty_alleviated"]', '"target_groups": []'), "utf-8")
    assert not ingest_paths(store, [*files, extra], 64 * 2**20).quarantined
    ruleset, as_of = load_ruleset(None), date(2026, 1, 15)
    python_run = execute_run(store, ruleset, Selection(), as_of)
    calls: list[Scope] = []

    def counted(conn: Connection, scope: Scope, p: Any) -> Any:
        calls.append(scope)
        return target_groups_query(conn, scope, p)

    monkeypatch.setattr(ic08_target_groups, "findings_query", counted, raising=False)
    sql_run = execute_run(store, ruleset, Selection(), as_of)
    assert calls, "the engine did not use findings_query"
    python_rows, sql_rows = _findings(store, python_run), _findings(store, sql_run)
    assert python_rows == sql_rows
    judged = [r for r in sql_rows if r[1] == ic08_target_groups.ID]
    assert {r[5] for r in judged} == {"pass", "fail"}
