"""`--expiry-warning-days` on `check` and `run`: dispensations expiring within N days of --as-of are marked.

Expiry is inclusive: a dispensation expiring exactly N days after the as-of date is expiring soon, one
expiring N + 1 days after is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import AS_OF, KN_FILING, KN_SUBMISSION, SUBMISSIONS, kn_dispensations, load_results, store_run

from inclusive_check.cli import cli


def _soon(payload: dict[str, Any]) -> list[str]:
    return [d["id"] for d in payload["dispensations"] if d["expiring_soon"]]


@pytest.fixture
def dispensation_file(tmp_path: Path) -> Path:
    path = tmp_path / "dispensations.yaml"
    path.write_text(kn_dispensations(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("window", "soon"), [(None, ["D-EDGE"]), (90, ["D-EDGE"]), (91, ["D-EDGE", "D-PAST-EDGE"]), (89, [])]
)
def test_check_marks_dispensations_within_the_window(
    dispensation_file: Path, window: int | None, soon: list[str]
) -> None:
    args = [
        "check",
        str(KN_SUBMISSION),
        str(KN_FILING),
        "--dispensations",
        str(dispensation_file),
        "--as-of",
        AS_OF.isoformat(),
        "--exit-zero",
    ]
    if window is not None:
        args += ["--expiry-warning-days", str(window)]
    as_json = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert _soon(payload) == soon
    assert [(d["id"], d["status"], d["expires_in_days"]) for d in payload["dispensations"]] == [
        ("D-EDGE", "applied", 90),
        ("D-PAST-EDGE", "applied", 91),
        ("D-UNUSED", "unused", 120),
        ("D-LAPSED", "expired", -1),
    ]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    marked = [
        line.split()[1]
        for line in text.output.splitlines()
        if line.startswith("dispensation ") and "; expires in " in line
    ]
    assert marked == soon


def test_run_marks_dispensations_within_the_window(store: Any, dispensation_file: Path) -> None:
    store_run(store, [*SUBMISSIONS, KN_FILING])
    url = store.url.render_as_string(hide_password=False)
    base = [
        "--db",
        url,
        "run",
        "--dispensations",
        str(dispensation_file),
        "--as-of",
        AS_OF.isoformat(),
        "--exit-zero",
        "--format",
        "json",
    ]
    runner = CliRunner()
    default = runner.invoke(cli, base)
    wider = runner.invoke(cli, [*base, "--expiry-warning-days", "91"])
    assert default.exit_code == wider.exit_code == 0, default.output + wider.output
    assert _soon(json.loads(default.output)) == ["D-EDGE"]
    assert _soon(json.loads(wider.output)) == ["D-EDGE", "D-PAST-EDGE"]
    refused = runner.invoke(cli, [*base, "--expiry-warning-days", "-1"])
    assert refused.exit_code == 2 and "--expiry-warning-days" in refused.output


def test_results_for_one_insurer_list_only_its_dispensations(store: Any) -> None:
    run_id = store_run(store, [*SUBMISSIONS, KN_FILING], dispensations=kn_dispensations())
    assert len(load_results(store, run_id).dispensations) == 4
    assert len(load_results(store, run_id, insurer="KN-HLTH-006").dispensations) == 4
    assert load_results(store, run_id, insurer="AL-PROP-017").dispensations == []
