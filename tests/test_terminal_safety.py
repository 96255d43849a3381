"""Text from data reaches a terminal or a CI log escaped: no ANSI sequence, control character or line of its own.

A hostile submission (names and comparable codes full of escape sequences, CR/LF and GitHub workflow
commands) under a hostile file name goes through every text output: `check` (text and github),
`validate`, `ingest`, `run`, `submissions` (also `--quarantined`) and `findings`, on both backends.
XLSX holds characters XML cannot (U+FFFE, U+FFFF) as U+FFFD.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from inclusive_check.cli import cli
from inclusive_check.safetext import clean

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "submissions" / "kn-health-2025.json"
EVIL = "\t\x1b[2J\x1b]0;pwned\x07\r\n::add-mask::secret\n::stop-commands::tok\n::set-env name=X::1\u2028\u202e\x9b31m"
EVIL_NAME = "evil\n::add-mask::name\x1b[31m\r.json"
# What no line of our output may hold: every control character but the newlines and tabs (`findings`' columns)
# we put there ourselves; a tab of data would add a column, which the findings test counts.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
OUR_COMMANDS = ("::error ", "::warning ", "::notice ")
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colours of the text view on a terminal


def assert_safe(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"raw {found.group()!r} in output: {text[max(found.start() - 60, 0) : found.end() + 20]!r}"
    for line in text.splitlines():
        assert not line.startswith("::") or line.startswith(OUR_COMMANDS), line
        assert "::add-mask::" not in line.split("::", 2)[-1] or "\\n::add-mask::" in line, line


def assert_output_safe(result: Result) -> None:
    assert_safe(result.stdout)
    assert_safe(result.stderr)


def hostile(folder: Path, valid: bool = True) -> Path:
    doc: dict[str, Any] = json.loads(SAMPLE.read_text("utf-8"))
    doc = copy.deepcopy(doc)
    doc["insurer"]["name"] += EVIL
    for product in doc["products"]:
        product["name"] += EVIL
        if product.get("comparable"):
            product["comparable"]["product_code"] += EVIL
    if not valid:
        doc["products"][0]["line"] = "health" + EVIL  # not one of the lines: quoted back in the message
    path = folder / (EVIL_NAME if valid else "bad-" + EVIL_NAME)
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)
    return CliRunner()


def test_clean_escapes_control_characters_and_nothing_else() -> None:
    assert clean("a\x1b[31mb\r\n\tc\x7f\x9b\u2028\u202e") == "a\\x1b[31mb\\r\\n\\tc\\x7f\\x9b\\u2028\\u202e"
    assert clean("康宁健康 % : , \\ ok") == "康宁健康 % : , \\ ok"
    assert clean(None) == "None" and clean(3) == "3"


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_check_escapes_data_and_file_names(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    path = hostile(tmp_path)
    result = runner.invoke(cli, ["check", str(path), "--format", fmt, "--show-passes"])
    assert result.exit_code == 1, result.output
    assert_output_safe(result)
    assert "\\t\\x1b[2J" in result.stdout and "\\n::add-mask::secret" in result.stdout
    assert "evil\\n" in result.stdout or "evil%0A" in result.stdout  # the file name, escaped


def test_coloured_text_view_stays_safe(runner: CliRunner, tmp_path: Path) -> None:
    """With --color always, the only escape sequences are our own colours (SGR); the data's stay escaped."""
    path = hostile(tmp_path)
    result = runner.invoke(cli, ["check", str(path), "--color", "always", "--show-passes"])
    assert result.exit_code == 1, result.output
    assert _SGR.search(result.stdout)
    assert_safe(_SGR.sub("", result.stdout))  # no sequence but our colours: the data's own are escaped
    assert "\\x1b[2J" in result.stdout
    assert "name\\x1b[31m\\r.json" in result.stdout  # the file name's own colour, escaped, not obeyed


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_problems_of_invalid_input_are_escaped_on_stdout_and_stderr(
    runner: CliRunner, tmp_path: Path, fmt: str
) -> None:
    path = hostile(tmp_path, valid=False)
    result = runner.invoke(cli, ["check", str(path), "--format", fmt])
    assert result.exit_code == 3
    assert_output_safe(result)
    assert "bad-evil\\n::add-mask::name\\x1b[31m\\r.json" in result.stderr
    result = runner.invoke(cli, ["validate", str(path), str(hostile(tmp_path))])
    assert result.exit_code == 3
    assert_output_safe(result)
    assert "ok       " in result.stdout and "health\\t\\x1b[2J" in result.stdout


def test_stored_data_is_escaped_in_ingest_run_submissions_and_findings(
    store: Any, db_url: str, runner: CliRunner, tmp_path: Path
) -> None:
    good, bad = hostile(tmp_path), hostile(tmp_path, valid=False)
    result = runner.invoke(cli, ["--db", db_url, "ingest", str(good), str(bad)])
    assert result.exit_code == 3
    assert_output_safe(result)
    assert "quarantined " in result.stdout and "bad-evil\\n" in result.stdout
    for args in (
        ["run", "--show-passes"],
        ["run", "--format", "github"],
        ["submissions"],
        ["submissions", "--quarantined"],
        ["findings"],
        ["runs"],
    ):
        result = runner.invoke(cli, ["--db", db_url, *args])
        assert result.exit_code in (0, 1), (args, result.output)
        assert_output_safe(result)
    listed = runner.invoke(cli, ["--db", db_url, "findings", "--status", "fail", "--format", "json"]).stdout
    count = sum(len(sub["findings"]) for sub in json.loads(listed)["submissions"])
    findings = runner.invoke(cli, ["--db", db_url, "findings", "--status", "fail"]).stdout.splitlines()
    assert len(findings) == 1 + count + 1  # the header, one line per finding whatever its data holds, the count
    assert all("\t" not in line for line in findings)  # a tab from the data is shown escaped
    evidence = [f["evidence"]["en"]["expected"] for s in json.loads(listed)["submissions"] for f in s["findings"]]
    assert any("KNH-MED-STD-03\t\x1b[2J" in e for e in evidence)  # the comparable's code, as stored


def test_xlsx_holds_no_character_xml_cannot(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from inclusive_check.check import check_paths
    from inclusive_check.reports.tabular import write_xlsx
    from inclusive_check.ruleset import load_ruleset

    doc = json.loads(SAMPLE.read_text("utf-8"))
    doc["insurer"]["name"] += "\uffff\ufffe\x1b"
    doc["products"][0]["comparable"]["product_code"] += "\uffff\ufffe"
    path = tmp_path / "nonchar\uffff.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    outcome = check_paths([path], load_ruleset(None), __import__("datetime").date(2026, 1, 15))
    assert outcome.results is not None, outcome.problems
    target = tmp_path / "out.xlsx"
    write_xlsx(outcome.results, str(target))
    book = load_workbook(target)  # a file with U+FFFF in it does not parse
    cells = [str(c.value) for row in book["findings"].iter_rows() for c in row if c.value is not None]
    assert any("KNH-MED-STD-03\ufffd\ufffd" in c for c in cells)
    assert any(c.endswith("nonchar\ufffd.json") for c in cells)
    assert not any(ch in c for c in cells for ch in "\uffff\ufffe\x1b")


def test_usage_and_environment_errors_escape_control_characters_line_by_line() -> None:
    from inclusive_check.cli_common import DomainError, EnvironmentProblem

    for error in (DomainError("no such file: \x1b[31mred.json\ntry again"), EnvironmentProblem("db at \x07bell")):
        shown = error.format_message()
        assert "\x1b" not in shown and "\x07" not in shown
    assert DomainError("no such file: \x1b[31mred.json\ntry again").format_message() == (
        "no such file: \\x1b[31mred.json\ntry again"
    )


def test_listed_columns_line_up_on_a_terminal_with_chinese_text() -> None:
    """A Chinese character takes two terminal columns: listings (market, runs, submissions) pad by that width."""
    from inclusive_check.reports.text import width
    from inclusive_check.reports.views import table

    rows = [{"code": "110000", "name": "北京市", "n": "1"}, {"code": "150000", "name": "内蒙古自治区", "n": "22"}]
    lines = table(rows, ["code", "name", "n"]).splitlines()
    # where the last column starts, in terminal columns, on the header and on each row
    starts = {width(line) - width(last) for line, last in zip(lines, ["n", "1", "22"], strict=True)}
    assert len(starts) == 1
