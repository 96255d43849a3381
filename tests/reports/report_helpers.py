"""Paths and helpers shared by the report tests (imported by module name, like contract_helpers)."""

from __future__ import annotations

from datetime import date, timedelta
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
    """The OASIS SARIF 2.1.0 JSON Schema, kept beside the tests (tests/reports/data/)."""
    return Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def store_run(
    engine: Any, paths: list[Path], insurer: str | None = None, dispensations: str | None = None, as_of: date = AS_OF
) -> int:
    """Ingest ``paths`` into ``engine`` and run the checker over what is stored; the new run's id.

    ``dispensations`` is the text of a dispensation file to apply in the run.
    """
    from inclusive_check.dispensations import parse_dispensations
    from inclusive_check.engine import Selection, execute_run
    from inclusive_check.ruleset import load_ruleset
    from inclusive_check.store.ingest import ingest_paths

    report = ingest_paths(engine, paths, 64 * 2**20)
    assert not report.quarantined, [f.problems for f in report.quarantined]
    items = parse_dispensations(dispensations, "d.yaml") if dispensations else ()
    return execute_run(engine, load_ruleset(None), Selection(insurer=insurer), as_of, items)


def load_results(
    engine: Any, run_id: int, insurer: str | None = None, expiry_warning_days: int = 90, locate: bool = False
) -> Any:
    """The results of a stored run (``.model_dump(mode="json")``: their published JSON form); ``locate``: with
    each finding's line and column, as `run` and `report` give them."""
    from inclusive_check.results import run_results

    with engine.connect() as conn:
        return run_results(conn, run_id, insurer=insurer, expiry_warning_days=expiry_warning_days, locate=locate)


WINDOW = 90  # the default --expiry-warning-days


def kn_dispensations(as_of: date = AS_OF, window: int = WINDOW) -> str:
    """Dispensations for the KN sample, one of each status, two of them either side of the expiry window.

    - D-EDGE (IC08-PREMIUM-RATE, /products/0): applied; expires exactly ``window`` days after ``as_of``, so it
      is expiring soon;
    - D-PAST-EDGE (IC12-FEE-RATE, /products/1): applied; expires ``window + 1`` days after, so it is not;
    - D-UNUSED (IC08-PREMIUM-RATE, /products/2, which is indeterminate, not failing): unused, not expiring soon;
    - D-LAPSED (IC12-FEE-RATE, /product: the KN filing's fee breach): expired the day before ``as_of``.
    """

    def item(id_: str, rule: str, subject: str, expires: date) -> str:
        return (
            f"  - id: {id_}\n    rule: {rule}\n    insurer: KN-HLTH-006\n    subject: {subject}\n"
            f"    reason: 示例理由 {id_}\n    approved_by: Supervisor {id_}\n    reference: Letter {id_}\n"
            f"    expires: {expires.isoformat()}\n"
        )

    return "dispensations:\n" + "".join(
        [
            item("D-EDGE", "IC08-PREMIUM-RATE", "/products/0", as_of + timedelta(days=window)),
            item("D-PAST-EDGE", "IC12-FEE-RATE", "/products/1", as_of + timedelta(days=window + 1)),
            item("D-UNUSED", "IC08-PREMIUM-RATE", "/products/2", as_of + timedelta(days=window + 30)),
            item("D-LAPSED", "IC12-FEE-RATE", "/product", as_of - timedelta(days=1)),
        ]
    )
