"""Issue 25: every command's options and arguments driven with hostile values (hypothesis). Bad input is a plain
message and exit 2/3/4 (or a result), never exit 70 and never a traceback. The commands are found from the CLI
itself, so a new option is covered by itself. Bounded: a fixed number of examples on a small stored market."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inclusive_check.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SKIPPED = {("serve",)}  # it would start a server; its --config is tested in test_input_bounds.py

HOSTILE_TEXT = [
    "",
    " ",
    "\x01\x1b[31m",  # control characters (a NUL cannot be in a real argv)
    "-1",
    "0",
    "99999999999999999999",
    "-99999999999999999999",
    "1e999999",
    "nan",
    "inf",
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    "run:99999999999999999999",
    "run:-1",
    "/dev/zero",
    "/dev/null",
    "{fifo}",
    "{folder}",
    "x" * 5000,
    "../../../../etc/passwd",
    "IC12-FEE-RATE.in_force=0001-01-01",
    "IC19-SOLVENCY-GATE.min_core_ratio_pct=1e999999",
    "severity.fail.mandatory=nonsense",
    "json={folder}",
    "%s%n\u202e\u2028",
    "2025-Q9",
    "sqlite:////nonexistent/dir/x.db",
]


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out += _commands(command, (*path, name))
        elif (*path, name) not in SKIPPED:
            out.append(((*path, name), command))
    return out


COMMANDS = _commands(cli)


def _values(param: click.Parameter) -> st.SearchStrategy[str]:
    typed = param.type
    if isinstance(typed, click.Choice):
        return st.sampled_from([*map(str, typed.choices), "nonsense", ""])
    if param.name in ("output", "outputs"):  # writing into a FIFO waits for its reader, as any Unix tool does
        return st.sampled_from([v for v in HOSTILE_TEXT if "{fifo}" not in v])
    return st.sampled_from(HOSTILE_TEXT)


@st.composite
def _invocation(draw: Any, path: tuple[str, ...], command: click.Command) -> list[str]:
    args = list(path)
    params = [p for p in command.params if p.name != "help"]
    for param in draw(st.lists(st.sampled_from(params), max_size=3, unique_by=lambda p: p.name)) if params else []:
        if isinstance(param, click.Option):
            if param.is_flag:
                args.append(param.opts[0])
            else:
                args += [param.opts[0], draw(_values(param))]
        else:
            args.append(draw(_values(param)))
    return args


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'template.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "ingest", str(SAMPLES / "submissions")]).exit_code == 0
    assert runner.invoke(cli, ["--db", url, "run", "--exit-zero", "-q"]).exit_code == 0
    os.mkfifo(folder / "pipe.yaml")
    (folder / "dir").mkdir()
    return folder


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_hostile_option_values_never_exit_70_or_crash(
    path: tuple[str, ...], command: click.Command, market: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # an output file a hostile value names lands here, never in the checkout

    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(args=_invocation(path, command))
    def run(args: list[str]) -> None:
        db = tmp_path / "x.db"
        shutil.copyfile(market / "template.db", db)
        args = [a.replace("{fifo}", str(market / "pipe.yaml")).replace("{folder}", str(market / "dir")) for a in args]
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", *args], input="")
        shown = f"inclusive-check {' '.join(a[:60] for a in args)}: exit {result.exit_code}\n{result.output[-2000:]}"
        assert result.exit_code != 70, shown
        assert "Traceback" not in result.output and "internal error" not in result.output, shown
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(shown) from result.exception

    run()
