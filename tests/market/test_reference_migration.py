"""Migration 0014 (reference_values, targets) on both backends: upgrade creates the tables the import writes,
downgrade to 0011 drops them and leaves the rest, upgrade again brings them back empty."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import inspect, select

from inclusive_check.cli import cli
from inclusive_check.store import tables as t
from inclusive_check.store.db import current, downgrade, head, make_engine, upgrade

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_0014_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    assert current(engine) == head()
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--db", db_url, "reference", "import", str(SAMPLES / "reference" / "ningbo-2020.yaml")]
    )
    assert result.exit_code == 0 and "3 new" in result.output, result.output
    assert (
        runner.invoke(
            cli, ["--db", db_url, "targets", "import", str(SAMPLES / "targets" / "ningbo-2025.yaml")]
        ).exit_code
        == 0
    )
    with engine.connect() as conn:
        assert len(conn.execute(select(t.targets.c.id)).all()) == 3
    downgrade(engine, "0011")
    names = set(inspect(engine).get_table_names())
    assert "reference_values" not in names and "targets" not in names and "submissions" in names
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(t.reference_values.c.id)).all() == []
    engine.dispose()
