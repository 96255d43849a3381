"""Issue 25: messages say what happened. A full disk and a read-only mount are named so (not "disk I/O error" nor
"missing folder or no permission"), a PostgreSQL statement timeout is named a timeout (not "the server ended the
connection"), and the URL shown is the one given (password hidden), never the rewritten one of a reader."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.store.db import fault_message, make_engine

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"


def _cli(url: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, *args])
    assert result.exit_code != 70 and "Traceback" not in result.output, result.output
    return result


@contextmanager
def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def test_a_read_only_mount_is_named_read_only(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        result = _cli(f"sqlite:///{folder / 'x.db'}", "ingest", str(SUBMISSIONS))
    assert result.exit_code == 4
    assert "mounted read-only" in result.output and "no permission" not in result.output


def test_a_full_disk_is_named_full_even_when_sqlite_says_disk_io_error(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "full", "size=256k") as folder:
        result = _cli(f"sqlite:///{folder / 'x.db'}", "ingest", str(SUBMISSIONS))
        assert result.exit_code == 4 and "full" in result.output
        make_engine(f"sqlite:///{folder / 'y.db'}").dispose()  # a database in use on that disk
        filler = folder / "filler"
        with contextlib.suppress(OSError):  # the disk is full after it
            filler.write_bytes(b"\0" * (1 << 20))
        said = fault_message(sqlite3.OperationalError("disk I/O error"))
    assert said is not None and "is full" in said and "(disk I/O error)" in said


def test_a_postgresql_statement_timeout_is_named_a_timeout(pg_store: Any) -> None:
    url = pg_store.url.render_as_string(hide_password=False)
    slow = url + ("&" if "?" in url else "?") + "options=-c%20statement_timeout%3D1"
    result = _cli(slow, "ingest", str(SUBMISSIONS))
    assert result.exit_code == 4, result.output
    assert "statement_timeout" in result.output and "ended the connection" not in result.output


def test_a_reader_names_the_url_as_given_not_its_rewritten_one(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()  # a file with no schema: readers refuse it, naming the database
    result = _cli(f"sqlite:///{db}", "runs")
    assert result.exit_code == 4, result.output
    assert f"sqlite:///{db} has no inclusive-check schema" in result.output
    assert "mode=ro" not in result.output and "file:" not in result.output


def test_a_postgresql_url_is_shown_as_given_with_the_password_hidden() -> None:
    result = _cli("postgresql+psycopg://filer:s3cret@127.0.0.1:1/nowhere?connect_timeout=1", "runs")
    assert result.exit_code == 4
    assert "s3cret" not in result.output
