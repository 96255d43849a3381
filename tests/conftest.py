"""Shared fixtures. Every test that touches SQL runs on SQLite and on PostgreSQL.

PostgreSQL is found at INCLUSIVE_CHECK_TEST_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
When it is not running we try to start the local cluster. When it still cannot be reached the
PostgreSQL leg is skipped, except under CI=true, where that is a failure.

Markers are set here from the fixtures a test uses, so that `pytest -m "not browser and not postgres"` is the
quick local subset: `postgres` for every PostgreSQL leg, `browser` for every test that drives Chromium.

Tests write nothing into the checkout: the session compares the checkout's files before and after, and a
file created, changed or removed by the tests fails the run (exit 1) with its path.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# hypothesis keeps its example database and constants under the working directory (.hypothesis/): the tests write
# nothing into the checkout, so they go to a folder of their own under the system's temporary directory.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="inclusive-check-hypothesis-"))

ROOT = Path(__file__).resolve().parent.parent
# Folders whose contents tools and interpreters write as a matter of course (and a virtual environment
# created inside the checkout, as the README's set-up does): not the tests' doing.
_CHECKOUT_NOISE = {".git", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
PG_ADMIN_URL = os.environ.get("INCLUSIVE_CHECK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, object] = {}
_BEFORE = pytest.StashKey[dict[str, tuple[int, int]]]()


def _pg_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _start_cluster() -> None:
    try:
        versions = os.listdir("/etc/postgresql")
    except OSError:
        return
    for version in versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            timeout=60,
            check=False,
        )


def pg_available() -> bool:
    if "ok" not in _pg_state:
        ok = _pg_reachable()
        if not ok:
            _start_cluster()
            ok = _pg_reachable()
        _pg_state["ok"] = ok
    return bool(_pg_state["ok"])


def require_pg() -> None:
    if pg_available():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required when CI=true and is not reachable at {PG_ADMIN_URL}")
    pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (and xdist worker); dropped at the end."""
    require_pg()
    name = f"ic_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend (no schema yet)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("pg_database")
    _reset_pg(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[object]:
    """An engine on a migrated, empty database on each backend."""
    from inclusive_check.store.db import open_store

    engine = open_store(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[object]:
    """A migrated, empty PostgreSQL database, for what only PostgreSQL has (a test with no SQLite leg to skip)."""
    from inclusive_check.store.db import open_store

    _reset_pg(pg_database)
    engine = open_store(pg_database)
    yield engine
    engine.dispose()


# --- Debian's chromium, for the browser tests (the HTML report, the portal's journeys) -------------------------

_CI = os.environ.get("CI", "").lower() == "true"
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def _has_cjk_font() -> bool:
    try:
        listing = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(listing.stdout.strip())


def _apt_install(packages: list[str]) -> str | None:
    """Install Debian packages; None when it worked, else why not."""
    if os.geteuid() != 0:
        return "not root, cannot apt-get install"
    if shutil.which("apt-get") is None:
        return "apt-get not found"
    with open("/tmp/inclusive-check-apt.lock", "w") as lock:  # xdist workers take turns with dpkg
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all(shutil.which(p) for p in packages if p == "chromium") and (
            "fonts-wqy-microhei" not in packages or _has_cjk_font()
        ):
            return None
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=APT_ENV, check=False)
            except (OSError, subprocess.SubprocessError) as exc:
                return f"{' '.join(command)}: {exc}"
            if done.returncode != 0:
                return f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's chromium, installed when missing (with a CJK font for the Chinese text)."""
    missing = [] if shutil.which("chromium") else ["chromium"]
    if not _has_cjk_font():
        missing.append("fonts-wqy-microhei")
    problem = _apt_install(missing) if missing else None
    path = shutil.which("chromium")
    if path is None:
        message = f"chromium is not installed and could not be installed: {problem}"
        if _CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


# --- every published output the CLI prints holds to its published schema ------------------------------------

_validators: dict[str, Any] = {}


def _hold_to_published_schema(payload: Any) -> None:
    """Validate a JSON output (as parsed) against the schema its ``schema`` marker names (`inclusive-check schema
    results|diff|validation`); an ``inclusive-check/...`` marker without a published schema fails."""
    import jsonschema

    from inclusive_check.contract.outputs import PUBLISHED, json_schema

    marker = payload.get("schema") if isinstance(payload, dict) else None
    if not isinstance(marker, str) or not marker.startswith("inclusive-check/"):
        return
    kinds = {PUBLISHED[kind].model_fields["schema_"].default: kind for kind in PUBLISHED}
    assert marker in kinds, f"output marked {marker!r} has no published schema"
    if marker not in _validators:
        _validators[marker] = jsonschema.Draft202012Validator(json_schema(kinds[marker]))
    errors = sorted(_validators[marker].iter_errors(payload), key=lambda e: list(e.absolute_path))
    assert not errors, f"{marker} output breaks its schema: " + "; ".join(
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )


@pytest.fixture
def published_schema_check() -> Any:
    """The check every JSON output of the CLI goes through in tests (see ``_published_outputs_are_validated``)."""
    return _hold_to_published_schema


@pytest.fixture(autouse=True)
def _published_outputs_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each JSON the CLI prints in a test (stdout ``--format json`` and ``--output json=FILE``) is held to the
    published schema its marker names: results, diff, validation."""
    import json

    import inclusive_check.cli as cli_module
    import inclusive_check.reports as reports_module

    emit, render, problems = cli_module._emit_json, reports_module.render_results, reports_module.render_problems

    def checked_emit(payload: Any) -> None:
        data = payload.model_dump(mode="json", by_alias=True) if hasattr(payload, "model_dump") else payload
        _hold_to_published_schema(json.loads(json.dumps(data, default=str)))
        emit(payload)

    def checked_render(fmt: str, *args: Any, **kwargs: Any) -> str:
        text: str = render(fmt, *args, **kwargs)
        if fmt == "json":
            _hold_to_published_schema(json.loads(text))
        return text

    def checked_problems(fmt: str, *args: Any, **kwargs: Any) -> str:
        text: str = problems(fmt, *args, **kwargs)
        if fmt == "json":
            _hold_to_published_schema(json.loads(text))
        return text

    monkeypatch.setattr(cli_module, "_emit_json", checked_emit)
    monkeypatch.setattr(reports_module, "render_results", checked_render)
    monkeypatch.setattr(reports_module, "render_problems", checked_problems)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark PostgreSQL legs `postgres` and Chromium tests `browser`, from the fixtures they use."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and callspec.params.get("db_url") == "postgresql"
        if on_pg or fixtures & {"pg_database", "pg_store"}:
            item.add_marker(pytest.mark.postgres)
        if "chromium" in fixtures:
            item.add_marker(pytest.mark.browser)


def _checkout_files() -> dict[str, tuple[int, int]]:
    """Every file of the checkout (outside tool caches) with its size and modification time."""
    files = {}
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in _CHECKOUT_NOISE and not d.endswith(".egg-info")]
        for name in names:
            path = Path(folder, name)
            stat = path.lstat()
            files[str(path.relative_to(ROOT))] = (stat.st_size, stat.st_mtime_ns)
    return files


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist) keeps the picture
        session.config.stash[_BEFORE] = _checkout_files()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when the tests created, changed or removed a file of the checkout."""
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    after = _checkout_files()
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("=", f"tests wrote into the checkout ({ROOT}); use tmp_path instead", red=True)
            for path in changed[:20]:
                reporter.write_line(f"  {path}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
