"""Ingest: good files stored, bad ones quarantined with reasons, re-ingest is a no-op, revisions supersede."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from inclusive_check.cli import cli
from inclusive_check.store import tables as t

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _count(engine: Any, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_samples_and_invalid_files(store: Any, db_url: str) -> None:
    runner = CliRunner()
    valid = sorted((SAMPLES / "submissions").glob("*")) + sorted((SAMPLES / "filings").glob("*"))
    invalid = sorted((SAMPLES / "invalid").glob("*"))
    folders = [str(SAMPLES / name) for name in ("submissions", "filings", "invalid")]
    result = runner.invoke(cli, ["--db", db_url, "ingest", *folders, "--format", "json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    assert report["counts"] == {"stored": len(valid), "revised": 0, "unchanged": 0, "quarantined": len(invalid)}
    quarantined = {Path(f["source"]).name for f in report["files"] if f["outcome"] == "quarantined"}
    assert quarantined == {p.name for p in invalid}
    assert _count(store, t.submissions) == len(valid)
    assert _count(store, t.quarantine) == len(invalid)
    # every quarantined file keeps its located reasons
    with store.connect() as conn:
        reasons = {Path(r.source).name: json.loads(r.problems) for r in conn.execute(select(t.quarantine))}
    assert reasons["percent-string-rate.json"][0]["pointer"] == "/product/premium_rate"
    assert reasons["percent-string-rate.json"][0]["line"] is not None

    # the same bytes again: nothing new
    result = runner.invoke(cli, ["--db", db_url, "ingest", str(SAMPLES / "submissions"), str(SAMPLES / "filings")])
    assert result.exit_code == 0, result.output
    assert f"{len(valid)} unchanged" in result.output
    assert _count(store, t.submissions) == len(valid)

    # quarantine listing
    result = runner.invoke(cli, ["--db", db_url, "submissions", "--quarantined"])
    assert result.exit_code == 0
    assert f"{len(invalid)} quarantined file(s)" in result.output


def test_changed_document_is_a_new_revision_that_supersedes(store: Any, db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    original = SAMPLES / "submissions" / "hx-life-2025.json"
    first = tmp_path / "first.json"
    shutil.copy(original, first)
    assert runner.invoke(cli, ["--db", db_url, "ingest", str(first)]).exit_code == 0
    changed = tmp_path / "second.json"
    changed.write_text(original.read_text("utf-8").replace('"complaints": 412', '"complaints": 413'), "utf-8")
    result = runner.invoke(cli, ["--db", db_url, "ingest", str(changed), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"][0]["revision"] == 2
    s = t.submissions.c
    with store.connect() as conn:
        rows = conn.execute(select(s.revision, s.is_latest, s.complaints).order_by(s.revision)).all()
    assert [tuple(r) for r in rows] == [(1, False, 412), (2, True, 413)]
    # a run checks only the latest revision
    result = runner.invoke(cli, ["--db", db_url, "run", "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    checked = json.loads(result.output)["submissions"]
    assert [(x["document_key"], x["revision"]) for x in checked] == [("2025", 2)]


def test_run_and_findings_from_the_cli(store: Any, db_url: str) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["--db", db_url, "ingest", str(SAMPLES / "submissions"), str(SAMPLES / "filings")])
    result = runner.invoke(cli, ["--db", db_url, "run"])
    assert result.exit_code == 1, result.output  # the samples carry errors by design
    assert "BLOCKING FAILURE" in result.output
    result = runner.invoke(
        cli, ["--db", db_url, "findings", "--insurer", "AL-PROP-017", "--status", "fail", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    found = [
        (f["rule_id"], f["subject"], f["key"]) for s in json.loads(result.output)["submissions"] for f in s["findings"]
    ]
    assert ("IC19-SOLVENCY-GATE", "/solvency/2", "2025-Q3") in found
    result = runner.invoke(cli, ["--db", db_url, "runs", "--format", "json"])
    assert [r["id"] for r in json.loads(result.output)] == [1]
