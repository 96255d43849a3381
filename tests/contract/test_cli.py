"""`inclusive-check validate` and `inclusive-check schema` through click's CliRunner."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from contract_helpers import FILINGS, INVALID, SAMPLES, SUBMISSIONS, VALID, schema_dict
from test_samples import EXPECTED

from inclusive_check.cli import cli
from inclusive_check.contract.load import parse_bytes

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "src" / "inclusive_check" / "contract" / "schemas"


def _no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def test_valid_samples_exit_0(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["validate", str(SAMPLES / "submissions"), str(SAMPLES / "filings")])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:-1] == [f"ok       {p}" for p in SUBMISSIONS + FILINGS]
    assert lines[-1] == f"{len(VALID)} file(s): {len(VALID)} valid, 0 invalid"


def test_valid_samples_json_format(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["validate", "--format", "json", *map(str, VALID)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["valid"], report["invalid"]) == (len(VALID), 0)
    assert [f["file"] for f in report["files"]] == [str(p) for p in VALID]
    for entry, path in zip(report["files"], VALID, strict=True):
        assert entry["valid"] is True
        assert entry["problems"] == []
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_invalid_folder_exit_3(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["validate", str(SAMPLES / "invalid")])
    _no_traceback(result)
    assert result.exit_code == 3
    assert result.output.splitlines()[-1] == (
        f"{len(INVALID)} file(s): 0 valid, {len(INVALID)} invalid ({len(INVALID)} problem(s))"
    )
    assert "ok       " not in result.output


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_each_invalid_file_exit_3_with_its_pointer(cli_runner: CliRunner, path: Path) -> None:
    result = cli_runner.invoke(cli, ["validate", "--format", "json", str(path)])
    _no_traceback(result)
    assert result.exit_code == 3
    report = json.loads(result.output)
    assert (report["valid"], report["invalid"]) == (0, 1)
    (entry,) = report["files"]
    assert entry["file"] == str(path)
    assert entry["valid"] is False
    expected = EXPECTED[path.name]
    assert [p["pointer"] for p in entry["problems"]] == [e[0] for e in expected]
    assert [(p["line"], p["column"]) for p in entry["problems"]] == [(e[1], e[2]) for e in expected]
    for problem, (_, _, _, fragment) in zip(entry["problems"], expected, strict=True):
        assert fragment in problem["message"]
        assert problem["file"] == str(path)
    # empty files have no hash: nothing was read
    assert (entry["sha256"] is None) == (path.stat().st_size == 0)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_each_invalid_file_text_line(cli_runner: CliRunner, path: Path) -> None:
    result = cli_runner.invoke(cli, ["validate", str(path)])
    _no_traceback(result)
    assert result.exit_code == 3
    pointer, line, column, fragment = EXPECTED[path.name][0]
    where = f"{path}:{line}:{column}" if line is not None else str(path)
    first = result.output.splitlines()[0]
    assert first.startswith(f"{where}: {pointer or '(document)'}: ")
    assert fragment in first


def test_mixed_batch_lists_every_file_and_fails(cli_runner: CliRunner) -> None:
    good = SAMPLES / "submissions" / "hx-life-2025.json"
    bad = SAMPLES / "invalid" / "nan-rate.json"
    result = cli_runner.invoke(cli, ["validate", "--format", "json", str(good), str(bad)])
    assert result.exit_code == 3
    report = json.loads(result.output)
    assert (report["valid"], report["invalid"]) == (1, 1)
    assert [(f["file"], f["valid"]) for f in report["files"]] == [(str(good), True), (str(bad), False)]
    assert [p["pointer"] for p in report["files"][1]["problems"]] == ["/product/premium_rate"]


def test_missing_file_is_a_usage_error(cli_runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    for command in (["validate"], ["check"], ["ingest"], ["check", str(SAMPLES / "filings"), "--insurer"]):
        result = cli_runner.invoke(cli, [*command, str(missing)])
        _no_traceback(result)
        assert result.exit_code == 2, result.output  # a mistyped name: usage, not a document that is not valid
        assert f"'{missing}' does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_folder_without_documents_is_a_usage_error(cli_runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing to validate", "utf-8")
    result = cli_runner.invoke(cli, ["validate", str(tmp_path)])
    _no_traceback(result)
    assert result.exit_code == 2
    assert "no .json, .yaml or .yml documents found" in result.output


@pytest.mark.parametrize("kind", ["submission", "product_filing", "dispensations"])
def test_schema_command_prints_the_published_schema(cli_runner: CliRunner, kind: str) -> None:
    result = cli_runner.invoke(cli, ["schema", kind])
    assert result.exit_code == 0
    assert result.exception is None
    assert result.output == (SCHEMA_DIR / f"{kind}.schema.json").read_text("utf-8")
    assert json.loads(result.output) == schema_dict(kind)
    assert json.loads(result.output)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_command_rejects_an_unknown_kind(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["schema", "policy"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)


# Inputs that must be rejected with a located problem and never raise.
ROBUSTNESS = [
    pytest.param(b"\xff\xfe{\x00}\x00", ".json", "", "UTF-16 byte-order mark", id="utf16-bom"),
    pytest.param(b" \n\t\n", ".json", "", "the file is empty", id="whitespace-only"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, ".json", "", "nests too deeply", id="deeply-nested-json"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, ".yaml", "", "nests too deeply", id="deeply-nested-yaml"),
    pytest.param(b'{"kind": "submission", "kind": "submission"}', ".json", "/kind", "duplicate key", id="dup-kind"),
    pytest.param(b"kind: product_filing\nkind: submission\n", ".yaml", "", "duplicate key 'kind'", id="yaml-dup-key"),
    pytest.param(b"!!python/object/apply:os.system ['true']\n", ".yaml", "", "not valid YAML", id="yaml-python-tag"),
    pytest.param(b'{"kind": "product_filing", "x": "\\ud800"}', ".json", "", "unexpected 'x'", id="lone-surrogate"),
    pytest.param(
        b'{"kind": "submission", "x": ' + b"1" * 5000 + b"}",
        ".json",
        "/x",
        "far beyond every range",
        id="json-int-over-4300-digits",
    ),
    pytest.param(
        b"kind: product_filing\nx: " + b"1" * 5000 + b"\n",
        ".yaml",
        "",
        "far beyond every range",
        id="yaml-int-over-4300-digits",
    ),
    pytest.param(
        b"kind: product_filing\nschema_version: '1.0'\ninsurer_code: AB\nfiling_date: '2025-01-01'\n"
        b"product:\n  premium_rate: .nan\n",
        ".yaml",
        "/product/premium_rate",
        "",
        id="yaml-nan",
    ),
    pytest.param(
        b"kind: product_filing\n? [a, b]\n: c\n",
        ".yaml",
        "",
        "",
        id="yaml-sequence-as-key",
    ),
]


@pytest.mark.parametrize(("raw", "suffix", "pointer", "fragment"), ROBUSTNESS)
def test_hostile_input_is_rejected_without_raising(raw: bytes, suffix: str, pointer: str, fragment: str) -> None:
    loaded = parse_bytes(raw, "input" + suffix, suffix)
    assert not loaded.ok
    assert loaded.problems
    assert pointer in [p.pointer for p in loaded.problems]
    assert any(fragment in p.message for p in loaded.problems if p.pointer == pointer)


@pytest.mark.parametrize(
    ("raw", "suffix", "where"),
    [
        (b'{"a":\n ' + b"[" * 99_999 + b"]" * 99_999 + b"}", ".json", (2, 200)),  # the { on line 1 is level 1
        (b"a:\n  - " + b"{b: " * 50_000 + b"}" * 50_000, ".yaml", (2, 4 + 4 * 199 + 1)),
    ],
    ids=["json", "yaml-flow"],
)
def test_nesting_too_deep_says_where(raw: bytes, suffix: str, where: tuple[int, int]) -> None:
    (problem,) = parse_bytes(raw, "input" + suffix, suffix).problems
    assert "nests too deeply" in problem.message
    assert (problem.line, problem.column) == where


def test_validate_never_shows_a_traceback_for_a_huge_integer(cli_runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "huge-int.json"
    path.write_bytes(b'{"kind": "submission", "x": ' + b"1" * 5000 + b"}")
    result = cli_runner.invoke(cli, ["validate", str(path)])
    _no_traceback(result)
    assert result.exit_code == 3


def _yaml_alias_bomb(levels: int) -> str:
    text = "kind: product_filing\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels + 1):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    return text


def test_yaml_source_map_does_not_expand_aliases() -> None:
    from inclusive_check.contract.locate import map_yaml

    text = _yaml_alias_bomb(3)  # 27 alias references, 9 scalars, a few collections in the text
    assert len(map_yaml(text).positions) < 200
