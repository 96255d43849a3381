"""Concurrent writers and the ingest pool's processes: revisions and dispensation versions never collide,
workers die with their parent, Ctrl-C is a message (exit 130), not a traceback."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from inclusive_check.store import tables as t
from inclusive_check.store.db import open_store

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "submissions" / "hx-life-2025.json"
CLI = [sys.executable, "-c", "from inclusive_check.cli import main; main()"]
PROCESSES, FILES_EACH = 4, 8
# Every racer imports everything, then sleeps until one moment: their writes overlap, not their start-ups.
RACER = [
    sys.executable,
    "-c",
    "import os, sys, time\n"
    "from inclusive_check.cli import main\n"
    "import inclusive_check.store.ingest, inclusive_check.store.dispensations, inclusive_check.contract.load\n"
    "time.sleep(max(0.0, float(os.environ['START_AT']) - time.time()))\n"
    "main()",
]


def _racers(args: list[list[str]]) -> list[tuple[int, str]]:
    env = {**os.environ, "START_AT": str(time.time() + 4)}
    procs = [
        subprocess.Popen([*RACER, *a], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for a in args
    ]
    return [(p.wait(timeout=120), p.communicate()[1]) for p in procs]


def _revision(folder: Path, n: int) -> Path:
    doc = json.loads(SAMPLE.read_text("utf-8"))
    doc["consumer_protection"]["complaints"] = 1000 + n  # new bytes: a new revision of one insurer and period
    path = folder / f"rev-{n:03d}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def test_concurrent_ingests_of_one_document_number_every_revision_once(db_url: str, tmp_path: Path) -> None:
    open_store(db_url).dispose()  # migrate first: the race under test is the revisions', not the migration's
    folders = []
    for p in range(PROCESSES):
        folder = tmp_path / f"p{p}"
        folder.mkdir()
        for i in range(FILES_EACH):
            _revision(folder, p * FILES_EACH + i)
        folders.append(folder)
    outcomes = _racers([["--db", db_url, "ingest", str(f), "--format", "json"] for f in folders])
    assert [code for code, _ in outcomes] == [0] * PROCESSES, outcomes
    engine = open_store(db_url)
    s = t.submissions.c
    with engine.connect() as conn:
        rows = conn.execute(select(s.revision, s.is_latest).order_by(s.revision)).all()
    engine.dispose()
    total = PROCESSES * FILES_EACH
    assert [r.revision for r in rows] == list(range(1, total + 1))  # no file lost, no number twice
    assert [r.is_latest for r in rows] == [False] * (total - 1) + [True]


def _dispensation_file(folder: Path, n: int) -> Path:
    path = folder / f"d{n}.yaml"
    path.write_text(
        f"""dispensations:
  - id: D-RACE
    rule: IC08-PREMIUM-RATE
    insurer: KN-HLTH-006
    reason: version {n}
    approved_by: someone
    reference: letter {n}
    expires: 2030-01-01
""",
        "utf-8",
    )
    return path


def test_concurrent_dispensation_imports_keep_every_version(db_url: str, tmp_path: Path) -> None:
    open_store(db_url).dispose()
    files = [_dispensation_file(tmp_path, n) for n in range(PROCESSES)]
    outcomes = _racers([["--db", db_url, "dispensations", "import", str(f)] for f in files])
    assert [code for code, _ in outcomes] == [0] * PROCESSES, outcomes
    engine = open_store(db_url)
    d = t.dispensations.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.version, d.is_current, d.reason).order_by(d.version)).all()
    engine.dispose()
    assert [r.version for r in rows] == list(range(1, PROCESSES + 1))
    assert sorted(r.reason for r in rows) == [f"version {n}" for n in range(PROCESSES)]
    assert [r.is_current for r in rows] == [False] * (PROCESSES - 1) + [True]


# --- the ingest pool's worker processes ---------------------------------------------------------------------


def _big_market(folder: Path, files: int = 6, products: int = 5000) -> None:
    """Enough bytes (over POOL_MIN_BYTES) that ingest reads them with a pool of worker processes."""
    base = json.loads(SAMPLE.read_text("utf-8"))
    template = base["products"][0]
    folder.mkdir()
    for n in range(files):
        doc = copy.deepcopy(base)
        doc["insurer"]["code"] = f"HX-P-{n:04d}"
        doc["products"] = [
            {**template, "code": f"P-{n}-{i}", "name": f"product {i} " + "x" * 300} for i in range(products)
        ]
        (folder / f"sub-{n:04d}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_pool_ingest(tmp_path: Path, settle: float = 0.3) -> tuple[subprocess.Popen[bytes], set[int]]:
    folder = tmp_path / "market"
    _big_market(folder)
    proc = subprocess.Popen(
        [*CLI, "--db", f"sqlite:///{tmp_path / 'pool.db'}", "ingest", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        # the workers (or the fork server and its workers): every descendant of the ingest
        workers = _children(proc.pid)
        workers |= {g for c in workers for g in _children(c)}
        if len(workers) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None and len(workers) >= 2, "the ingest must be running its pool"
    time.sleep(settle)  # workers started and busy
    return proc, workers


def _state(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _stopped_mid_ingest(proc: subprocess.Popen[bytes], workers: set[int]) -> None:
    """Freeze the ingest's whole process group (SIGSTOP) the moment its pool is seen, and make sure it is frozen
    while the pool is still up: the command has not returned, whatever the machine's load. A signal sent now
    is taken at that known point when the group continues."""
    os.killpg(proc.pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _state(proc.pid) not in ("T", "t", "Z", "gone"):
        time.sleep(0.01)
    assert _state(proc.pid) in ("T", "t"), f"the ingest ended before it could be stopped ({_state(proc.pid)})"
    assert any(_state(w) in ("T", "t") for w in workers), "the pool had already ended"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path: Path, sig: signal.Signals) -> None:
    if (os.cpu_count() or 1) < 2 and not hasattr(os, "sched_getaffinity"):
        pytest.skip("one CPU: ingest uses no pool")
    proc, workers = _start_pool_ingest(tmp_path)
    os.kill(proc.pid, sig)
    proc.wait(timeout=10)
    assert proc.stdout is not None
    started = time.monotonic()
    proc.stdout.read()  # EOF only when no process holds the ingest's stdout open any more
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


def test_ctrl_c_during_a_pool_ingest_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    proc, workers = _start_pool_ingest(tmp_path, settle=0)
    _stopped_mid_ingest(proc, workers)  # deterministic: no sleep decides whether the ingest is still running
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: the whole foreground process group
    os.killpg(proc.pid, signal.SIGCONT)
    _, err = proc.communicate(timeout=30)
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "interrupted" in text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)
