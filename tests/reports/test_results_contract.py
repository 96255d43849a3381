"""The published results contract: the shipped schemas are the models', invalid input has one shape, a stored
run renders as it was after the code's words change, and a stored ruleset that no longer loads is a warning."""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import KN_SUBMISSION, SAMPLES, load_results, store_run
from sqlalchemy import update

from inclusive_check.cli import cli
from inclusive_check.contract.outputs import schema_json
from inclusive_check.reports import html, render_results
from inclusive_check.rules import ic08_premium_rate
from inclusive_check.store import tables as t

INVALID = SAMPLES / "invalid" / "nan-rate.json"


@pytest.mark.parametrize("kind", ["results", "diff", "validation"])
def test_the_shipped_schema_is_the_models_schema(kind: str) -> None:
    shipped = (files("inclusive_check.contract") / "schemas" / f"{kind}.schema.json").read_text("utf-8")
    assert shipped == schema_json(kind), (
        f"contract/schemas/{kind}.schema.json differs from the models; regenerate it with "
        f"`inclusive-check schema {kind} > src/inclusive_check/contract/schemas/{kind}.schema.json`"
    )
    printed = CliRunner().invoke(cli, ["schema", kind])
    assert printed.exit_code == 0 and printed.output == shipped


def test_the_schema_check_of_outputs_catches_a_broken_one(
    published_schema_check: Any, sample_data: dict[str, Any]
) -> None:
    published_schema_check(sample_data)
    wrong_status = copy.deepcopy(sample_data)
    wrong_status["submissions"][0]["findings"][0]["status"] = "passed"
    unknown_field = {**sample_data, "verdict": "ok"}
    for broken in (wrong_status, unknown_field):
        with pytest.raises(AssertionError, match="breaks its schema"):
            published_schema_check(broken)
    with pytest.raises(AssertionError, match="no published schema"):
        published_schema_check({"schema": "inclusive-check/unknown/1"})


def test_check_and_validate_report_invalid_input_in_one_shape(tmp_path: Path) -> None:
    runner = CliRunner()
    validated = runner.invoke(cli, ["validate", str(INVALID), "--format", "json"])
    checked = runner.invoke(cli, ["check", str(INVALID), "--format", "json"])
    assert validated.exit_code == checked.exit_code == 3
    assert json.loads(checked.output) == json.loads(validated.output)
    payload = json.loads(checked.output)
    assert (payload["schema"], payload["valid"], payload["invalid"]) == ("inclusive-check/validation/1", 0, 1)
    assert payload["files"][0]["problems"][0]["pointer"] == "/product/premium_rate"
    bad = tmp_path / "d.yaml"
    bad.write_text("dispensations:\n  - id: D-1\n", encoding="utf-8")
    dispensed = runner.invoke(cli, ["check", str(KN_SUBMISSION), "--dispensations", str(bad), "--format", "json"])
    assert dispensed.exit_code == 3
    payload = json.loads(dispensed.output)
    assert payload["schema"] == "inclusive-check/validation/1"
    assert [(f["file"], f["valid"]) for f in payload["files"]] == [(str(bad), False)]


def test_a_stored_run_renders_as_it_was_after_a_rule_changes_its_words(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store_run(store, [KN_SUBMISSION])
    before = load_results(store, run_id)
    shown = {fmt: render_results(fmt, before, "zh", show_passes=True) for fmt in ("text", "json", "junit")}
    page = html.render(before, "both")
    monkeypatch.setattr(ic08_premium_rate, "TITLE", {"en": "Renamed", "zh": "新名称"})
    monkeypatch.setattr(
        ic08_premium_rate,
        "MESSAGES",
        {status: {"en": "reworded {subject}", "zh": "新措辞 {subject}"} for status in ic08_premium_rate.MESSAGES},
    )
    after = load_results(store, run_id)
    assert after == before
    assert {fmt: render_results(fmt, after, "zh", show_passes=True) for fmt in shown} == shown
    assert html.render(after, "both") == page
    # a run made now says it the new way; a run stored before runs kept their texts reads with the code's
    newer = load_results(store, store_run(store, [KN_SUBMISSION]))
    with store.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(texts=None))
    older = load_results(store, run_id)
    for results in (newer, older):
        rule = [f for s in results.submissions for f in s.findings if f.rule_id == ic08_premium_rate.ID]
        assert rule and all(f.title["en"] == "Renamed" and f.message["en"].startswith("reworded") for f in rule)


def test_a_stored_ruleset_that_no_longer_loads_is_a_visible_warning(store: Any) -> None:
    run_id = store_run(store, [KN_SUBMISSION])
    with store.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(ruleset_text="rules: [not, a, ruleset"))
    results = load_results(store, run_id)
    (warning,) = results.run.warnings
    assert f"the ruleset stored with run {run_id}" in warning and "can no longer be read" in warning
    assert results.run.scoring is None
    assert render_results("text", results).splitlines()[0] == f"warning: {warning}"
    assert render_results("text", results, "zh").splitlines()[0] == f"警告：{warning}"
    assert warning in html.render(results, "en")
    healthy = load_results(store, store_run(store, [KN_SUBMISSION]))
    assert healthy.run.warnings == [] and "warning:" not in render_results("text", healthy)
