"""The text view: statuses in words, colour on a terminal through rich, none in a pipe, a file or with NO_COLOR
(terminal safety with colour: tests/test_terminal_safety.py); `submissions --quarantined` locates each problem
by line:column as its JSON does."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.reports.text import colour_wanted

ROOT = Path(__file__).resolve().parent.parent
KN = ROOT / "samples" / "submissions" / "kn-health-2025.json"
INVALID = ROOT / "samples" / "invalid"
SGR = re.compile(r"\x1b\[[0-9;]*m")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return CliRunner()


def test_indeterminate_is_a_word(runner: CliRunner) -> None:
    en = runner.invoke(cli, ["check", str(KN)]).stdout
    assert re.search(r"^   INDETERMINATE +error +IC08-PREMIUM-RATE", en, re.M)
    assert "1 indeterminate" in en and "????" not in en
    zh = runner.invoke(cli, ["check", str(KN), "--lang", "zh"]).stdout
    assert re.search(r"^   无法判定 +错误 +IC08-PREMIUM-RATE", zh, re.M) and "1 无法判定" in zh


def test_piped_output_has_no_escape_codes(runner: CliRunner) -> None:
    for args in ([], ["--color", "auto"], ["--color", "never"]):
        result = runner.invoke(cli, ["check", str(KN), *args])
        assert result.exit_code == 1 and "\x1b" not in result.stdout, args


def test_color_always_colours_and_reads_the_same(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = runner.invoke(cli, ["check", str(KN)]).stdout
    for no_color in ("", "1"):  # an explicit --color always wins over NO_COLOR (no-color.org)
        monkeypatch.setenv("NO_COLOR", no_color)
        coloured = runner.invoke(cli, ["check", str(KN), "--color", "always"]).stdout
        assert "\x1b[1;31mFAIL" in coloured and "\x1b[1;35mINDETERMINATE" in coloured
        assert SGR.sub("", coloured) == plain


def test_output_files_never_get_colour(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(cli, ["check", str(KN), "--color", "always", "--output", f"text={tmp_path / 'out.txt'}"])
    assert "\x1b" not in (tmp_path / "out.txt").read_text("utf-8")


def test_auto_colours_a_terminal_unless_no_color_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert colour_wanted("auto", _Terminal()) is True
    assert colour_wanted("auto", io.StringIO()) is False  # a pipe or a file
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: no effect
    assert colour_wanted("auto", _Terminal()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert colour_wanted("auto", _Terminal()) is False
    assert colour_wanted("always", io.StringIO()) is True and colour_wanted("never", _Terminal()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert colour_wanted("auto", _Terminal()) is False


def test_quarantined_text_locates_problems_as_json_does(runner: CliRunner) -> None:
    files = [INVALID / "absurd-solvency-ratio.json", INVALID / "duplicate-key.json", INVALID / "empty.json"]
    assert runner.invoke(cli, ["ingest", *map(str, files)]).exit_code == 3
    as_json: list[dict[str, Any]] = json.loads(
        runner.invoke(cli, ["submissions", "--quarantined", "--format", "json"]).stdout
    )
    shown = runner.invoke(cli, ["submissions", "--quarantined"]).stdout
    located = 0
    for row in as_json:
        for p in row["problems"]:
            where = f"{p['line']}:{p['column']} " if p["line"] is not None else ""
            assert f"    {where}{p['pointer'] or '(document)'}: {p['message']}" in shown
            located += p["line"] is not None
    assert located >= 2 and "    17:25 /solvency/0/core_ratio_pct: " in shown
