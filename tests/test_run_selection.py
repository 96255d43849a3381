"""What `run` checks: --period as a year or a quarter, what it leaves out and says so, and nothing to check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _cli(db_url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", db_url, *args])


def _documents(result: Any) -> set[tuple[str, str, str]]:
    data = json.loads(result.stdout)
    return {(s["insurer"]["code"], s["kind"], s["document_key"]) for s in data["submissions"]}


@pytest.fixture
def market(db_url: str) -> str:
    """The samples stored: four annual 2025 submissions, one 2025-Q4 submission and four filings of 2025."""
    assert _cli(db_url, "ingest", str(SAMPLES / "submissions"), str(SAMPLES / "filings")).exit_code == 0
    return db_url


def test_a_year_takes_every_document_within_it(market: str) -> None:
    result = _cli(market, "run", "--period", "2025", "--exit-zero", "--format", "json")
    assert result.exit_code == 0, result.output
    documents = _documents(result)
    assert ("ZS-PROP-002", "submission", "2025-Q4") in documents  # a quarter of the year
    assert {k for _, k, _ in documents} == {"submission", "product_filing"}  # and the filings filed in it
    everything = _documents(_cli(market, "run", "--exit-zero", "--format", "json"))
    assert documents == everything and len(documents) == 9
    assert "leaves out" not in result.stderr


def test_a_quarter_takes_its_documents_and_names_the_ones_that_reach_beyond_it(market: str) -> None:
    result = _cli(market, "run", "--period", "2025-Q4", "--exit-zero", "--format", "json")
    assert result.exit_code == 0, result.output
    assert _documents(result) == {("ZS-PROP-002", "submission", "2025-Q4")}
    assert result.stderr.startswith("note: --period 2025-Q4 leaves out 4 document(s) whose period reaches beyond it")
    for code in ("AL-PROP-017 2025", "FH-AGRI-003 2025", "HX-LIFE-001 2025", "KN-HLTH-006 2025"):
        assert code in result.stderr
    assert "--period 2025 takes these" in result.stderr
    # a filing filed in the quarter is taken: the KN filing is dated 2025-02-26
    q1 = _cli(market, "run", "--period", "2025-Q1", "--exit-zero", "--format", "json")
    assert ("KN-HLTH-006", "product_filing", "KNH-PH-2025-02") in _documents(q1)


def test_a_period_with_nothing_in_it_stores_no_run(market: str) -> None:
    result = _cli(market, "run", "--period", "2024")
    assert result.exit_code == 2, result.output
    assert "nothing to check: no stored document matches --period 2024; no run was stored" in result.stderr
    assert json.loads(_cli(market, "runs", "--format", "json").stdout) == []


@pytest.mark.parametrize("period", ["25", "2025-Q5", "2025Q4", "2025-H1"])
def test_a_malformed_period_is_a_usage_error(period: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "run", "--period", period])
    assert result.exit_code == 2
    assert "expected a year (2025) or a quarter (2025-Q4)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_run_with_no_database_yet_creates_none(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    result = _cli(db_url, "run")
    assert result.exit_code == 2, result.output
    assert "nothing to check" in result.stderr and "no run was stored" in result.stderr
    assert set(tmp_path.iterdir()) == before  # SQLite: no database file, no lock file
    runs = _cli(db_url, "runs", "--format", "json")
    if db_url.startswith("sqlite"):
        assert runs.exit_code == 4 and "no database at" in runs.stderr  # still none
    else:
        assert runs.exit_code == 0 and json.loads(runs.stdout) == []
