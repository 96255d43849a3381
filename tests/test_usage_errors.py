"""Usage errors suggest the fix: closest rule IDs, --db on either side of the command, missing files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_db_is_accepted_after_the_command(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the default database would land here
    runner = CliRunner()
    ingest = runner.invoke(cli, ["ingest", str(SAMPLES / "submissions"), "--db", db_url])
    assert ingest.exit_code == 0, ingest.output
    assert runner.invoke(cli, ["run", "--db", db_url, "--exit-zero"]).exit_code == 0
    runs = runner.invoke(cli, ["runs", "--format", "json", "--db", db_url])
    assert runs.exit_code == 0, runs.output
    assert [r["documents"] for r in json.loads(runs.stdout)] == [5]
    # after the command it wins over the one before it (and over the environment)
    elsewhere = f"sqlite:///{work / 'other.db'}"
    env = {"INCLUSIVE_CHECK_DATABASE_URL": elsewhere}
    both = runner.invoke(cli, ["--db", elsewhere, "findings", "--format", "json", "--db", db_url], env=env)
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["summary"]["submissions"] == 5
    assert list(work.iterdir()) == []  # neither other.db nor ./inclusive-check.db was made


@pytest.mark.parametrize(
    ("typed", "closest"),
    [("IC10-KPI-WEIGT", "IC10-KPI-WEIGHT"), ("kpi", "IC10-KPI-WEIGHT"), ("IC12", "IC12-FEE-RATE")],
)
def test_rules_show_names_the_closest_ids(typed: str, closest: str) -> None:
    result = CliRunner().invoke(cli, ["rules", "show", typed])
    assert result.exit_code == 2
    assert f"unknown rule {typed.upper()!r}; did you mean " in result.stderr
    assert closest in result.stderr


def test_a_dispensation_with_an_unknown_rule_names_the_closest_ids(tmp_path: Path) -> None:
    letters = (SAMPLES / "dispensations" / "2025-supervisor-letters.yaml").read_text(encoding="utf-8")
    assert "rule: IC12-FEE-RATE" in letters
    bad = tmp_path / "letters.yaml"
    bad.write_text(letters.replace("rule: IC12-FEE-RATE", "rule: IC12-FEE-RAT", 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "dispensations", "import", str(bad)])
    assert result.exit_code == 3  # the file is input that is not valid, located
    assert "/rule" in result.output and "did you mean IC12-FEE-RATE?" in result.output


@pytest.mark.parametrize("option", ["--dispensations", "--ruleset"])
def test_a_missing_option_file_is_a_usage_error(option: str, tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    result = CliRunner().invoke(cli, ["check", str(SAMPLES / "submissions"), option, str(missing)])
    assert result.exit_code == 2, result.output
    assert f"'{missing}' does not exist" in result.stderr
