"""`run --reproduce RUN`: a stored run evaluated again from what it recorded (ruleset text, as-of date, documents,
dispensations), nothing stored; exit 0 when every finding and score is identical, 1 when anything differs."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select, update

from inclusive_check.cli import cli
from inclusive_check.dispensations import parse_dispensations
from inclusive_check.engine import Selection, execute_run
from inclusive_check.rules import ic10_kpi_weight
from inclusive_check.ruleset import load_ruleset, load_ruleset_text
from inclusive_check.store import tables as t
from inclusive_check.store.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = sorted((ROOT / "samples" / "submissions").glob("*.json"))
LETTERS = ROOT / "samples" / "dispensations" / "2025-supervisor-letters.yaml"
AS_OF = date(2026, 1, 15)


def _stored(engine: Any, ruleset: Any = None, letters: bool = True) -> tuple[str, int]:
    """The five samples ingested and run once, with the sample supervisor letters (one applied, one expired)."""
    assert not ingest_paths(engine, SUBMISSIONS, 64 * 2**20).quarantined
    items = parse_dispensations(LETTERS.read_text("utf-8"), str(LETTERS)) if letters else ()
    run_id = execute_run(engine, ruleset or load_ruleset(None), Selection(), AS_OF, items)
    return engine.url.render_as_string(hide_password=False), run_id


def _reproduce(url: str, run_id: int, code: int, *more: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, "run", "--reproduce", str(run_id), *more])
    assert result.exit_code == code, result.output
    return json.loads(result.output) if "json" in more else result.output


def test_a_fresh_run_is_identical_and_nothing_is_stored(store: Any) -> None:
    url, run_id = _stored(store)
    with store.connect() as conn:
        findings = conn.execute(select(func.count()).select_from(t.findings)).scalar_one()
        waived = conn.execute(select(func.count()).where(t.findings.c.status == "waived")).scalar_one()
    assert waived == 1  # D-2025-001 is applied; it is applied again from the run's record
    payload = _reproduce(url, run_id, 0, "--format", "json")
    assert payload["identical"] is True and payload["findings_compared"] == findings
    assert payload["findings"] == [] and payload["scores"] == [] and payload["notes"] == []
    text = _reproduce(url, run_id, 0)
    assert f"identical: every one of {findings} finding(s) and every score" in text
    assert "version" not in text.split("\n", 1)[1]  # same tool version: nothing said about it
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.runs)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(t.findings)).scalar_one() == findings


def test_a_run_under_an_older_ruleset_version_reproduces_from_its_stored_text(store: Any) -> None:
    """The run used version 2023.9.0 with a 4.99% weight: ZS-PROP-002 passed then. The packaged ruleset would fail
    it; the reproduction uses the run's stored ruleset, so it is identical."""
    raw = yaml.safe_load((files("inclusive_check.rulesets") / "nfra-2024-inclusive.yaml").read_text("utf-8"))
    raw["version"] = "2023.9.0"
    raw["rules"]["IC10-KPI-WEIGHT"]["params"]["min_weight"]["values"] = [{"from": "2024-05-29", "value": 0.0499}]
    older = load_ruleset_text(yaml.safe_dump(raw, allow_unicode=True), "older.yaml")
    url, run_id = _stored(store, older)
    with store.connect() as conn:
        zs = conn.execute(
            select(t.findings.c.status)
            .join(t.submissions, t.submissions.c.id == t.findings.c.submission_id)
            .where(t.findings.c.rule_id == "IC10-KPI-WEIGHT", t.submissions.c.document_key == "2025-Q4")
        ).scalar_one()
    assert zs == "pass"
    payload = _reproduce(url, run_id, 0, "--format", "json")
    assert payload["identical"] is True and payload["run"]["ruleset"]["version"] == "2023.9.0"


def test_later_revisions_of_its_documents_do_not_change_it(store: Any, tmp_path: Path) -> None:
    url, run_id = _stored(store)
    doc = json.loads(SUBMISSIONS[2].read_text("utf-8"))  # HX-LIFE-001, weight 5%
    doc["governance"]["inclusive_kpi_weight"] = 0.01
    revised = tmp_path / "hx-revised.json"
    revised.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    assert not ingest_paths(store, [revised], 64 * 2**20).quarantined
    assert _reproduce(url, run_id, 0, "--format", "json")["identical"] is True


def test_a_changed_rule_and_tool_version_are_named(store: Any, monkeypatch: Any) -> None:
    """A deliberate change of code: IC10-KPI-WEIGHT now holds weights to 6%, and the run says an older version
    made it. HX-LIFE-001 (5%) now fails and its score drops from 96 to 92."""
    url, run_id = _stored(store)
    with store.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(tool_version="0.0.9"))
    original = ic10_kpi_weight.evaluate

    def stricter(conn: Any, scope: Any, p: Any) -> Any:
        return original(conn, scope, p.model_copy(update={"min_weight": Decimal("0.06")}))

    monkeypatch.setattr(ic10_kpi_weight, "evaluate", stricter)
    payload = _reproduce(url, run_id, 1, "--format", "json")
    assert payload["identical"] is False
    assert (payload["tool_version_then"], payload["tool_version_now"]) == ("0.0.9", "0.1.0")
    changed = [
        (f["flip"], f["insurer"], f["rule_id"], f["before"]["status"], f["after"]["status"])
        for f in payload["findings"]
    ]
    # ZS-PROP-002 still fails, but against 6%: its expected text and margin differ, so it is listed too.
    assert changed == [
        ("newly_fails", "HX-LIFE-001", "IC10-KPI-WEIGHT", "pass", "fail"),
        ("changes", "ZS-PROP-002", "IC10-KPI-WEIGHT", "fail", "fail"),
    ]
    assert payload["findings"][1]["before"]["expected"] == ">= 5.00%"  # as many places as its 4.99%
    assert payload["findings"][1]["after"]["expected"] == ">= 6.00%"
    assert [(s["insurer"], s["compliance"]["before"], s["compliance"]["after"]) for s in payload["scores"]] == [
        ("HX-LIFE-001", "96", "92")
    ]
    text = _reproduce(url, run_id, 1)
    assert "the run was made by version 0.0.9; this is version 0.1.0" in text
    assert "differs: 2 finding(s) and 1 score(s)" in text


def test_reproduce_takes_nothing_but_the_run(store: Any) -> None:
    url, run_id = _stored(store, letters=False)
    output = _reproduce(url, run_id, 2, "--insurer", "HX-LIFE-001")
    assert "--reproduce takes everything from the stored run; leave out --insurer" in output
    assert "no stored run 99" in _reproduce(url, 99, 2)
    assert "text or json" in _reproduce(url, run_id, 2, "--format", "sarif")


def _document(store: Any, insurer: str) -> Any:
    s, i = t.submissions.c, t.insurers.c
    with store.connect() as conn:
        return conn.execute(
            select(s.id, s.sha256, t.documents.c.raw)
            .join(t.insurers, i.id == s.insurer_id)
            .join(t.documents, t.documents.c.submission_id == s.id)
            .where(i.code == insurer)
        ).one()


def test_altered_stored_text_is_a_difference_naming_the_document(store: Any) -> None:
    """The text of HX-LIFE-001's document is changed in the database (its KPI weight, 0.05 -> 0.01) without
    its recorded hash: the stored findings would still replay identically, but the text no longer matches."""
    url, run_id = _stored(store)
    doc = _document(store, "HX-LIFE-001")
    assert '"inclusive_kpi_weight": 0.05' in doc.raw
    with store.begin() as conn:
        conn.execute(
            update(t.documents)
            .where(t.documents.c.submission_id == doc.id)
            .values(raw=doc.raw.replace('"inclusive_kpi_weight": 0.05', '"inclusive_kpi_weight": 0.01'))
        )
    payload = _reproduce(url, run_id, 1, "--format", "json")
    assert payload["identical"] is False and payload["findings"] == [] and payload["scores"] == []
    (note,) = payload["notes"]
    assert note.startswith(f"HX-LIFE-001 submission 2025 (revision 1, document {doc.id}): its stored text does not")
    assert doc.sha256 in note
    assert "HX-LIFE-001 submission 2025" in _reproduce(url, run_id, 1)


def test_an_altered_recorded_hash_is_a_difference_naming_the_document(store: Any) -> None:
    url, run_id = _stored(store)
    doc = _document(store, "ZS-PROP-002")
    with store.begin() as conn:
        conn.execute(update(t.submissions).where(t.submissions.c.id == doc.id).values(sha256="0" * 64))
    payload = _reproduce(url, run_id, 1, "--format", "json")
    (note,) = payload["notes"]
    assert note.startswith("ZS-PROP-002 submission") and f"recorded {'0' * 64}" in note
    assert f"hashes to {doc.sha256}" in note


def test_text_and_hash_altered_together_are_parsed_again_and_compared_with_the_stored_facts(store: Any) -> None:
    """Whoever rewrites both the text and its hash is caught by parsing the text again: the facts the rules read
    (the KPI weight) no longer match what was stored for it."""
    import hashlib

    url, run_id = _stored(store)
    doc = _document(store, "HX-LIFE-001")
    altered = doc.raw.replace('"inclusive_kpi_weight": 0.05', '"inclusive_kpi_weight": 0.01')
    with store.begin() as conn:
        conn.execute(update(t.documents).where(t.documents.c.submission_id == doc.id).values(raw=altered))
        conn.execute(
            update(t.submissions)
            .where(t.submissions.c.id == doc.id)
            .values(sha256=hashlib.sha256(altered.encode("utf-8")).hexdigest())
        )
    (note,) = _reproduce(url, run_id, 1, "--format", "json")["notes"]
    assert note.startswith("HX-LIFE-001 submission 2025") and note.endswith("parsed again: inclusive_kpi_weight")


def test_stored_text_that_no_longer_parses_is_named(store: Any) -> None:
    import hashlib

    url, run_id = _stored(store)
    doc = _document(store, "HX-LIFE-001")
    broken = doc.raw[: len(doc.raw) // 2]
    with store.begin() as conn:
        conn.execute(update(t.documents).where(t.documents.c.submission_id == doc.id).values(raw=broken))
        conn.execute(
            update(t.submissions)
            .where(t.submissions.c.id == doc.id)
            .values(sha256=hashlib.sha256(broken.encode("utf-8")).hexdigest())
        )
    (note,) = _reproduce(url, run_id, 1, "--format", "json")["notes"]
    assert "HX-LIFE-001 submission 2025" in note and "no longer parses as a valid document" in note
