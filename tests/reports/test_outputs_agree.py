"""Outputs that agree with each other: a format's content does not depend on where it goes or what else is
printed, SARIF rule levels agree with their results, and CI formats name files from the repository root."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from report_helpers import AS_OF, KN_FILING, KN_SUBMISSION, SUBMISSIONS

from inclusive_check.cli import cli

FROZEN = datetime(2026, 1, 15, 9, 30)
STDOUT_FORMATS = ("text", "json", "junit", "sarif", "github")


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs started and finished at one instant, so that two runs of the same input print the same bytes."""
    monkeypatch.setattr("inclusive_check.engine._now", lambda: FROZEN)


def _run_id_blanked(text: str) -> str:
    """The results JSON with the run's own id (the first field of ``run``) set to 0: each `run` makes a new one."""
    blanked, count = re.subn(r'^(  "run": \{\n    "id": )\d+', r"\g<1>0", text, count=1, flags=re.MULTILINE)
    assert count == 1
    return blanked


def test_check_json_output_is_the_same_whatever_stdout_shows(tmp_path: Path, frozen_clock: None) -> None:
    runner = CliRunner()
    files = {}
    for fmt in STDOUT_FORMATS:
        target = tmp_path / f"{fmt}.json"
        args = ["check", "--as-of", AS_OF.isoformat(), "--format", fmt, "--output", f"json={target}"]
        result = runner.invoke(cli, [*args, "--insurer", str(KN_SUBMISSION), str(KN_FILING)])
        assert result.exit_code == 1, result.output
        files[fmt] = target.read_bytes()
        if fmt == "json":
            assert result.stdout_bytes == files[fmt]  # stdout and the file: one rendering
    assert len(set(files.values())) == 1, "--output json differs with --format"
    assert any(f["status"] == "pass" for f in json.loads(files["text"])["submissions"][0]["findings"])


def test_run_json_output_is_the_same_whatever_stdout_shows(db_url: str, tmp_path: Path, frozen_clock: None) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "ingest", *map(str, SUBMISSIONS)]).exit_code == 0
    files = {}
    for fmt in STDOUT_FORMATS:
        target = tmp_path / f"{fmt}.json"
        # --full: each run judges every document (an incremental one would say it judged none)
        args = ["--db", db_url, "run", "--full", "--as-of", AS_OF.isoformat(), "--exit-zero", "--format", fmt]
        result = runner.invoke(cli, [*args, "--output", f"json={target}"])
        assert result.exit_code == 0, result.output
        files[fmt] = target.read_text(encoding="utf-8")
        if fmt == "json":
            assert result.stdout_bytes == target.read_bytes()
    # five runs, five ids; everything else is the same bytes, passes included even when stdout shows text
    assert len({json.loads(text)["run"]["id"] for text in files.values()}) == len(STDOUT_FORMATS)
    assert len({_run_id_blanked(text) for text in files.values()}) == 1
    data = json.loads(files["text"])
    assert data["summary"]["listed"] == "all"
    assert any(f["status"] == "pass" for sub in data["submissions"] for f in sub["findings"])


# --- SARIF: rule levels and locations -----------------------------------------------------------------------


def test_sarif_rule_default_level_is_the_level_of_its_failures(sample_results: Any) -> None:
    from inclusive_check.reports import sarif

    run = sarif.sarif_log(sample_results)["runs"][0]
    descriptors = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    failing: dict[str, set[str]] = {}
    for result in run["results"]:
        assert result["level"]  # every result states its level (SARIF 2.1.0 §3.27.10)
        if result["kind"] == "fail":
            failing.setdefault(result["ruleId"], set()).add(result["level"])
        else:
            assert result["level"] == "none"  # §3.27.9: a kind other than fail has level none
    assert {"error", "warning", "note"} <= set().union(*failing.values())  # the samples have each level
    for rule_id, descriptor in descriptors.items():
        if rule_id in failing:
            assert {descriptor["defaultConfiguration"]["level"]} == failing[rule_id], rule_id
        else:
            assert "defaultConfiguration" not in descriptor, rule_id


def _git_repository(root: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)


def _sarif_schema_errors(log: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def test_ci_formats_name_files_from_the_repository_root_when_run_in_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_schema: dict[str, Any]
) -> None:
    repo = tmp_path / "filings-repo"
    (repo / "products" / "health").mkdir(parents=True)
    (repo / "insurers").mkdir()
    _git_repository(repo)
    shutil.copy(KN_FILING, repo / "products" / "health" / "kn.json")
    shutil.copy(KN_SUBMISSION, repo / "insurers" / "kn.json")
    monkeypatch.chdir(repo / "products")
    out = tmp_path / "out"
    args = ["check", "--as-of", AS_OF.isoformat(), "--insurer", "../insurers", "health/kn.json"]
    outputs = ["--output", f"junit={out / 'j.xml'}", "--output", f"github={out / 'g.txt'}"]
    result = CliRunner().invoke(cli, [*args, *outputs, "--format", "sarif"])
    assert result.exit_code == 1, result.output
    log = json.loads(result.stdout)
    assert _sarif_schema_errors(log, sarif_schema) == []
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.resolve().as_uri() + "/"
    (artifact,) = run["artifacts"]
    assert artifact["location"] == {"uri": "products/health/kn.json", "uriBaseId": "SRCROOT"}
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert (location["uri"], location["uriBaseId"]) == ("products/health/kn.json", "SRCROOT")
    junit = ET.parse(out / "j.xml").getroot()
    assert {e.get("file") for e in junit.iter() if e.tag in ("testsuite", "testcase")} == {"products/health/kn.json"}
    assert (out / "g.txt").read_text(encoding="utf-8").startswith("::error file=products/health/kn.json,")

    # --base-dir names them from another folder instead
    result = CliRunner().invoke(cli, [*args, "--format", "sarif", "--base-dir", str(repo / "products")])
    run = json.loads(result.stdout)["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == (repo / "products").resolve().as_uri() + "/"
    assert run["artifacts"][0]["location"]["uri"] == "health/kn.json"


def test_sarif_names_files_outside_the_root_by_absolute_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_schema: dict[str, Any]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git_repository(repo)
    monkeypatch.chdir(repo)
    args = ["check", "--as-of", AS_OF.isoformat(), "--format", "sarif", "--insurer", str(KN_SUBMISSION)]
    result = CliRunner().invoke(cli, [*args, str(KN_FILING)])
    log = json.loads(result.stdout)
    assert _sarif_schema_errors(log, sarif_schema) == []
    assert log["runs"][0]["artifacts"][0]["location"] == {"uri": KN_FILING.resolve().as_uri()}
