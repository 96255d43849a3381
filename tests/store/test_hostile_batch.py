"""One bad file never stops a batch: every good file is stored, every bad one quarantined, on both backends.

The batch of the reliability issue: a good file, one file of each hostile kind (tests/hostile.py, plus a FIFO,
/dev/zero and a /proc file) and another good file. Documents valid at the contract's edges (an agreement to
9999-12-31, numbers with more digits than the contract keeps, a path over 1,000 characters, a file name that
is not UTF-8) are stored like any other; the rest are quarantined with located reasons.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hostile import GOOD, nul_in_name, variant, write_hostile
from inclusive_check.cli import cli
from inclusive_check.ruleset_models import DatedValue, Parameter
from inclusive_check.store import tables as t
from inclusive_check.store.facts import whole_months
from inclusive_check.store.ingest import SOURCE_CHARS, fit_source


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    files = write_hostile(folder)
    fifo = folder / "pipe.json"
    os.mkfifo(fifo)
    return {**files, "fifo": fifo, "dev-zero": Path("/dev/zero"), "proc-size-0": Path("/proc/self/status")}


def _ingest(db_url: str, *paths: Path) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(cli, ["--db", db_url, "ingest", "--format", "json", *map(os.fsdecode, paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output), result.output


def test_a_batch_with_every_hostile_kind_stores_every_good_file(
    store: Any, db_url: str, hostile: dict[str, Path]
) -> None:
    batch = [GOOD[0], *hostile.values(), GOOD[1]]
    started = time.perf_counter()
    code, report, output = _ingest(db_url, *batch)
    seconds = time.perf_counter() - started
    assert code == 3
    assert "Traceback" not in output
    outcomes = {f["source"]: f["outcome"] for f in report["files"]}
    assert len(outcomes) == len(batch)
    shown = {os.fsdecode(p): p for p in batch}
    by_kind = {kind: outcomes[_shown(path)] for kind, path in hostile.items()}
    assert outcomes[str(GOOD[0])] == outcomes[str(GOOD[1])] == "stored"
    assert {k for k, v in by_kind.items() if v == "stored"} == {k for k in hostile if k.endswith("-valid")}
    assert {k for k, v in by_kind.items() if v == "quarantined"} == {k for k in hostile if not k.endswith("-valid")}
    assert seconds < 240, seconds  # measured by hand at well under a minute; minutes and gigabytes before
    assert shown  # every path was given as the OS spells it

    with store.connect() as conn:
        sources = {r.source for r in conn.execute(select(t.submissions.c.source))}
        quarantined = {r.source: json.loads(r.problems) for r in conn.execute(select(t.quarantine))}
        months = conn.execute(
            select(t.intermediaries.c.agreement_months).where(t.intermediaries.c.agreement_end == date(9999, 12, 31))
        ).scalar_one()
        rates = sorted(
            r.premium_rate
            for r in conn.execute(select(t.products.c.premium_rate).where(t.products.c.pointer == "/products/0"))
        )
    assert len(sources) == 2 + sum(k.endswith("-valid") for k in hostile)
    assert all(len(s) <= SOURCE_CHARS for s in sources)
    assert fit_source(str(hostile["long-path-valid"])) in sources
    shown_name = Path(_shown(hostile["non-utf8-name-valid"])).name
    assert shown_name.startswith("gbk-\\xc6") and shown_name in {Path(s).name for s in sources}
    assert months == whole_months(date(2023, 1, 1), date(9999, 12, 31))
    assert Decimal("0.0500000000000000001") in rates  # exactly as written
    for kind in ("exponent-1e1000000", "exponent-1e9999999", "name-1e7", "nul-in-name"):
        (problem,) = quarantined[str(hostile[kind])]
        assert problem["line"] is not None and problem["pointer"], (kind, problem)
    assert len(quarantined[str(hostile["products-1e6"])]) == 101
    assert quarantined["/dev/zero"][0]["message"].startswith("not a regular file")
    assert quarantined[str(hostile["fifo"])][0]["message"].startswith("not a regular file but a FIFO")


def _shown(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def test_agreement_to_9999_12_31_is_checked_and_run(store: Any, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "forever.json"
    path.write_text(variant("2024", agreement_end="9999-12-31"), "utf-8")
    code, report, _ = _ingest(db_url, path)
    assert code == 0 and report["counts"]["stored"] == 1
    run = CliRunner().invoke(cli, ["--db", db_url, "run", "--format", "json", "--exit-zero"])
    assert run.exit_code == 0, run.output
    check = CliRunner().invoke(cli, ["check", "--format", "json", "--exit-zero", str(path)])
    assert check.exit_code == 0, check.output


def test_nul_in_text_is_refused_alike_on_both_backends(store: Any, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "nul.json"
    path.write_text(nul_in_name(), "utf-8")
    code, report, _ = _ingest(db_url, path, GOOD[0])
    assert code == 3
    assert [f["outcome"] for f in report["files"]] == ["quarantined", "stored"]
    (problem,) = report["files"][0]["problems"]
    assert problem.startswith(f"{path}:7:13: /insurer/name: text must not contain the NUL character")


def test_a_non_utf8_file_name_is_shown_and_stored_safely(store: Any, db_url: str, tmp_path: Path) -> None:
    raw = os.path.join(os.fsencode(tmp_path), b"\xff\xfe-bad.json")
    with open(raw, "wb") as f:
        f.write(b"{")
    good = os.path.join(os.fsencode(tmp_path), b"\xcf\xc3-good.json")
    with open(good, "wb") as f:
        f.write(GOOD[0].read_bytes())
    result = CliRunner().invoke(cli, ["--db", db_url, "ingest", os.fsdecode(raw), os.fsdecode(good)])
    assert result.exit_code == 3, result.output
    assert "\\xff\\xfe-bad.json" in result.output
    assert "1 stored" in result.output and "1 quarantined" in result.output
    listed = CliRunner().invoke(cli, ["--db", db_url, "submissions", "--quarantined"])
    assert listed.exit_code == 0 and "\\xff\\xfe-bad.json" in listed.output
    checked = CliRunner().invoke(cli, ["check", os.fsdecode(raw)])
    assert checked.exit_code == 3 and "\\xff\\xfe-bad.json" in checked.output


def test_whole_months_is_total_over_the_contract_dates() -> None:
    assert whole_months(date(2025, 1, 1), date(2025, 12, 31)) == 12
    assert whole_months(date(2025, 1, 15), date(2025, 2, 13)) == 0
    assert whole_months(date(2025, 1, 15), date(2025, 2, 14)) == 1
    assert whole_months(date(1, 1, 1), date(9999, 12, 31)) == 9999 * 12
    assert whole_months(date(9999, 12, 1), date(9999, 12, 31)) == 1


def test_a_ruleset_value_until_9999_12_31_has_no_day_after() -> None:
    parameter = Parameter(citation="x", values=[DatedValue(**{"from": date(2024, 5, 29), "until": date(9999, 12, 31)})])
    assert list(parameter.boundaries()) == [date(2024, 5, 29)]


def test_fit_source_keeps_start_and_end() -> None:
    long = "/" + "a" * 600 + "/" + "b" * 600 + "/name.json"
    fitted = fit_source(long)
    assert len(fitted) == SOURCE_CHARS
    assert fitted.startswith("/aaa") and fitted.endswith("b/name.json") and "…" in fitted
    assert fit_source("/short.json") == "/short.json"
