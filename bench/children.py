"""Timing child processes for the benches, and the one-document measurement (market.py's ``big_doc_*`` keys)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Child:
    """A child process timed by wall clock, with its own peak RSS (from wait4, not the cumulative RUSAGE)."""

    def __init__(self, args: Sequence[str], cwd: Path | None = None, stdout: Any = subprocess.DEVNULL) -> None:
        started = time.perf_counter()
        proc = subprocess.Popen(list(args), cwd=cwd, stdout=stdout, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        self.stderr = proc.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.seconds = time.perf_counter() - started
        self.returncode = proc.returncode
        self.rss_mib = usage.ru_maxrss / 1024  # KiB on Linux

    def expect(self, *codes: int) -> Child:
        if self.returncode not in codes:
            raise SystemExit(f"child failed with {self.returncode}: {self.stderr[-2000:]}")
        return self


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def big_document(document: Path, cli: list[str]) -> dict[str, Any]:
    """``ingest`` of one big submission into a fresh SQLite file next to it: ingest validates the document (schema
    and semantics) and stores every fact, so its wall time is validate + ingest; its peak RSS in MiB."""
    db = document.with_suffix(".db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    ingest = Child([*cli, "--db", f"sqlite:///{db}", "ingest", str(document)]).expect(0)
    return {"big_doc_s": round(ingest.seconds, 2), "big_doc_mib": round(ingest.rss_mib, 1)}
