"""Files over --max-file-mib are rejected from their size alone (exit 3), never read into memory."""

from __future__ import annotations

import builtins
import json
import pathlib
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contract_helpers import SAMPLES

from inclusive_check.cli import cli

MIB = 2**20
PRODUCT = (
    '{{"code": "GEN-{i:07d}", "name": "压力测试专属意外伤害保险第{i}号", "line": "accident", '
    '"dedicated_inclusive": true, "target_groups": ["rural_residents", "elderly"], "term": "short", '
    '"sale_start": "2025-01-01", "sale_end": null, "government_program": false, "channels": ["direct", "postal"], '
    '"premium_rate": 0.0012, "intermediary_fee_rate": 0.05, '
    '"comparable": {{"product_code": "GEN-STD-01", "premium_rate": 0.0018, "intermediary_fee_rate": 0.1}}, '
    '"policies_in_force": 1000, "insured_persons": 1200, "premium_cny": 120000}}'
)


def write_big_submission(path: Path, target_bytes: int) -> int:
    """Stream a valid submission with as many distinct products as it takes to pass target_bytes."""
    base = json.loads((SAMPLES / "submissions" / "hx-life-2025.json").read_text("utf-8"))
    base["products"] = "@@PRODUCTS@@"
    base.pop("regions")  # the regions of the sample's own products
    head, tail = json.dumps(base, ensure_ascii=False, indent=2).split('"@@PRODUCTS@@"')
    written = 0
    with path.open("wb") as out:
        written += out.write((head + "[\n").encode())
        i = 0
        while written < target_bytes:
            chunk = ",\n".join(PRODUCT.format(i=n) for n in range(i, i + 100))
            written += out.write((("" if i == 0 else ",\n") + chunk).encode())
            i += 100
        out.write(("\n]" + tail + "\n").encode())
    return path.stat().st_size


def size_message(path: Path, size: int, limit_mib: int) -> str:
    return (
        f"{path}: (document): the file is {size / MIB:.1f} MiB, over the {limit_mib} MiB limit; "
        "split the submission or raise --max-file-mib"
    )


@pytest.fixture(scope="module")
def five_mib(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("size") / "five-mib.json"
    return path, write_big_submission(path, 5 * MIB)


def test_70_mib_file_is_rejected_without_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "market-dump.json"
    size = write_big_submission(big, 70 * MIB)
    assert 70 * MIB <= size < 71 * MIB

    opened: list[str] = []
    real_read_bytes, real_open = pathlib.Path.read_bytes, builtins.open

    def read_bytes(self: Path) -> bytes:
        if Path(self) == big:
            opened.append("read_bytes")
        return real_read_bytes(self)

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, Path)) and Path(file) == big:
            opened.append("open")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    monkeypatch.setattr(builtins, "open", guarded_open)
    tracemalloc.start()
    try:
        result = CliRunner().invoke(cli, ["validate", str(big)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        size_message(big, size, 64),
        "1 file(s): 0 valid, 1 invalid (1 problem(s))",
    ]
    assert opened == []
    assert peak < 8 * MIB  # refused unread: neither opened nor held in memory (no timing: not a benchmark)


def test_70_mib_file_json_report(tmp_path: Path) -> None:
    big = tmp_path / "market-dump.json"
    size = write_big_submission(big, 70 * MIB)
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(big)])
    assert result.exit_code == 3
    report = json.loads(result.output)
    (entry,) = report["files"]
    assert entry["sha256"] is None
    assert entry["problems"] == [
        {
            "file": str(big),
            "pointer": "",
            "line": None,
            "column": None,
            "message": size_message(big, size, 64).split(": (document): ", 1)[1],
        }
    ]


def test_five_mib_file_follows_max_file_mib(five_mib: tuple[Path, int]) -> None:
    path, size = five_mib
    assert 5 * MIB <= size < 6 * MIB
    refused = CliRunner().invoke(cli, ["validate", "--max-file-mib", "4", str(path)])
    assert refused.exit_code == 3
    assert refused.output.splitlines()[0] == size_message(path, size, 4)

    accepted = CliRunner().invoke(cli, ["validate", "--max-file-mib", "6", str(path)])
    assert accepted.exception is None
    assert accepted.exit_code == 0, accepted.output[:2000]
    assert accepted.output.splitlines() == [f"ok       {path}", "1 file(s): 1 valid, 0 invalid"]


@pytest.mark.parametrize(("extra", "exit_code"), [(0, 0), (1, 3)], ids=["exactly-1-MiB", "1-MiB-plus-1-byte"])
def test_limit_is_inclusive_to_the_byte(tmp_path: Path, extra: int, exit_code: int) -> None:
    text = (SAMPLES / "filings" / "hx-life-rural-accident.json").read_bytes()
    path = tmp_path / "padded.json"
    path.write_bytes(text + b" " * (MIB - len(text) + extra))  # trailing whitespace is valid JSON
    assert path.stat().st_size == MIB + extra
    result = CliRunner().invoke(cli, ["validate", "--max-file-mib", "1", str(path)])
    assert result.exit_code == exit_code
    if exit_code:
        assert result.output.splitlines()[0] == size_message(path, MIB + extra, 1)
    else:
        assert result.output.splitlines()[0] == f"ok       {path}"


@pytest.mark.parametrize("value", ["0", "4097", "lots"])
def test_max_file_mib_outside_its_range_is_a_usage_error(value: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--max-file-mib", value, str(SAMPLES / "filings")])
    assert result.exit_code == 2
    assert "--max-file-mib" in result.output
