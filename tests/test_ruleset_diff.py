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


def _diff(*args: str, code: int = 1) -> Any:
    """Like diff(1): exit 1 when the rulesets differ (the default here), 0 when they are equal."""
    result = CliRunner().invoke(cli, ["ruleset", "diff", *args])
    assert result.exit_code == code, result.output
    return json.loads(result.output) if "json" in args and code in (0, 1) else result.output


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
    assert _diff("packaged", "packaged", code=0).rstrip().endswith("no differences")
    assert _diff("packaged", "packaged", "--format", "json", code=0)["changes"] == []


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


def _edited(tmp_path: Path, name: str, edit: Any) -> Path:
    raw = yaml.safe_load((files("inclusive_check.rulesets") / "nfra-2024-inclusive.yaml").read_text("utf-8"))
    edit(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def test_the_market_section_is_compared_field_by_field(tmp_path: Path) -> None:
    def heavier_service(raw: Any) -> None:
        raw["market"]["index_weights"]["service"] = 2
        raw["market"]["peer_bands"]["leading_at_least"] = 80

    payload = _diff("packaged", str(_edited(tmp_path, "m.yaml", heavier_service)), "--format", "json")
    assert [(c["path"], c["kind"]) for c in payload["changes"]] == [
        ("market/index_weights", "market"),
        ("market/peer_bands", "market"),
    ]
    weights = payload["changes"][0]
    assert weights["before"]["service"] == "25" and weights["after"]["service"] == "2"
    assert weights["citation_before"] == weights["citation_after"]  # the market section's citation
    text = _diff("packaged", str(_edited(tmp_path, "m.yaml", heavier_service)))
    assert "market/index_weights (market)" in text and text.rstrip().endswith("2 difference(s)")


def test_a_section_only_one_ruleset_has_is_a_difference(tmp_path: Path) -> None:
    def no_market(raw: Any) -> None:
        del raw["market"]

    payload = _diff(str(_edited(tmp_path, "none.yaml", no_market)), "packaged", "--format", "json")
    assert [(c["path"], c["kind"], c["before"]) for c in payload["changes"]] == [("market", "market", None)]
    assert payload["changes"][0]["after"]["index_weights"]["variety"] == "25"


def test_every_scoring_field_and_the_scoring_start(tmp_path: Path) -> None:
    def later(raw: Any) -> None:
        raw["scoring"]["from"] = date(2025, 1, 1)
        raw["scoring"]["rounding"]["places"] = 1

    payload = _diff("packaged", str(_edited(tmp_path, "s.yaml", later)), "--format", "json")
    assert [c["path"] for c in payload["changes"]] == ["scoring/from", "scoring/rounding"]
