"""Ingest under stress: kill -9 mid-way and resume; four ingests of the same folder at once."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from inclusive_check.store import tables as t
from inclusive_check.store.db import open_store

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "submissions" / "hx-life-2025.json"
INGEST = [sys.executable, "-c", "from inclusive_check.cli import main; main()"]


def _market(folder: Path, files: int, products: int) -> None:
    base = json.loads(SAMPLE.read_text("utf-8"))  # floats: every sample number round-trips exactly
    template = base["products"][0]
    folder.mkdir()
    for n in range(files):
        doc = copy.deepcopy(base)
        doc["insurer"]["code"] = f"HX-K-{n:04d}"
        doc["products"] = [{**template, "code": f"P-{n}-{i}"} for i in range(products)]
        (folder / f"sub-{n:04d}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _stored(engine: Any) -> list[tuple[str, int, int]]:
    """(sha256, products stored, products in the stored raw document) for every stored submission."""
    s, p, d = t.submissions.c, t.products.c, t.documents.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                s.sha256, d.raw, select(func.count(p.id)).where(p.submission_id == s.id).scalar_subquery()
            ).outerjoin(t.documents, d.submission_id == s.id)
        ).all()
    return [(sha, count, len(json.loads(raw)["products"])) for sha, raw, count in rows]


def test_kill_mid_ingest_leaves_whole_files_and_resumes(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "market"
    _market(folder, files=40, products=300)
    engine = open_store(db_url)
    proc = subprocess.Popen(
        [*INGEST, "--db", db_url, "ingest", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_stored(engine)) < 3 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _stored(engine)
    assert 0 < len(partial) < 40, "the kill must land mid-way"
    assert all(stored == filed for _, stored, filed in partial), "a committed file must be whole"

    result = subprocess.run(
        [*INGEST, "--db", db_url, "ingest", str(folder), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert counts == {"stored": 40 - len(partial), "revised": 0, "unchanged": len(partial), "quarantined": 0}
    final = _stored(engine)
    assert len(final) == 40 and len({sha for sha, _, _ in final}) == 40
    assert all(stored == filed == 300 for _, stored, filed in final)
    engine.dispose()


def test_four_concurrent_ingests_store_each_file_once(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "market"
    _market(folder, files=24, products=50)
    procs = [
        subprocess.Popen(
            [*INGEST, "--db", db_url, "ingest", str(folder), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in outputs]
    stored_by_each = [json.loads(out)["counts"]["stored"] for out, _ in outputs]
    assert sum(stored_by_each) == 24  # every file stored by exactly one of the four
    engine = open_store(db_url)
    final = _stored(engine)
    assert len(final) == 24 and len({sha for sha, _, _ in final}) == 24
    assert all(stored == filed == 50 for _, stored, filed in final)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.insurers)).scalar_one() == 24
    engine.dispose()
