"""samples/README.md says what the checker finds in each sample: this test reads its statements and holds the tool
to them, so the README and the tool cannot drift apart. Generic on purpose: it derives every expectation from
the README's own sentences (a bold status after "item N", the pointers named with it, the dispensations'
statuses), so a reworded or re-ruled sample only needs its README line to say what the tool does."""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "samples" / "README.md").read_text(encoding="utf-8")
# A bold verdict and what it means in the results: (status, severity or None, blocking).
VERDICTS = {
    "fail": ("fail", None, False),
    "indeterminate": ("indeterminate", None, False),
    "warning": ("fail", "warning", False),
    "blocking fail": ("fail", None, True),
}


def _section(heading: str) -> str:
    start = README.index(heading)
    end = README.find("\n## ", start + len(heading))
    return README[start : end if end != -1 else len(README)]


def _rows(heading: str) -> list[tuple[str, str]]:
    """(file, last cell) of each row of the table under ``heading``."""
    rows = []
    for line in _section(heading).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows.append((cells[0].strip("`"), cells[-1]))
    return rows


def _claims(cell: str) -> list[tuple[int, str, list[str]]]:
    """Each statement of a cell with a bold verdict: (guidance item, verdict, pointers named with it)."""
    claims = []
    for statement in cell.split(";"):
        verdict = re.search(r"\*\*([a-z ]+)\*\*", statement)
        item = re.search(r"\bitem (\d+)\b", statement)
        if verdict is None or item is None or verdict.group(1) not in VERDICTS:
            continue
        pointers = re.findall(r"`(/[^`]*)`", statement[verdict.end() :])
        claims.append((int(item.group(1)), verdict.group(1), pointers))
    return claims


def _check(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["check", *args, "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _holds(results: dict[str, Any], item: int, verdict: str, pointers: list[str]) -> None:
    status, severity, blocking = VERDICTS[verdict]
    (sub,) = results["submissions"]
    found = [
        f
        for f in sub["findings"]
        if f["clause"] == item and f["status"] == status and (severity is None or f["severity"] == severity)
    ]
    assert found, f"no item {item} finding that is {verdict} in {sub['source']}"
    if blocking:
        assert sub["score"]["blocking"], f"{sub['source']} is not blocked"
    subjects = {f["subject"] for f in found}
    for pointer in pointers:
        assert any(s == pointer or s.startswith(pointer + "/") for s in subjects), (
            f"{sub['source']}: item {item} {verdict} at {pointer}; the tool says {sorted(subjects)}"
        )


@pytest.fixture(autouse=True)
def _no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./inclusive-check.db: no stored context by accident
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)


SUBMISSIONS = _rows("## Valid submissions")
FILINGS = _rows("## Valid product filings")


def test_the_readme_lists_every_valid_sample() -> None:
    listed = {f for f, _ in SUBMISSIONS + FILINGS}
    on_disk = {
        str(p.relative_to(ROOT / "samples"))
        for d in ("submissions", "filings")
        for p in (ROOT / "samples" / d).iterdir()
    }
    assert listed == on_disk
    assert sum(len(_claims(cell)) for _, cell in SUBMISSIONS + FILINGS) >= 5  # the statements are being read


@pytest.mark.parametrize(("name", "cell"), SUBMISSIONS, ids=[f for f, _ in SUBMISSIONS])
def test_what_the_readme_says_of_a_submission(name: str, cell: str) -> None:
    results = _check(str(ROOT / "samples" / name))
    for item, verdict, pointers in _claims(cell):
        _holds(results, item, verdict, pointers)
    if "every mandatory and principle check passes" in cell:
        (sub,) = results["submissions"]
        assert not [
            f
            for f in sub["findings"]
            if f["strength"] in ("mandatory", "principle") and f["status"] != "pass" and f["status"] != "not_applicable"
        ]


@pytest.mark.parametrize(("name", "cell"), FILINGS, ids=[f for f, _ in FILINGS])
def test_what_the_readme_says_of_a_filing(name: str, cell: str) -> None:
    results = _check(str(ROOT / "samples" / name), "--insurer", str(ROOT / "samples" / "submissions"))
    for item, verdict, pointers in _claims(cell):
        _holds(results, item, verdict, pointers)


EXACT_STATUSES = ("pass", "fail", "not_covered", "indeterminate", "not_applicable", "waived")
EXACT_NAMES = {
    "fail": "fail",
    "not covered": "not_covered",
    "indeterminate": "indeterminate",
    "not applicable": "not_applicable",
    "waived": "waived",
}


def _exact_rows() -> list[list[str]]:
    rows = []
    for line in _section("## Exactly what `check` finds").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows.append(cells)
    return rows


EXACT = _exact_rows()


def _told(cell: str) -> Counter[tuple[str, str, str, str]]:
    """(status, rule, subject, key) of every finding the cell lists, as often as it lists it."""
    told: Counter[tuple[str, str, str, str]] = Counter()
    if cell == "—":
        return told
    for part in cell.split("; "):
        name, _, items = part.partition(": ")
        status = EXACT_NAMES[name]
        for item in items.split(", "):
            m = re.fullmatch(r"([A-Z0-9-]+) `([^`]*)`(?: \((.+)\))?", item)
            assert m, f"cannot read {item!r}"
            told[(status, m[1], m[2], m[3] or "")] += 1
    return told


def test_the_exact_table_lists_every_valid_sample() -> None:
    assert {cells[0].strip("`") for cells in EXACT} == {f for f, _ in SUBMISSIONS + FILINGS}


@pytest.mark.parametrize("cells", EXACT, ids=[c[0].strip("`") for c in EXACT])
def test_exactly_what_the_readme_says_the_tool_finds(cells: list[str]) -> None:
    name = cells[0].strip("`")
    extra = ("--insurer", str(ROOT / "samples" / "submissions")) if name.startswith("filings/") else ()
    (sub,) = _check(str(ROOT / "samples" / name), *extra)["submissions"]
    counts = Counter(f["status"] for f in sub["findings"])
    assert {s: counts[s] for s in EXACT_STATUSES} == dict(zip(EXACT_STATUSES, map(int, cells[1:7]), strict=True))
    found = Counter(
        (f["status"], f["rule_id"], f["subject"], f.get("key") or "") for f in sub["findings"] if f["status"] != "pass"
    )
    assert found == _told(cells[7])


def test_the_dispensations_example_does_what_the_readme_says() -> None:
    section = _section("## Dispensations")
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    args = shlex.split(block.group(1).replace("\\\n", " "))
    assert args[:2] == ["inclusive-check", "check"]
    args = [str(ROOT / a) if a.startswith("samples/") else a for a in args[2:]]
    statuses = {d["id"]: d["status"] for d in _check(*args)["dispensations"]}
    told = dict(re.findall(r"`(D-[\w-]+)`(?:(?!`D-).)*?is \*\*(\w+)\*\*", section, re.S))
    assert told and told == {k: statuses[k] for k in told}
