"""Scores (SPEC 5), worked by hand from the base case document, on a single file and on a stored run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from inclusive_check.check import check_documents
from inclusive_check.contract.load import parse_bytes
from inclusive_check.engine import Selection, execute_run
from inclusive_check.results import run_results
from inclusive_check.ruleset import load_ruleset
from inclusive_check.store.ingest import ingest_one
from rulecases import apply_patch, base, to_json

RULESET = load_ruleset()
AS_OF = date(2026, 1, 1)


def _scores(store: Any, patch: dict[str, Any]) -> list[dict[str, Any]]:
    doc = parse_bytes(to_json(apply_patch(base("submission"), patch)), "doc.json")
    single = check_documents([doc], RULESET, AS_OF).results
    assert single is not None
    sid = ingest_one(store, doc).submission_id
    run_id = execute_run(store, RULESET, Selection(submission_ids=(sid,) if sid else ()), AS_OF)
    with store.connect() as conn:
        stored = run_results(conn, run_id)
    return [single["submissions"][0]["score"], stored["submissions"][0]["score"]]


def test_fully_compliant_base(store: Any) -> None:
    for score in _scores(store, {}):
        # variety: 1 line of 5 (10) + 4 groups of 8 (25); coverage: 1,000 insured (band >= 1: 20);
        # protection: 600,000 / 1,000,000 = 0.60 (band >= 0.6: 100); service: 0 complaints, 5 days, online claims
        assert (score["compliance"], score["blocking"]) == ("100", False)
        indicators = (score["variety"], score["coverage"], score["protection"], score["service"])
        assert indicators == ("35", "20", "100", "100")


def test_weighted_by_strength(store: Any) -> None:
    for score in _scores(store, {"/governance/leadership_system": False, "/service/online_claims": False}):
        by = score["breakdown"]["compliance"]["by_strength"]
        assert {k: (v["passed"], v["counted"]) for k, v in by.items()} == {
            "mandatory": (14, 15), "principle": (3, 3), "encouraged": (4, 5), "flag": (1, 1)}
        # (3*14 + 2*3 + 1*4) / (3*15 + 2*3 + 1*5) = 52 / 56
        assert Decimal(score["compliance"]) == Decimal("92.86")
        assert score["service"] == "66.67"  # complaints 100, settlement days 100, online claims 0


def test_blocking_failure_is_flagged_whatever_the_score(store: Any) -> None:
    for score in _scores(store, {"/solvency/2/irr_class": "C"}):
        assert score["blocking"] is True
        assert score["breakdown"]["compliance"]["blocking_failures"] == ["IC19-SOLVENCY-GATE"]
        assert Decimal(score["compliance"]) > 90  # a high score does not hide the blocking failure
