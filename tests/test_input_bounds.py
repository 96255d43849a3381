"""Issue 25: every input file opened one way (regular files only, a limit before reading) and every value from
outside within its documented range: a plain message and exit 2 (an option) or 3 (a value inside a file), never
a hang, a 17 GiB read or exit 70."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.inputs import KINDS, InputFileError, read_input

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
RULESET = ROOT / "rulesets" / "nfra-2024-inclusive.yaml"
LETTERS = SAMPLES / "dispensations" / "2025-supervisor-letters.yaml"
HUGE = "99999999999999999999"  # past 64 bits


def _invoke(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code != 70 and "internal error" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)  # nobody writes to it: opening it for reading the ordinary way would block for ever
    return path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_refuses_a_fifo_a_device_and_a_folder_with_its_path(kind: str, fifo: Path, tmp_path: Path) -> None:
    for path, what in ((fifo, "a FIFO"), (Path("/dev/zero"), "a character device"), (tmp_path, "a folder")):
        with pytest.raises(InputFileError) as caught:
            read_input(path, kind)
        assert str(caught.value).startswith(f"{path}: not a regular file but {what}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_limit_checked_before_reading(kind: str, tmp_path: Path) -> None:
    big = tmp_path / "big"
    with big.open("wb") as handle:  # sparse: its listed size is over the limit, nothing is written
        handle.truncate(KINDS[kind].max_bytes + 1)
    with pytest.raises(InputFileError, match=r"over the .* limit"):
        read_input(big, kind)
    exact = tmp_path / "exact"
    exact.write_bytes(b"x" * 1000)
    assert read_input(exact, kind, max_bytes=1000) == b"x" * 1000
    with pytest.raises(InputFileError, match="over the 999 bytes limit"):
        read_input(exact, kind, max_bytes=999)


@pytest.mark.parametrize(
    "args",
    [
        ["check", str(SAMPLES / "submissions"), "--ruleset", "{bad}"],
        ["check", str(SAMPLES / "submissions"), "--dispensations", "{bad}"],
        ["rules", "list", "--ruleset", "{bad}"],
        ["ruleset", "diff", "packaged", "{bad}"],
    ],
    ids=["check-ruleset", "check-dispensations", "rules-list", "ruleset-diff"],
)
@pytest.mark.parametrize("bad", ["fifo", "/dev/zero"])
def test_a_fifo_or_device_as_a_ruleset_or_dispensation_file_is_refused_at_once(
    args: list[str], bad: str, fifo: Path
) -> None:
    path = str(fifo) if bad == "fifo" else bad
    result = _invoke(*[a.replace("{bad}", path) for a in args])
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert f"{path}" in result.output and "not a regular file" in result.output  # type: ignore[attr-defined]


def test_dispensations_import_refuses_a_fifo(fifo: Path, tmp_path: Path) -> None:
    result = _invoke("--db", f"sqlite:///{tmp_path / 'x.db'}", "dispensations", "import", str(fifo))
    assert result.exit_code == 3 and "not a regular file but a FIFO" in result.output  # type: ignore[attr-defined]


@pytest.fixture
def stored(db_url: str) -> str:
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "ingest", str(SAMPLES / "submissions")]).exit_code == 0
    assert runner.invoke(cli, ["--db", db_url, "run", "--exit-zero"]).exit_code == 0
    return db_url


@pytest.mark.parametrize(
    "args",
    [
        ["findings", "--run", HUGE],
        ["report", "--run", HUGE, "-o", "{tmp}/r.html"],
        ["diff", "1", HUGE],
        ["run", "--reproduce", HUGE],
        ["whatif", "--run", HUGE, "--set", "IC12-FEE-RATE.in_force=2025-01-01"],
        ["ruleset", "diff", f"run:{HUGE}", "packaged"],
        ["findings", "--run", "0"],
        ["findings", "--run", "-1"],
        ["findings", "--run", str(2**31)],
    ],
    ids=["findings", "report", "diff", "reproduce", "whatif", "ruleset-diff", "zero", "negative", "past-int4"],
)
def test_a_run_id_out_of_range_is_a_usage_error_on_both_backends(stored: str, args: list[str], tmp_path: Path) -> None:
    result = _invoke("--db", stored, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "2147483647" in result.output  # type: ignore[attr-defined]


def test_the_largest_run_id_in_range_is_looked_up_not_crashed_on(stored: str) -> None:
    result = _invoke("--db", stored, "findings", "--run", str(2**31 - 1))
    assert result.exit_code == 2 and "2147483647" in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args",
    [
        ["whatif", "--set", "IC12-FEE-RATE.in_force=0001-01-01"],
        ["whatif", "--set", "IC10-KPI-WEIGHT.min_weight=0.1", "--from", "0001-01-01"],
        ["run", "--as-of", "0001-01-01", "--exit-zero"],
        ["run", "--as-of", "9999-12-31", "--exit-zero"],
    ],
    ids=["set-in-force", "from", "as-of-year-1", "as-of-9999"],
)
def test_a_date_outside_the_era_is_a_usage_error(stored: str, args: list[str]) -> None:
    result = _invoke("--db", stored, *args)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "outside 1900-01-01..2199-12-31" in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("{from: 2021-03-01, value: 50}", "{from: 2021-03-01, value: 1e999999}", "less than or equal to 1000"),
        ("{from: 2021-03-01, value: 50}", "{from: 2021-03-01, value: 5000}", "less than or equal to 1000"),
        ("{from: 2021-03-01, value: 50}", "{from: 0001-01-01, value: 50}", "outside 1900-01-01..2199-12-31"),
        ("{from: 2024-05-29, value: 500000000000}", "{from: 2024-05-29, value: 1e16}", "beyond ±10^15"),
    ],
    ids=["threshold-1e999999", "ratio-over-1000pct", "year-1", "amount-1e16"],
)
def test_a_ruleset_value_out_of_its_domain_is_located_and_refused(
    old: str, new: str, said: str, tmp_path: Path
) -> None:
    text = RULESET.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "r.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = _invoke("check", str(SAMPLES / "submissions"), "--ruleset", str(bad))
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert f"{bad}:" in result.output and said in result.output  # type: ignore[attr-defined]


def test_the_packaged_ruleset_is_within_every_bound() -> None:
    assert _invoke("rules", "list").exit_code == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("expires", "0001-01-01", "outside 1900-01-01..2199-12-31"),
        ("subject", "/products/~1~0~2/../0", "'~' must be followed by 0"),
        ("subject", "/products/../0", "not a step of a JSON Pointer"),
    ],
)
def test_a_dispensation_out_of_range_is_not_stored(
    db_url: str, field: str, value: str, said: str, tmp_path: Path
) -> None:
    import yaml

    data = yaml.safe_load(LETTERS.read_text(encoding="utf-8"))
    data["dispensations"][0][field] = value
    bad = tmp_path / "letters.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = _invoke("--db", db_url, "dispensations", "import", str(bad))
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert f"/dispensations/0/{field}" in result.output and said in result.output  # type: ignore[attr-defined]
    listed = _invoke("--db", db_url, "dispensations", "list")
    assert data["dispensations"][0]["id"] not in listed.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("session_hours = 1e308", "session_hours must be a number from 0.05 to 720"),
        ("session_hours = 0", "session_hours must be a number from 0.05 to 720"),
        ("max_upload_mib = 1e308", "max_upload_mib must be a number from 0.01 to 4096"),
        ("login_window_minutes = 99999999999", "login_window_minutes must be a whole number"),
        ("token_days = 5000", "token_days must be a whole number from 1 to 3650"),
        ("token_days = 30\ntoken_max_days = 10", "token_days (30) is over token_max_days (10)"),
        ("[windows.2025]\nopens = 0001-01-01\ndue = 2026-04-30", "windows: due dates are no longer configured here"),
    ],
)
def test_a_portal_configuration_value_out_of_range_stops_serve_before_it_starts(
    line: str, said: str, tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    config = tmp_path / "portal.toml"
    config.write_text(line + "\n", encoding="utf-8")
    result = _invoke("--db", f"sqlite:///{tmp_path / 'p.db'}", "serve", "--config", str(config))
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert said in result.output  # type: ignore[attr-defined]


def test_serve_refuses_a_fifo_as_its_configuration(fifo: Path, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    result = _invoke("--db", f"sqlite:///{tmp_path / 'p.db'}", "serve", "--config", str(fifo))
    assert result.exit_code == 3 and "not a regular file but a FIFO" in result.output  # type: ignore[attr-defined]


def test_a_folder_given_to_ingest_names_what_it_skipped_and_why(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_bytes((SAMPLES / "submissions" / "al-prop-2025.json").read_bytes())
    os.mkfifo(folder / "pipe.json")
    (folder / "null.yaml").symlink_to("/dev/null")
    result = _invoke("--db", db_url, "ingest", str(folder))
    output = result.output  # type: ignore[attr-defined]
    assert f"{folder / 'pipe.json'}" in output and "not a regular file but a FIFO" in output
    assert f"{folder / 'null.yaml'}" in output and "not a regular file but a character device" in output
    assert result.exit_code == 3  # type: ignore[attr-defined]
