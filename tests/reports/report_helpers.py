"""Paths and helpers shared by the report tests (imported by module name, like contract_helpers)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SUBMISSIONS = sorted((SAMPLES / "submissions").glob("*.json"))
FILINGS = sorted([*(SAMPLES / "filings").glob("*.json"), *(SAMPLES / "filings").glob("*.yaml")])
KN_SUBMISSION = SAMPLES / "submissions" / "kn-health-2025.json"
KN_FILING = SAMPLES / "filings" / "kn-health-fee-breach.json"
AL_FILING_YAML = SAMPLES / "filings" / "al-prop-courier-accident.yaml"
AS_OF = date(2026, 1, 15)


def sarif_schema_path() -> Path:
    for base in (ROOT.parent / "shared", Path("/work/shared")):
        path = base / "reference" / "sarif-schema-2.1.0.json"
        if path.is_file():
            return path
    raise FileNotFoundError("sarif-schema-2.1.0.json not found in ../shared/reference")


def store_run(engine: Any, paths: list[Path], insurer: str | None = None) -> int:
    """Ingest ``paths`` into ``engine`` and run the checker over what is stored; the new run's id."""
    from inclusive_check.engine import Selection, execute_run
    from inclusive_check.ruleset import load_ruleset
    from inclusive_check.store.ingest import ingest_paths

    report = ingest_paths(engine, paths, 64 * 2**20)
    assert not report.quarantined, [f.problems for f in report.quarantined]
    return execute_run(engine, load_ruleset(None), Selection(insurer=insurer), AS_OF)


def load_results(engine: Any, run_id: int, insurer: str | None = None) -> dict[str, Any]:
    from inclusive_check.results import run_results

    with engine.connect() as conn:
        return run_results(conn, run_id, insurer=insurer)
