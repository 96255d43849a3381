"""Fingerprints match a finding across runs by insurer, document, rule and product code, not by position."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from inclusive_check import rules
from inclusive_check.contract.load import parse_bytes
from inclusive_check.engine import Selection, execute_run
from inclusive_check.results import run_results
from inclusive_check.ruleset import load_ruleset
from inclusive_check.store.ingest import ingest_one
from rulecases import base, to_json


def _fail_prints(store: Any, doc: Any) -> dict[str, str]:
    sid = ingest_one(store, parse_bytes(to_json(doc), "doc.json")).submission_id
    run_id = execute_run(store, load_ruleset(), Selection(submission_ids=(sid,) if sid else ()), date(2026, 1, 1))
    with store.connect() as conn:
        results = run_results(conn, run_id).model_dump(mode="json")
    return {
        f["subject"]: f["fingerprint"] for s in results["submissions"] for f in s["findings"] if f["status"] == "fail"
    }


def test_inserting_a_product_before_a_breach_keeps_its_fingerprint(store: Any) -> None:
    doc = base("submission")
    doc["products"][0]["premium_rate"] = Decimal("0.002")  # equal to the comparable: fails
    first = _fail_prints(store, doc)
    later = copy.deepcopy(doc)
    new_product = {**copy.deepcopy(doc["products"][0]), "code": "P-NEW", "premium_rate": Decimal("0.001")}
    later["products"].insert(0, new_product)
    second = _fail_prints(store, later)
    assert list(first) == ["/products/0/premium_rate"]
    assert list(second) == ["/products/1/premium_rate"]
    assert first["/products/0/premium_rate"] == second["/products/1/premium_rate"]


def test_a_renamed_rule_keeps_the_fingerprints_of_its_stored_findings(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stored before a rule was renamed names the old ID; with the old ID in rules.ALIASES its findings
    keep their fingerprints (and their titles and messages), so that diffs across the rename match them."""
    doc = base("submission")
    doc["products"][0]["premium_rate"] = Decimal("0.002")
    sid = ingest_one(store, parse_bytes(to_json(doc), "doc.json")).submission_id
    run_id = execute_run(store, load_ruleset(), Selection(submission_ids=(sid,) if sid else ()), date(2026, 1, 1))
    with store.connect() as conn:
        before = [
            f
            for s in run_results(conn, run_id).model_dump(mode="json")["submissions"]
            for f in s["findings"]
            if f["rule_id"] == "IC08-PREMIUM-RATE"
        ]
    assert before
    with store.begin() as conn:  # the run as a version before the rename stored it
        conn.execute(text("UPDATE findings SET rule_id = 'IC08-PRICE' WHERE rule_id = 'IC08-PREMIUM-RATE'"))
    monkeypatch.setitem(rules.ALIASES, "IC08-PRICE", "IC08-PREMIUM-RATE")
    with store.connect() as conn:
        after = [
            f
            for s in run_results(conn, run_id).model_dump(mode="json")["submissions"]
            for f in s["findings"]
            if f["rule_id"] == "IC08-PRICE"
        ]
    assert [(f["fingerprint"], f["title"], f["message"]) for f in after] == [
        (f["fingerprint"], f["title"], f["message"]) for f in before
    ]
