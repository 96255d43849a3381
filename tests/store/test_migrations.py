"""Migrations: upgrade from empty, no drift against the models, downgrade and upgrade with data in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from inclusive_check.cli import cli
from inclusive_check.store import tables as t
from inclusive_check.store.db import current, downgrade, head, make_engine, upgrade
from inclusive_check.store.ingest import ingest_paths

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current(engine) is None
    upgrade(engine)
    assert current(engine) == head()
    assert set(t.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_head_constant_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(SAMPLES.parent / "migrations"))
    assert head() == ScriptDirectory.from_config(config).get_current_head()


def test_autogenerate_finds_no_drift(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, t.metadata)
    assert diff == []
    engine.dispose()


def _counts(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in t.metadata.tables.items()
            if name in inspect(conn).get_table_names()
        }


def _submissions(engine: Any) -> list[Any]:
    s, d = t.submissions.c, t.documents.c
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(t.submissions, d.raw).join(t.documents, d.submission_id == s.id).order_by(s.id)
            )
        ]


def test_downgrade_then_upgrade_keeps_the_data(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    ingest_paths(engine, sorted((SAMPLES / "submissions").glob("*.json")), 2**26)
    result = CliRunner().invoke(cli, ["--db", db_url, "run", "--exit-zero", "--quiet"])
    assert result.exit_code == 0, result.output
    before, stored = _counts(engine), _submissions(engine)
    assert before["products"] > 0 and before["findings"] > 0
    downgrade(engine, "-1")
    upgrade(engine)
    after = _counts(engine)
    assert {k: after[k] for k in before} == before
    # 0003 computes the portfolio sums of stored submissions the way ingest does, and keeps every document.
    assert _submissions(engine) == stored
    engine.dispose()


def test_db_commands_work_from_the_cli(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_url, "db", "current"])
    assert result.exit_code == 0, result.output
    assert "empty (no schema)" in result.output
    result = runner.invoke(cli, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert head() in result.output
    result = runner.invoke(cli, ["--db", db_url, "db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert "empty (no schema)" in result.output
