"""Bounded work: a small hostile file costs seconds and megabytes, never minutes or gigabytes.

Each case of the reliability issue, reproduced: absurd numbers, a million array items, a ten-million-character
name, a million duplicate target groups, files that lie about their size or never end, and `check`'s
--max-file-mib. Times are generous ceilings (the suite shares two cores), far below the minutes these cost.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hostile import complaints, duplicate_groups, long_name, many_products, sample_text
from inclusive_check.cli import cli
from inclusive_check.contract import load as load_module
from inclusive_check.contract.load import MAX_PROBLEMS, load_file, parse_bytes

CEILING_S = 20.0


def timed_parse(text: str, suffix: str = ".json") -> tuple[load_module.Loaded, float]:
    started = time.perf_counter()
    loaded = parse_bytes(text.encode(), "hostile" + suffix, suffix)
    return loaded, time.perf_counter() - started


@pytest.mark.parametrize("literal", ["1E+1000000", "1E+9999999", "-1e+9999999", "12.5E+99999999", "9" * 5000])
def test_absurd_numbers_are_refused_as_read_with_their_place(literal: str) -> None:
    loaded, seconds = timed_parse(complaints(literal))
    assert seconds < 5
    (problem,) = loaded.problems
    assert problem.pointer == "/consumer_protection/complaints"
    assert (problem.line, problem.column) == (126, 19)
    assert "far beyond every range" in problem.message
    assert len(problem.message) < 300


def test_zero_with_a_huge_exponent_is_zero_not_absurd() -> None:
    loaded, seconds = timed_parse(complaints("0E+9999999"))
    assert seconds < 5
    assert loaded.ok, loaded.problems


def test_absurd_number_in_yaml_is_refused_with_its_line() -> None:
    text = "kind: product_filing\nschema_version: '1.0'\nx: 1.0e+9999999\ny: " + "7" * 40 + "\n"
    loaded, seconds = timed_parse(text, ".yaml")
    assert seconds < 5
    assert [(p.line, "far beyond every range" in p.message) for p in loaded.problems] == [(3, True)]


def test_tiny_numbers_cost_nothing() -> None:
    text = sample_text().replace('"premium_rate": 0.0012', '"premium_rate": 1E-9999999', 1)
    assert text != sample_text()
    loaded, seconds = timed_parse(text)
    assert seconds < 5
    [problem] = loaded.problems  # never rounded to 0: refused where it is, at once
    assert problem.pointer == "/products/0/premium_rate" and "9999999 decimal places" in problem.message


def test_a_million_bad_items_give_the_first_hundred_problems_and_a_closing_line() -> None:
    loaded, seconds = timed_parse(many_products(10**6))
    assert seconds < CEILING_S
    assert len(loaded.problems) == MAX_PROBLEMS + 1
    assert [p.pointer for p in loaded.problems[:3]] == ["/products/0", "/products/1", "/products/2"]
    assert loaded.problems[99].pointer == "/products/99"
    assert all(p.line == 29 for p in loaded.problems[:MAX_PROBLEMS])
    last = loaded.problems[-1]
    assert (last.pointer, last.line) == ("", None)
    assert "validation stopped after the first 100" in last.message


def test_a_ten_million_character_name_is_echoed_as_an_excerpt() -> None:
    loaded, seconds = timed_parse(long_name(10**7))
    assert seconds < CEILING_S
    (problem,) = loaded.problems
    assert problem.pointer == "/insurer/name"
    assert problem.message.endswith("(10,000,000 characters) is too long: 10,000,000 characters, at most 500")
    assert len(problem.message) < 200


def test_a_million_duplicate_target_groups_cost_seconds() -> None:
    loaded, seconds = timed_parse(duplicate_groups(10**6))
    assert seconds < CEILING_S
    assert loaded.problems[0].pointer == "/products/0/target_groups"
    assert "repeated items" in loaded.problems[0].message
    assert len(loaded.problems[0].message) < 200
    assert all(len(p.message) < 300 for p in loaded.problems)


def test_every_message_is_short_whatever_the_value() -> None:
    text = sample_text().replace('"code": "HX-LIFE-001"', '"code": "' + "Z" * 10**6 + '"', 1)
    text = text.replace('"category": "life"', '"category": "' + "l" * 10**6 + '"', 1)
    loaded, _ = timed_parse(text)
    assert {p.pointer for p in loaded.problems} == {"/insurer/code", "/insurer/category"}
    assert all(len(p.message) < 300 for p in loaded.problems)


def test_an_unknown_overlong_key_is_cut_in_pointer_and_message() -> None:
    key = "k" * 10**6
    text = sample_text().replace('"service": {', f'"{key}": 1, "{key}": 2, "service": {{', 1)
    loaded, seconds = timed_parse(text)
    assert seconds < 10
    assert loaded.problems
    assert all(len(p.pointer) < 300 and len(p.message) < 300 for p in loaded.problems)


# --- files that lie about their size or never end --------------------------------------------------


def test_dev_zero_is_refused_unread() -> None:
    loaded = load_file(Path("/dev/zero"))
    (problem,) = loaded.problems
    assert problem.message.startswith("not a regular file but a character device")
    assert loaded.raw == b""


def test_a_fifo_is_refused_and_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "submission.json"
    os.mkfifo(fifo)
    result: list[load_module.Loaded] = []
    reader = threading.Thread(target=lambda: result.append(load_file(fifo)), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "load_file blocked on a FIFO"
    (problem,) = result[0].problems
    assert problem.message.startswith("not a regular file but a FIFO")


def test_a_file_reporting_size_0_is_read_only_up_to_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like /proc files: st_size 0, yet bytes flow. The limit holds while reading."""
    path = tmp_path / "proc-like.json"
    path.write_bytes(b" " * (3 * 2**20))
    real_stat = os.stat

    def stat_size_0(target: object, *args: object, **kwargs: object) -> os.stat_result:
        found = real_stat(target, *args, **kwargs)  # type: ignore[arg-type]
        return os.stat_result((found.st_mode, *found[1:6], 0, *found[7:]))

    monkeypatch.setattr(load_module.os, "stat", stat_size_0)
    loaded = load_file(path, max_bytes=2**20)
    (problem,) = loaded.problems
    assert "more than 1 MiB when read" in problem.message
    assert "--max-file-mib" in problem.message


def test_a_real_proc_file_is_read_and_judged() -> None:
    loaded = load_file(Path("/proc/self/status"))
    assert os.stat("/proc/self/status").st_size == 0
    assert stat.S_ISREG(os.stat("/proc/self/status").st_mode)
    assert [p.message.split(":")[0] for p in loaded.problems] == ["not valid JSON"]


@pytest.mark.parametrize("command", ["validate", "check"])
def test_special_files_exit_3_with_a_plain_message(command: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli, [command, "/dev/zero", str(fifo)])
    assert result.exit_code == 3
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = result.output
    assert "/dev/zero: (document): not a regular file but a character device" in output
    assert f"{fifo}: (document): not a regular file but a FIFO (named pipe)" in output
    assert "Traceback" not in output


def test_check_has_max_file_mib_as_its_message_says(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(sample_text() + " " * 2**20, "utf-8")
    refused = CliRunner().invoke(cli, ["check", "--max-file-mib", "1", str(path)])
    assert refused.exit_code == 3
    assert "over the 1 MiB limit; split the submission or raise --max-file-mib" in refused.output
    accepted = CliRunner().invoke(cli, ["check", "--max-file-mib", "2", "--exit-zero", str(path)])
    assert accepted.exit_code == 0, accepted.output[-2000:]
    usage = CliRunner().invoke(cli, ["check", "--max-file-mib", "0", str(path)])
    assert usage.exit_code == 2
