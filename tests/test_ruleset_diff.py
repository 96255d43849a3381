"""`ruleset diff A B`: what B states differently from A, each with its dated values and citations."""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.engine import Selection, execute_run
from inclusive_check.ruleset import load_ruleset
from inclusive_check.store.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[1]
KPI = "IC10-KPI-WEIGHT"


def _next_version(tmp_path: Path) -> Path:
    raw = yaml.safe_load((files("inclusive_check.rulesets") / "nfra-2024-inclusive.yaml").read_text("utf-8"))
    raw["version"] = "2025.1.0"
    weight = raw["rules"][KPI]["params"]["min_weight"]
    weight["values"] = [
        {"from": date(2024, 5, 29), "until": date(2025, 12, 31), "value": 0.05},
        {"from": date(2026, 1, 1), "value": 0.06},
    ]
    weight["citation"] = "Draft guidance 2025, item 10: not lower than 6%"
    raw["rules"]["IC07-KEY-AREAS"]["strength"]["values"] = [{"from": date(2024, 5, 29), "value": "principle"}]
    raw["rules"]["IC11-ONLINE-SERVICE"]["in_force"]["values"] = [{"from": date(2025, 1, 1)}]
    raw["severity"]["values"][0]["value"]["fail"]["encouraged"] = "warning"
    raw["scoring"]["strength_weights"]["flag"] = 1
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def _diff(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["ruleset", "diff", *args])
    assert result.exit_code == code, result.output
    return json.loads(result.output) if "json" in args and code == 0 else result.output


def test_each_difference_with_its_dated_values_and_citations(tmp_path: Path) -> None:
    payload = _diff("packaged", str(_next_version(tmp_path)), "--format", "json")
    assert payload["before"]["version"] == "2024.1.0" and payload["after"]["version"] == "2025.1.0"
    assert [(c["path"], c["kind"]) for c in payload["changes"]] == [
        ("version", "ruleset"),
        ("severity", "severity_table"),
        (f"rules/{KPI}/params/min_weight", "parameter"),  # rules in the registry's order
        ("rules/IC11-ONLINE-SERVICE/in_force", "in_force"),
        ("rules/IC07-KEY-AREAS/strength", "strength"),
        ("scoring/strength_weights", "scoring"),
    ]
    weight = payload["changes"][2]
    assert weight["before"] == [{"from": "2024-05-29", "value": 0.05}]
    assert weight["after"] == [
        {"from": "2024-05-29", "until": "2025-12-31", "value": 0.05},
        {"from": "2026-01-01", "value": 0.06},
    ]
    assert weight["citation_before"] == "Guidance item 10 （十） — assessment weight not lower than 5%"
    assert weight["citation_after"] == "Draft guidance 2025, item 10: not lower than 6%"
    assert payload["changes"][5]["before"]["flag"] == "0" and payload["changes"][5]["after"]["flag"] == "1"


def test_text_view(tmp_path: Path) -> None:
    text = _diff("packaged", str(_next_version(tmp_path)))
    assert f"   rules/{KPI}/params/min_weight (parameter)\n      before: 0.05 from 2024-05-29\n" in text
    assert "      after:  0.05 from 2024-05-29 until 2025-12-31; 0.06 from 2026-01-01\n" in text
    assert "      citation: Draft guidance 2025, item 10: not lower than 6%" in text
    assert text.rstrip().endswith("6 difference(s)")
    assert _diff("packaged", "packaged").rstrip().endswith("no differences")


def test_a_stored_runs_ruleset_and_bad_names(store: Any, tmp_path: Path) -> None:
    assert not ingest_paths(store, [ROOT / "samples" / "submissions" / "hx-life-2025.json"], 2**26).quarantined
    run_id = execute_run(store, load_ruleset(None), Selection(), date(2026, 1, 15))
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "ruleset", "diff", f"run:{run_id}", "packaged"])
    assert result.exit_code == 0 and result.output.rstrip().endswith("no differences"), result.output
    result = CliRunner().invoke(cli, ["--db", url, "ruleset", "diff", "run:x", "packaged"])
    assert result.exit_code == 2 and "expected run:ID" in result.output
    result = CliRunner().invoke(cli, ["--db", url, "ruleset", "diff", "run:42", "packaged"])
    assert result.exit_code == 2 and "no stored run 42" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [", "utf-8")
    result = CliRunner().invoke(cli, ["ruleset", "diff", "packaged", str(broken)])
    assert result.exit_code == 3 and "not valid YAML" in result.output
