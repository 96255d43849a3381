"""Rulesets are data and are validated like documents: every problem with its path (and line) in the ruleset.

Each hostile ruleset is the shipped one with one change. A ruleset that drops a mandatory duty loads only
with --allow-partial-ruleset, and then every output of the run says so. The published schema (`schema
ruleset`) is checked with an independent validator, check-jsonschema.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from inclusive_check import rules as registry
from inclusive_check.cli import cli
from inclusive_check.rules import ALL_RULES
from inclusive_check.ruleset import (
    RulesetError,
    guidance_mandatory,
    load_ruleset,
    load_ruleset_text,
    load_stored_ruleset,
)
from inclusive_check.ruleset_schema import ruleset_schema

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "nfra-2024-inclusive.yaml"
TEXT = RULESET.read_text("utf-8")
SAMPLE = ROOT / "samples" / "submissions" / "kn-health-2025.json"
GATE_CORE = "        values: [{from: 2021-03-01, value: 50}]\n"


def replaced(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def edited(change: Any) -> str:
    data = yaml.safe_load(TEXT)
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def problems(text: str, **kwargs: Any) -> list[str]:
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text, "bad.yaml", **kwargs)
    return caught.value.problems


def test_the_shipped_ruleset_loads_complete() -> None:
    assert load_ruleset().omissions == ()
    assert load_ruleset().partial_warning is None


def test_a_duplicate_key_is_refused_with_its_path_and_both_lines() -> None:
    # the second `values:` would have won silently: the solvency threshold became 0
    text = replaced(GATE_CORE, GATE_CORE + "        values: [{from: 2021-03-01, value: 0}]\n")
    [problem] = problems(text)
    line = TEXT[: TEXT.index(GATE_CORE)].count("\n") + 1
    assert problem.startswith(f"bad.yaml:{line + 1}: rules/IC19-SOLVENCY-GATE/params/min_core_ratio_pct/values: ")
    assert f"duplicate key 'values' (first at line {line})" in problem


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("value: 50}", "value: -50}", "rules/IC19-SOLVENCY-GATE/params/min_core_ratio_pct/values/0/value"),
        ("value: 100}", "value: -1}", "rules/IC19-SOLVENCY-GATE/params/min_comprehensive_ratio_pct/values/0/value"),
        ("value: 0.05}", "value: -0.05}", "rules/IC10-KPI-WEIGHT/params/min_weight/values/0/value"),
        ("value: 12}", "value: -12}", "rules/IC10-REGULAR-REVIEWS/params/lookback_months/values/0/value"),
    ],
)
def test_a_negative_threshold_is_refused(old: str, new: str, path: str) -> None:
    [problem] = problems(replaced(old, new))
    assert f": {path}: Input should be greater than or equal to" in problem


def test_strength_weights_must_be_positive_flag_may_be_zero() -> None:
    line = "strength_weights: {mandatory: 3, principle: 2, encouraged: 1, flag: 0}"
    found = problems(replaced(line, "strength_weights: {mandatory: 0, principle: -2, encouraged: 1, flag: -1}"))
    assert [p.split(": ", 2)[1:] for p in found] == [
        ["scoring/strength_weights/mandatory", "must be greater than 0, not 0"],
        ["scoring/strength_weights/principle", "must be greater than 0, not -2"],
        ["scoring/strength_weights/flag", "must be 0 or more, not -1"],
    ]
    [missing] = problems(replaced(line, "strength_weights: {mandatory: 3, principle: 2, flag: 0}"))
    assert "scoring/strength_weights/encouraged: Field required" in missing
    load_ruleset_text(replaced(line, "strength_weights: {mandatory: 3, principle: 2, encouraged: 0.5, flag: 0}"), "ok")


def test_an_empty_rules_mapping_is_refused() -> None:
    [problem] = problems(edited(lambda d: d.update(rules={})))
    assert ": rules: Dictionary should have at least 1 item" in problem


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "value: 1}]",
            "value: true}]",
            "rules/IC10-REGULAR-REVIEWS/params/min_board_reviews/values/0/value",
            "valid integer",
        ),
        (
            "value: 12}",
            "value: 12.0}",
            "rules/IC10-REGULAR-REVIEWS/params/lookback_months/values/0/value",
            "valid integer",
        ),
        ("value: 50}", "value: true}", "rules/IC19-SOLVENCY-GATE/params/min_core_ratio_pct/values/0/value", "Decimal"),
        (
            "value: 0}]",
            "value: false}]",
            "rules/IC19-MASS-INCIDENTS/params/max_mass_incidents/values/0/value",
            "valid integer",
        ),
        (
            "value: true}]",
            "value: 1}]",
            "rules/IC19-SOLVENCY-GATE/params/irr_condition/values/0/value",
            "valid boolean",
        ),
        ("lines_for_full: 5", "lines_for_full: true", "scoring/indicators/variety/lines_for_full", "valid integer"),
        (
            "online_claims_points: 100",
            "online_claims_points: yes",
            "scoring/indicators/service/online_claims_points",
            "Decimal",
        ),
        ('version: "2024.1.0"', "version: 2024.1", "version", "valid string"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_strictly(old: str, new: str, path: str, message: str) -> None:
    [problem] = problems(replaced(old, new))
    assert f": {path}: " in problem and message in problem


def test_overlapping_date_ranges_are_refused() -> None:
    old = "values: [{from: 2024-05-29, value: 0.05}]"
    overlapping = "values: [{from: 2024-05-29, until: 2025-06-30, value: 0.05}, {from: 2025-01-01, value: 0.08}]"
    [problem] = problems(replaced(old, overlapping))
    assert ": rules/IC10-KPI-WEIGHT/params/min_weight: values/0: 'until' 2025-06-30 overlaps the next value" in problem
    # ending the day before the next value starts is fine, and so is a gap
    for until in ("2024-12-31", "2024-10-01"):
        load_ruleset_text(replaced(old, overlapping.replace("2025-06-30", until)), "ok")
    in_force = "      citation: Guidance item 10 （十） — in principle (原则上)\n      values: [{from: 2024-05-29}]"
    [problem] = problems(
        replaced(
            in_force,
            in_force.replace("[{from: 2024-05-29}]", "[{from: 2024-05-29, until: 2026-01-01}, {from: 2025-01-01}]"),
        )
    )
    assert ": rules/IC10-KPI-WEIGHT/in_force: values/0: 'until' 2026-01-01 overlaps" in problem


def test_an_alias_bomb_is_refused_without_expanding() -> None:
    levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]  # 10**10 strings expanded
    bomb = "".join(f"          {line}\n" for line in levels)
    text = replaced(GATE_CORE, "        note:\n" + bomb + GATE_CORE)
    started = time.perf_counter()
    found = problems(text)
    assert time.perf_counter() - started < 2
    assert len(found) == 90  # every alias named, none expanded
    assert found[0].endswith(
        "rules/IC19-SOLVENCY-GATE/params/min_core_ratio_pct/note/l1/0: YAML aliases (*name) "
        "are not allowed in a ruleset; write the value out"
    )
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text, "bad.yaml")
    assert str(caught.value).startswith("90 problems:") and "... and 70 more" in str(caught.value)


def test_any_alias_merge_key_or_non_string_key_is_refused() -> None:
    [alias] = problems(
        replaced(
            "values: [{from: 2021-03-01, value: 100}]",
            "values: [{from: 2021-03-01, value: *core}]",
            replaced("values: [{from: 2021-03-01, value: 50}]", "values: [{from: 2021-03-01, value: &core 50}]"),
        )
    )
    assert "min_comprehensive_ratio_pct/values/0/value: YAML aliases" in alias
    [merge] = problems(replaced("  IC08-PREMIUM-RATE:\n", "  IC08-PREMIUM-RATE:\n    <<: {params: {}}\n"))
    assert ": rules/IC08-PREMIUM-RATE: line " in merge and "merge keys (<<) are not allowed" in merge
    [key] = problems(replaced("  IC08-PREMIUM-RATE:\n", "  IC08-PREMIUM-RATE:\n    2024-05-29: x\n"))
    assert "keys must be plain strings, not timestamp" in key


def test_problems_name_their_path_and_line_and_are_all_listed() -> None:
    text = replaced('version: "2024.1.0"', "version: 2024.1", replaced("lines_for_full: 5", "lines_for_full: true"))
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text, "bad.yaml")
    assert [p.split(": ")[:2] for p in caught.value.problems] == [
        ["bad.yaml:6", "version"],
        [
            f"bad.yaml:{TEXT[: TEXT.index('lines_for_full')].count(chr(10)) + 1}",
            "scoring/indicators/variety/lines_for_full",
        ],
    ]
    assert str(caught.value).startswith("2 problems:\n  bad.yaml:6: version: ")
    # the parameters are checked once the file has the shape of a ruleset: all their problems together
    text = replaced("value: 50}", "value: -50}", replaced("value: 1}]", "value: true}]"))
    assert len(problems(text)) == 2


def test_control_characters_in_a_ruleset_are_shown_escaped() -> None:
    [problem] = problems(
        replaced(
            "  IC08-PREMIUM-RATE:\n",
            '  "IC99\\e[2J\\n::add-mask::x":\n'
            "    in_force: {citation: x, values: [{from: 2024-05-29}]}\n"
            "    strength: {citation: x, values: [{from: 2024-05-29, value: mandatory}]}\n"
            "  IC08-PREMIUM-RATE:\n",
        )
    )
    assert "rules/IC99\\x1b[2J\\n::add-mask::x: unknown rule" in problem
    assert "\x1b" not in problem and "\n" not in problem


def _without_gate(data: dict[str, Any]) -> None:
    del data["rules"]["IC19-SOLVENCY-GATE"]


def test_dropping_a_mandatory_rule_needs_the_explicit_flag() -> None:
    text = edited(_without_gate)
    [problem] = problems(text)
    assert ": rules: the ruleset leaves out mandatory rule(s) IC19-SOLVENCY-GATE" in problem
    assert "--allow-partial-ruleset" in problem
    ruleset = load_ruleset_text(text, "partial.yaml", allow_partial=True)
    assert ruleset.omissions == ("mandatory rule(s) IC19-SOLVENCY-GATE",)
    assert ruleset.partial_warning is not None and "PARTIAL RULESET" in ruleset.partial_warning
    # every mandatory rule counts, not only the gate
    mandatory = list(guidance_mandatory())
    assert len(mandatory) > 1
    [problem] = problems(edited(lambda d: [d["rules"].pop(rule_id) for rule_id in mandatory]))
    assert ", ".join(mandatory) in problem
    # an encouraged rule may be left out
    assert load_ruleset_text(edited(lambda d: d["rules"].pop("IC11-ONLINE-SERVICE")), "ok").omissions == ()


def test_removing_the_solvency_gate_from_the_blocking_rules_needs_the_flag() -> None:
    text = edited(lambda d: d["scoring"].update(blocking_rules=[]))
    [problem] = problems(text)
    assert "IC19-SOLVENCY-GATE (guidance item 19's solvency gate) from scoring/blocking_rules" in problem
    assert load_ruleset_text(text, "partial.yaml", allow_partial=True).omissions


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCLUSIVE_CHECK_DATABASE_URL", raising=False)
    return CliRunner()


def test_check_refuses_a_partial_ruleset_and_warns_when_it_is_allowed(runner: CliRunner, tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text(edited(_without_gate), "utf-8")
    result = runner.invoke(cli, ["check", str(SAMPLE), "--ruleset", str(partial)])
    assert result.exit_code == 3
    assert "--allow-partial-ruleset" in result.stderr
    result = runner.invoke(cli, ["check", str(SAMPLE), "--ruleset", str(partial), "--allow-partial-ruleset"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("warning: PARTIAL RULESET: nfra-2024-inclusive")
    assert "   warning: PARTIAL RULESET:" in result.stdout
    assert "IC19-SOLVENCY-GATE" not in result.stdout.replace("leaves out mandatory rule(s) IC19-SOLVENCY-GATE", "")
    result = runner.invoke(
        cli, ["check", str(SAMPLE), "--ruleset", str(partial), "--allow-partial-ruleset", "--format", "json"]
    )
    [sub] = json.loads(result.stdout)["submissions"]
    assert any(w.startswith("PARTIAL RULESET") for w in sub["warnings"])
    listed = runner.invoke(cli, ["rules", "list", "--ruleset", str(partial), "--allow-partial-ruleset"])
    assert listed.exit_code == 0 and "PARTIAL RULESET" in listed.stderr


def test_a_stored_run_with_a_partial_ruleset_keeps_its_warning(
    store: Any, db_url: str, runner: CliRunner, tmp_path: Path
) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text(edited(_without_gate), "utf-8")
    assert runner.invoke(cli, ["--db", db_url, "ingest", str(SAMPLE)]).exit_code == 0
    refused = runner.invoke(cli, ["--db", db_url, "run", "--ruleset", str(partial)])
    assert refused.exit_code == 3
    result = runner.invoke(
        cli,
        [
            "--db",
            db_url,
            "run",
            "--ruleset",
            str(partial),
            "--allow-partial-ruleset",
            "--exit-zero",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    [sub] = json.loads(result.stdout)["submissions"]
    assert sub["warnings"][0].startswith("PARTIAL RULESET")
    assert {f["rule_id"] for f in sub["findings"]} & {"IC19-SOLVENCY-GATE"} == set()
    # read back later, the run's findings still carry their parameters (the stored ruleset reloads)
    findings = json.loads(runner.invoke(cli, ["--db", db_url, "findings", "--format", "json"]).stdout)
    [stored] = findings["submissions"]
    assert stored["warnings"] == sub["warnings"]
    assert all(f["parameters"] for f in stored["findings"])


# --- the published schema ----------------------------------------------------------------------------


def _check_jsonschema(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--color", "never", "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = CliRunner().invoke(cli, ["schema", "ruleset"])
    assert result.exit_code == 0
    path = tmp_path_factory.mktemp("schema") / "ruleset.schema.json"
    path.write_text(result.output, "utf-8")
    return path


def test_the_schema_is_derived_from_the_models() -> None:
    schema = ruleset_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    rules = schema["properties"]["rules"]
    assert set(rules["properties"]) == {r.ID for r in ALL_RULES}
    for rule in ALL_RULES:
        params = rules["properties"][rule.ID]["properties"]["params"]
        assert set(params["properties"]) == set(rule.Params.model_fields)  # a new parameter appears by itself
    core = rules["properties"]["IC19-SOLVENCY-GATE"]["properties"]["params"]["properties"]["min_core_ratio_pct"]
    assert {"minimum": 0, "maximum": 1000, "type": "number"} in core["properties"]["values"]["items"]["properties"][
        "value"
    ]["anyOf"]


def test_the_shipped_ruleset_validates_against_the_schema_in_check_jsonschema(exported: Path) -> None:
    result = _check_jsonschema(exported, RULESET)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("negative", replaced("value: 50}", "value: -50}")),
        ("bool-for-int", replaced("value: 1}]", "value: true}]")),
        ("unknown-parameter", replaced("      min_weight:\n", "      min_wieght:\n")),
        ("weight-zero", replaced("mandatory: 3,", "mandatory: 0,")),
        ("empty-rules", edited(lambda d: d.update(rules={}))),
        ("no-gate", edited(_without_gate)),
        ("gate-not-blocking", edited(lambda d: d["scoring"].update(blocking_rules=[]))),
        ("bad-severity", replaced("fail: {mandatory: error,", "fail: {mandatory: fatal,")),
        ("no-strength", edited(lambda d: d["rules"]["IC10-LEADERSHIP"].pop("strength"))),
        ("bad-strength", replaced("value: principle}", "value: optional}")),
        (
            "bad-override",
            edited(
                lambda d: d["rules"]["IC10-KPI-WEIGHT"].update(
                    severity={"citation": "c", "values": [{"from": "2026-01-01", "value": {"fail": "minor"}}]}
                )
            ),
        ),
        (
            "deactivated-without-reason",
            edited(
                lambda d: d["rules"]["IC10-KPI-WEIGHT"].update(
                    deactivated={"citation": "c", "values": [{"from": "2026-01-01"}]}
                )
            ),
        ),
    ],
)
def test_check_jsonschema_and_the_loader_refuse_the_same_rulesets(
    exported: Path, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, "utf-8")
    assert _check_jsonschema(exported, path).returncode == 1
    with pytest.raises(RulesetError):
        load_ruleset(path)


# --- policy as data: severity, strength, deactivation, retired IDs ---------------------------------------

SEVERITY_FAIL = "        fail: {mandatory: error, principle: error, encouraged: info, flag: warning}\n"


def _line_of(text: str, needle: str) -> int:
    return TEXT[: TEXT.index(needle)].count("\n") + 1


def test_the_severity_table_is_validated_with_located_problems() -> None:
    line = _line_of(TEXT, SEVERITY_FAIL)
    [problem] = problems(replaced(SEVERITY_FAIL, SEVERITY_FAIL.replace("principle: error", "principle: fatal")))
    assert problem.startswith(f"bad.yaml:{line}: severity/values/0/value/fail/principle: ")
    assert "'error', 'warning' or 'info'" in problem
    [problem] = problems(replaced(SEVERITY_FAIL, SEVERITY_FAIL.replace(", flag: warning", "")))
    assert problem.startswith(f"bad.yaml:{line}: severity/values/0/value/fail/flag: Field required")
    [problem] = problems(edited(lambda d: d.pop("severity")))
    assert ": severity: Field required" in problem


def test_a_severity_table_must_be_in_force_wherever_a_rule_is() -> None:
    found = problems(
        replaced(
            "    - from: 2024-05-29\n      value:\n        fail:", "    - from: 2025-01-01\n      value:\n        fail:"
        )
    )
    assert len(found) == len(ALL_RULES)
    assert all(": severity: no severity table in force on 2024-05-29, where " in p for p in found)


def test_every_rule_states_its_strength_in_force_wherever_it_is() -> None:
    [problem] = problems(edited(lambda d: d["rules"]["IC10-LEADERSHIP"].pop("strength")))
    assert ": rules/IC10-LEADERSHIP/strength: Field required" in problem
    [problem] = problems(
        edited(
            lambda d: d["rules"]["IC10-LEADERSHIP"]["strength"].update(
                values=[{"from": "2024-05-29", "until": "2025-06-30", "value": "mandatory"}]
            )
        )
    )
    assert problem.endswith(
        "rules/IC10-LEADERSHIP/strength: no strength in force on 2025-07-01, where IC10-LEADERSHIP is in force"
    )
    [problem] = problems(
        edited(
            lambda d: d["rules"]["IC10-LEADERSHIP"]["strength"].update(
                values=[{"from": "2024-05-29", "value": "binding"}]
            )
        )
    )
    assert "rules/IC10-LEADERSHIP/strength/values/0: strength must be one of mandatory, principle, " in problem


def _kpi(**entry: Any) -> str:
    return edited(lambda d: d["rules"]["IC10-KPI-WEIGHT"].update(**entry))


def _dated(value: Any, start: str = "2026-01-01") -> dict[str, Any]:
    return {"citation": "c", "values": [{"from": start, "value": value}]}


def test_a_rules_severity_override_and_deactivation_are_validated_with_located_problems() -> None:
    where = "rules/IC10-KPI-WEIGHT/severity/values/0/value"
    [problem] = problems(_kpi(severity=_dated({"fail": "minor"})))
    assert f": {where}/fail: Input should be 'error', 'warning' or 'info'" in problem
    [problem] = problems(_kpi(severity=_dated({})))
    assert f"{where}: give the severity of fail, of indeterminate" in problem
    [problem] = problems(_kpi(severity=_dated({"pass": "error"})))
    assert f"{where}/pass: Extra inputs are not permitted" in problem
    [problem] = problems(_kpi(deactivated=_dated(" ")))
    assert "rules/IC10-KPI-WEIGHT/deactivated/values/0/value: the reason the rule is deactivated is missing" in problem
    ok = load_ruleset_text(
        _kpi(severity=_dated({"fail": "warning"}), deactivated=_dated("faulty", "2027-01-01")), "ok.yaml"
    )
    kpi = registry.get("IC10-KPI-WEIGHT")
    assert ok.severities(kpi, date(2025, 12, 31))["fail"] == "error"
    assert ok.severities(kpi, date(2026, 1, 1))["fail"] == "warning"
    assert ok.severities(kpi, date(2026, 1, 1))["indeterminate"] == "error"  # not overridden: the table's


def test_an_unknown_rule_names_the_closest_ids() -> None:
    [problem] = problems(replaced("  IC10-KPI-WEIGHT:\n", "  IC10-KPI-WEIHGT:\n"))
    assert "rules/IC10-KPI-WEIHGT: unknown rule; did you mean IC10-KPI-WEIGHT?" in problem
    with pytest.raises(registry.UnknownRule) as raised:
        registry.get("IC10-KPI-WEIHGT")
    assert isinstance(raised.value, LookupError)
    assert "did you mean IC10-KPI-WEIGHT" in str(raised.value)


def test_a_retired_rule_id_is_read_as_the_current_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.ALIASES, "IC10-KPI", "IC10-KPI-WEIGHT")
    assert registry.get("IC10-KPI") is registry.get("IC10-KPI-WEIGHT")
    renamed = load_ruleset_text(replaced("  IC10-KPI-WEIGHT:\n", "  IC10-KPI:\n"), "old.yaml")
    assert "IC10-KPI-WEIGHT" in renamed.data.rules and "IC10-KPI" not in renamed.data.rules
    assert registry.get("IC10-KPI-WEIGHT") in renamed.rules()
    both = edited(lambda d: d["rules"].update({"IC10-KPI": copy.deepcopy(d["rules"]["IC10-KPI-WEIGHT"])}))
    [problem] = problems(both)
    assert "rules/IC10-KPI: IC10-KPI is the retired ID of IC10-KPI-WEIGHT, which the ruleset also names" in problem


def test_a_stored_ruleset_from_before_policy_was_data_reads_with_the_codes_values() -> None:
    """A run stored before severity and strengths moved into the ruleset keeps its parameters and scoring."""
    old = edited(lambda d: [d.pop("severity"), *(entry.pop("strength") for entry in d["rules"].values())])
    problems(old)  # no longer a valid ruleset to check with
    stored = load_stored_ruleset(old, "stored run")
    shipped = load_ruleset()
    assert stored.text == old
    on = date(2025, 12, 31)
    for rule in ALL_RULES:
        assert stored.strength(rule, on) == shipped.strength(rule, on)
        assert stored.severities(rule, on) == shipped.severities(rule, on)
