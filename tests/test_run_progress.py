"""`run` shows its progress on a terminal (stderr), rule by rule, and nothing when stderr is not one."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.engine import steps
from inclusive_check.ruleset import load_ruleset

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _run(db_url: str, stderr: int) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("INCLUSIVE_CHECK_DATABASE_URL", "NO_COLOR", "CI")}
    env["COLUMNS"] = "120"
    return subprocess.run(
        [sys.executable, "-m", "inclusive_check", "--db", db_url, "run", "--quiet", "--exit-zero", "--full"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        check=False,
        timeout=600,
    )


def test_run_shows_progress_on_a_terminal_only(db_url: str, tmp_path: Path) -> None:
    stored = CliRunner().invoke(cli, ["--db", db_url, "ingest", str(SAMPLES / "submissions")])
    assert stored.exit_code == 0, stored.output
    leader, follower = pty.openpty()
    try:
        done = _run(db_url, follower)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    total = steps(load_ruleset(None))
    assert b"run" in seen and f"{total}/{total}".encode() in seen  # the bar reached its last step
    piped = _run(db_url, subprocess.PIPE)
    assert piped.returncode == 0 and f"/{total}".encode() not in piped.stderr
