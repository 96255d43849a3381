"""Database URL mistakes get the fix in the message: a bare path names the sqlite:/// URL, postgres:// and
postgresql:// take the psycopg driver we ship for, and a missing PostgreSQL database is named with its server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from inclusive_check.cli import cli


def _runs(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", url, "runs"])
    return result.exit_code, result.output


@pytest.mark.parametrize("path", ["x.db", "/srv/data/x.db"])
def test_a_bare_path_suggests_its_sqlite_url(path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _runs(path)
    assert code == 4
    assert f"for a SQLite file write sqlite:///{path}" in out
    assert make_url(f"sqlite:///{path}").database == path  # the suggested URL names exactly that file


def test_postgres_schemes_take_the_psycopg_driver(pg_database: str) -> None:
    url = make_url(pg_database)
    for scheme in ("postgres", "postgresql"):
        code, out = _runs(url.set(drivername=scheme).render_as_string(hide_password=False))
        # connected through psycopg: the session's database is empty (no schema yet) or, when an earlier test of
        # this worker made the schema, lists its runs
        assert "no driver" not in out and ("has no inclusive-check schema" in out or code == 0), out


def test_a_missing_database_is_named_with_its_server(pg_database: str) -> None:
    url = make_url(pg_database).set(database="no_such_database_i29")
    code, out = _runs(url.render_as_string(hide_password=False))
    assert code == 4
    assert f'the PostgreSQL server at {url.host}:{url.port or 5432} has no database "no_such_database_i29"' in out
    assert "createdb no_such_database_i29" in out and "cannot reach" not in out
