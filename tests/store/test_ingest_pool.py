"""Ingest with worker processes (large batches) stores exactly what ingest in one process stores.

The pool only reads and validates; this process still writes each file, in order, in its own transaction.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from inclusive_check.store import tables as t
from inclusive_check.store.db import open_store
from inclusive_check.store.ingest import FileResult, ingest_paths

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
TIMES = {"ingested_at", "quarantined_at"}


def _batch(tmp_path: Path) -> list[Path]:
    """Samples, invalid files, a new revision of a submission and a repeat of the same bytes, in order."""
    folder = tmp_path / "batch"
    folder.mkdir()
    files = []
    for i, path in enumerate(
        sorted((SAMPLES / "submissions").glob("*"))
        + sorted((SAMPLES / "filings").glob("*"))
        + sorted((SAMPLES / "invalid").glob("*"))
    ):
        copy = folder / f"{i:03d}-{path.name}"
        shutil.copy(path, copy)
        files.append(copy)
    original = SAMPLES / "submissions" / "hx-life-2025.json"
    revised = folder / "900-revised.json"
    revised.write_text(original.read_text("utf-8").replace('"complaints": 412', '"complaints": 413'), "utf-8")
    repeat = folder / "901-repeat.json"
    shutil.copy(original, repeat)
    return [*files, revised, repeat]


def _outcomes(files: list[FileResult]) -> list[tuple[Any, ...]]:
    return [(Path(f.source).name, f.outcome, f.revision, f.problems) for f in files]


def _dump(db: Path) -> list[tuple[str, list[Any]]]:
    conn = sqlite3.connect(db)
    rows = []
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] not in TIMES]
        rows += [(table, list(r)) for r in conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")]
    conn.close()
    return rows


def test_pool_stores_byte_for_byte_what_one_process_stores(tmp_path: Path) -> None:
    files = _batch(tmp_path)
    dumps, reports = [], []
    for workers in (0, 2):
        db = tmp_path / f"w{workers}.db"
        engine = open_store(f"sqlite:///{db}")
        reports.append(_outcomes(ingest_paths(engine, files, 64 * 2**20, workers=workers).files))
        reports.append(_outcomes(ingest_paths(engine, files, 64 * 2**20, workers=workers).files))  # again: no-op
        engine.dispose()
        dumps.append(
            [(table, [v for v in row if not (isinstance(v, str) and str(tmp_path) in v)]) for table, row in _dump(db)]
        )
    assert reports[0] == reports[2] and reports[1] == reports[3]
    assert [o for _, o, _, _ in reports[0]].count("revised") == 1
    assert dumps[0] == dumps[1]


def test_pool_on_each_backend(store: Any, tmp_path: Path) -> None:
    files = _batch(tmp_path)
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    expected = _outcomes(ingest_paths(reference, files, 64 * 2**20, workers=0).files)
    got = _outcomes(ingest_paths(store, files, 64 * 2**20, workers=2).files)
    assert got == expected
    for table in (
        t.submissions,
        t.products,
        t.solvency_quarters,
        t.period_quarters,
        t.governance_reviews,
        t.intermediaries,
        t.quarantine,
    ):
        counts = []
        for engine in (reference, store):
            with engine.connect() as conn:  # type: ignore[attr-defined]
                counts.append(conn.execute(select(func.count()).select_from(table)).scalar_one())
        assert counts[0] == counts[1], table.name
    reference.dispose()
