"""Faults of the database or the machine: a plain message and exit 4, never "internal error … this is a bug";
reading commands never migrate, create or write; failed runs and repeated invalid files store nothing new."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select, text

from inclusive_check.cli import cli
from inclusive_check.store import tables as t
from inclusive_check.store.db import make_engine, open_store, upgrade

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SUBMISSIONS = SAMPLES / "submissions"
CLI = [sys.executable, "-c", "from inclusive_check.cli import main; main()"]


def _cli(db_url: str | None, *args: str, env: dict[str, str] | None = None) -> Any:
    options = ["--db", db_url] if db_url else []
    return CliRunner().invoke(cli, [*options, *args], env=env)


def _plain(result: Any, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert "internal error" not in result.output and "this is a bug" not in result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def _count(db_url: str, table: Any) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        value = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    engine.dispose()
    return value


def _tables(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    names = inspect(engine).get_table_names()
    engine.dispose()
    return names


# --- URLs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:abc/test", ["port", "not a number"]),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test?connect_timeout=abc", ["connect_timeout", "not a number"]),
        ("sqlite:///x.db?timeout=soon", ["timeout", "not a number"]),
        ("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2", ["connection", "PostgreSQL"]),
    ],
)
def test_bad_or_unreachable_url_is_exit_4(
    url: str, words: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["runs"], ["ingest", str(SUBMISSIONS)]):
        _plain(_cli(url, *command), 4, *words)
    assert list(tmp_path.iterdir()) == []


def test_newline_in_the_environment_url_is_exit_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'x.db'}\n"
    result = _cli(None, "ingest", str(SUBMISSIONS), env={"INCLUSIVE_CHECK_DATABASE_URL": url})
    _plain(result, 4, "newline", "INCLUSIVE_CHECK_DATABASE_URL")
    assert list(tmp_path.iterdir()) == []


# --- SQLite files: locked, full, read-only, damaged ----------------------------------------------------------


def test_sqlite_locked_beyond_the_wait_is_exit_4(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    open_store(f"sqlite:///{db}").dispose()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = _cli(f"sqlite:///{db}?timeout=0.3", "ingest", str(SUBMISSIONS))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _plain(result, 4, "locked", "?timeout=")


def test_full_disk_is_exit_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own "database or disk is full" (SQLITE_FULL), made by capping the file's pages: the same error a
    full disk gives, without filling one."""
    from inclusive_check.store import db as db_module

    db = tmp_path / "full.db"
    open_store(f"sqlite:///{db}").dispose()
    pages = sqlite3.connect(db).execute("PRAGMA page_count").fetchone()[0]
    original = db_module._sqlite_pragmas

    def capped(dbapi_connection: Any, record: Any) -> None:
        original(dbapi_connection, record)
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 2}")

    monkeypatch.setattr(db_module, "_sqlite_pragmas", capped)
    _plain(_cli(f"sqlite:///{db}", "ingest", str(SUBMISSIONS)), 4, "full")


def test_report_to_a_full_device_is_exit_4_without_a_traceback(store: Any, tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    url = store.url.render_as_string(hide_password=False)
    assert _cli(url, "ingest", str(SUBMISSIONS)).exit_code == 0
    assert _cli(url, "run", "--exit-zero").exit_code == 0
    script = (
        "from inclusive_check.cli import main; import sys; "
        f"sys.argv = ['inclusive-check', '--db', {url!r}, 'report', '--format', 'xlsx', '-o', '/dev/full']; "
        "main()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 4, done.stderr
    assert "no space left" in done.stderr and "Traceback" not in done.stderr


def test_read_only_sqlite_refuses_writes_with_exit_4(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    open_store(f"sqlite:///{db}").dispose()
    _plain(_cli(f"sqlite:///file:{db}?mode=ro&uri=true", "ingest", str(SUBMISSIONS)), 4, "read-only")


def test_read_only_postgresql_refuses_writes_with_exit_4(pg_store: Any) -> None:
    store = pg_store
    url = store.url.render_as_string(hide_password=False) + "?options=-c%20default_transaction_read_only%3Don"
    _plain(_cli(url, "ingest", str(SUBMISSIONS)), 4, "cannot write")


def test_a_read_only_sqlite_file_still_serves_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file and folder nobody may write. Tests run as root, whom permissions do not stop: the tool is told so
    by os.access, as it would be for any other user, and must then open the file immutable, creating nothing."""
    from inclusive_check.store import db as db_module

    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "ro.db"
    url = f"sqlite:///{db}"
    assert _cli(url, "ingest", str(SUBMISSIONS)).exit_code == 0
    assert _cli(url, "run", "--exit-zero").exit_code == 0
    checkpoint = sqlite3.connect(db)  # as the last writer closing does: the WAL into the file
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    for suffix in ("-wal", "-shm", ".migrate.lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    before = sorted(p.name for p in folder.iterdir())
    db.chmod(0o444)
    folder.chmod(0o555)
    monkeypatch.setattr(db_module.os, "access", lambda *_: False)
    try:
        for command in (["runs"], ["submissions"], ["findings", "--status", "fail"]):
            result = _cli(url, *command)
            assert result.exit_code == 0, result.output
        assert sorted(p.name for p in folder.iterdir()) == before
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


@pytest.mark.parametrize("content", [b"this is not a database at all" * 200, b""])
def test_a_damaged_or_foreign_sqlite_file_is_exit_4(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "damaged.db"
    open_store(f"sqlite:///{db}").dispose()
    if content:
        db.write_bytes(content)
        words = ["not a SQLite database"]
    else:  # the header kept, the rest cut: damaged
        data = db.read_bytes()
        db.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
        words = []
    for command in (["runs"], ["ingest", str(SUBMISSIONS)]):
        _plain(_cli(f"sqlite:///{db}", *command), 4, *words)


# --- schemas: newer than the tool, a table missing, not ours, older -------------------------------------------


def test_a_schema_newer_than_the_tool_is_exit_4(db_url: str) -> None:
    open_store(db_url).dispose()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for command in (["runs"], ["ingest", str(SUBMISSIONS)], ["db", "upgrade"]):
        _plain(_cli(db_url, *command), 4, "newer", "9999")


def test_a_missing_table_is_exit_4(db_url: str) -> None:
    open_store(db_url).dispose()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE run_dispensations"))
    engine.dispose()
    for command in (["runs"], ["run"], ["ingest", str(SUBMISSIONS)]):
        _plain(_cli(db_url, *command), 4, "run_dispensations")


def test_reading_commands_never_create_or_migrate(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    for command in (
        ["submissions"],
        ["submissions", "--quarantined"],
        ["runs"],
        ["findings"],
        ["diff"],
        ["report", "--format", "csv", "-o", str(tmp_path / "r.csv")],
    ):
        result = _cli(db_url, *command)
        assert result.exit_code == 4, result.output
        assert "ingest" in result.output  # says what creates the database
    assert set(tmp_path.iterdir()) == before  # no database file, no lock file, no report
    if db_url.startswith("postgresql"):
        assert _tables(db_url) == []  # a database that is not ours stays as it was


def test_reading_commands_refuse_an_older_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0002")
    engine.dispose()
    _plain(_cli(db_url, "runs"), 4, "older", "db upgrade")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    engine.dispose()


# --- connections lost mid-way -----------------------------------------------------------------------------


def _terminate_self(conn: Any) -> None:
    conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))


def test_connection_terminated_mid_run_is_exit_4_not_a_rule_crash(
    pg_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = pg_store
    from inclusive_check.rules import ic08_premium_rate as rule

    url = store.url.render_as_string(hide_password=False)
    assert _cli(url, "ingest", str(SUBMISSIONS)).exit_code == 0
    original = rule.evaluate

    def dying(conn: Any, *args: Any, **kwargs: Any) -> Any:
        _terminate_self(conn)
        return original(conn, *args, **kwargs)

    monkeypatch.setattr(rule, "evaluate", dying)
    result = _cli(url, "run")
    _plain(result, 4, "PostgreSQL")
    assert "IC08" not in result.output
    assert _count(url, t.runs) == 0


def test_connection_terminated_mid_ingest_is_exit_4(pg_store: Any, tmp_path: Path) -> None:
    """In a pool ingest too: a subprocess, so that every process's output is seen."""
    store = pg_store
    url = store.url.render_as_string(hide_password=False)
    folder = tmp_path / "batch"
    folder.mkdir()
    for path in sorted(SUBMISSIONS.glob("*.json")):
        shutil.copy(path, folder / path.name)
    script = f"""
import sys
from sqlalchemy import text
from inclusive_check.cli import main
from inclusive_check.store import ingest
ingest.POOL_MIN_BYTES = 0
original, calls = ingest.ingest_one, []
def dying(engine, *args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    return original(engine, *args, **kwargs)
ingest.ingest_one = dying
sys.argv = ["inclusive-check", "--db", {url!r}, "ingest", {str(folder)!r}]
main()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr and "PostgreSQL" in done.stderr
    assert _count(url, t.submissions) == 1  # the first file, whole; nothing of the second


def test_server_down_is_exit_4() -> None:
    _plain(_cli("postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2", "findings"), 4, "PostgreSQL")


# --- runs, quarantine, findings, names ---------------------------------------------------------------------


def test_an_empty_or_failed_run_stores_nothing(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = store.url.render_as_string(hide_password=False)
    assert _cli(url, "ingest", str(SUBMISSIONS)).exit_code == 0
    _plain(_cli(url, "run", "--insurer", "NO-SUCH"), 2, "nothing to check")
    assert _count(url, t.runs) == 0
    from inclusive_check.rules import ic08_premium_rate as rule

    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(rule, "evaluate", broken)
    assert _cli(url, "run").exit_code == 70  # a real rule bug is still one
    assert _count(url, t.runs) == 0 and _count(url, t.findings) == 0
    assert _cli(url, "findings").exit_code == 2  # no run stored: nothing became the default


def test_the_same_invalid_bytes_are_quarantined_once(store: Any, tmp_path: Path) -> None:
    url = store.url.render_as_string(hide_password=False)
    bad = SAMPLES / "invalid" / "unknown-field.json"
    for _ in range(2):
        assert _cli(url, "ingest", str(bad)).exit_code == 3
    assert _count(url, t.quarantine) == 1
    other = tmp_path / "other.json"
    other.write_bytes(bad.read_bytes() + b"\n")
    assert _cli(url, "ingest", str(other)).exit_code == 3
    assert _count(url, t.quarantine) == 2


def test_findings_run_0_is_an_error(store: Any) -> None:
    url = store.url.render_as_string(hide_password=False)
    assert _cli(url, "ingest", str(SUBMISSIONS)).exit_code == 0
    assert _cli(url, "run", "--exit-zero").exit_code == 0
    _plain(_cli(url, "findings", "--run", "0"), 2, "0")


@pytest.mark.parametrize("stored_as", ["recorded", "text head", "whole text"])
def test_a_new_insurer_name_does_not_rename_earlier_runs(
    store: Any, tmp_path: Path, monkeypatch: Any, stored_as: str
) -> None:
    """The name a document was checked under: as ingest recorded it, or for a submission stored before it did
    (migration 0009), read from its text: from its head, or from the whole text when the insurer object is not
    whole in the head (40 characters here)."""
    from sqlalchemy import update

    from inclusive_check.store import queries
    from inclusive_check.store import tables as t

    if stored_as == "whole text":
        monkeypatch.setattr(queries, "_HEAD_CHARS", 40)
    url = store.url.render_as_string(hide_password=False)
    doc = json.loads((SUBMISSIONS / "hx-life-2025.json").read_text("utf-8"))
    old_name = doc["insurer"]["name"]
    first = tmp_path / "first.json"
    first.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    doc["insurer"]["name"] = "新名称保险股份有限公司"
    second = tmp_path / "second.yaml"  # a YAML revision: the name is read from the document either way
    import yaml

    second.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    filing = SAMPLES / "filings" / "hx-life-rural-accident.json"
    assert _cli(url, "ingest", str(first), str(filing)).exit_code == 0
    assert _cli(url, "run", "--exit-zero").exit_code == 0
    assert _cli(url, "ingest", str(second)).exit_code == 0
    assert _cli(url, "run", "--exit-zero").exit_code == 0
    if stored_as != "recorded":
        with store.begin() as conn:
            conn.execute(update(t.submissions).values(insurer_name=None))

    def names(run: str) -> set[str]:
        result = _cli(url, "findings", "--run", run, "--format", "json")
        assert result.exit_code == 0, result.output
        return {
            s["insurer"]["name"]
            for s in json.loads(result.output)["submissions"]
            if s["insurer"]["code"] == doc["insurer"]["code"]
        }

    assert names("1") == {old_name}  # the submission and the filing checked in its context
    assert names("2") == {"新名称保险股份有限公司"}
