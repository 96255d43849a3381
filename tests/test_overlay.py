"""Regional supplements (overlays): a ruleset that extends another for an authority and the insurers or regions it
supervises. Loading, strict located validation, the effective ruleset, scope, the authority of each finding,
`rules list/show`, `ruleset diff`, `whatif --ruleset`, `run --reproduce` and incremental runs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inclusive_check.cli import cli
from inclusive_check.engine import Selection, execute_run
from inclusive_check.i18n import cite
from inclusive_check.overlay import authority_of, load_any
from inclusive_check.rules import get
from inclusive_check.ruleset import RulesetError, load_ruleset
from inclusive_check.store.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = sorted((ROOT / "samples" / "submissions").glob("*.json"))
KPI = "IC10-KPI-WEIGHT"
AS_OF = date(2026, 1, 15)

HEAD = """extends: {extends}
id: test-overlay
version: "1.0.0"
title: A test bureau's supplement
reviewed_to: 2026-09-30
authority:
  id: TEST-BUREAU
  en: Test Bureau
  zh: 测试监管局
  citation: The test bureau's own notice, item 1
scope:
  citation: The test bureau's notice, item 2
  regions: ["330200"]
  insurers: ["HX-LIFE-001"]
"""
STRICTER = """rules:
  IC10-KPI-WEIGHT:
    params:
      min_weight:
        citation: Test notice item 3 — weight not lower than 6% from 2025
        values: [{from: 2025-01-01, value: 0.06}]
  IC20-AGENCY-DISPUTES:
    deactivated:
      citation: Test notice item 4 — suspended locally
      values: [{from: 2025-01-01, value: suspended by the test bureau}]
"""


def _write(tmp_path: Path, body: str = STRICTER, name: str = "overlay.yaml", extends: str = "packaged") -> Path:
    path = tmp_path / name
    path.write_text(HEAD.format(extends=extends) + body, "utf-8")
    return path


def test_the_effective_ruleset_keeps_the_base_before_the_overlay_and_names_each_value_s_authority(
    tmp_path: Path,
) -> None:
    ruleset = load_any(_write(tmp_path))
    weight = ruleset.entry(KPI).params["min_weight"]
    assert [(v.start, v.until, v.value) for v in weight.values] == [
        (date(2024, 5, 29), date(2024, 12, 31), 0.05),
        (date(2025, 1, 1), None, 0.06),
    ]
    assert weight.citation == "Test notice item 3 — weight not lower than 6% from 2025"
    assert weight.note is not None and "TEST-BUREAU from 2025-01-01" in weight.note and "item 10" in weight.note
    kpi = get(KPI)
    assert authority_of(ruleset, KPI, date(2024, 12, 31)).id == "NFRA"
    assert authority_of(ruleset, KPI, date(2025, 1, 1)).id == "TEST-BUREAU"
    assert authority_of(ruleset, "IC11-ONLINE-SERVICE", date(2025, 6, 1)).id == "NFRA"
    assert ruleset.parameters_at(kpi, date(2025, 6, 30))["min_weight"]["authority"] == "TEST-BUREAU"
    assert ruleset.parameters_at(kpi, date(2024, 6, 30))["min_weight"]["authority"] is None
    assert ruleset.parameters_at(kpi, date(2025, 6, 30))["large_total_assets_cny"]["authority"] is None
    agency = get("IC20-AGENCY-DISPUTES")
    assert ruleset.bind(agency, date(2024, 12, 31))[0] is not None
    params, reason = ruleset.bind(agency, date(2025, 1, 1))
    assert params is None and "suspended by the test bureau" in reason
    assert ruleset.data.overlay is not None and ruleset.data.overlay.extends.id == "nfra-2024-inclusive"


def test_an_overlay_of_an_overlay_stacks_and_keeps_both_authorities(tmp_path: Path) -> None:
    _write(tmp_path, name="first.yaml")
    second = tmp_path / "second.yaml"
    text = HEAD.format(extends="first.yaml").replace("TEST-BUREAU", "TEST-CITY").replace("test-overlay", "city")
    second.write_text(
        text
        + """rules:
  IC10-KPI-WEIGHT:
    severity:
      citation: City notice item 1
      values: [{from: 2026-01-01, value: {fail: warning}}]
""",
        "utf-8",
    )
    ruleset = load_any(second)
    assert ruleset.data.overlay is not None
    assert [a.id for a in ruleset.data.overlay.authorities] == ["TEST-BUREAU", "TEST-CITY"]
    assert authority_of(ruleset, KPI, date(2025, 6, 1)).id == "TEST-BUREAU"
    assert authority_of(ruleset, KPI, date(2026, 6, 1)).id == "TEST-CITY"
    assert ruleset.severities(get(KPI), date(2026, 6, 1))["fail"] == "warning"
    assert ruleset.severities(get(KPI), date(2025, 12, 31))["fail"] == "error"


@pytest.mark.parametrize(
    ("body", "located"),
    [
        (
            "rules:\n  IC99-NOTHING:\n    params: {}\n",
            "overlay.yaml:16: rules/IC99-NOTHING: unknown rule",
        ),
        (
            "rules:\n  IC10-KPI-WEIGHT:\n    params:\n      max_weight:\n        citation: x\n"
            "        values: [{from: 2025-01-01, value: 0.06}]\n",
            "overlay.yaml:18: rules/IC10-KPI-WEIGHT/params/max_weight: unknown parameter of IC10-KPI-WEIGHT",
        ),
        (
            "rules:\n  IC10-KPI-WEIGHT:\n    params:\n      min_weight:\n        citation: x\n"
            "        values: [{from: 2025-01-01, value: 1.5}]\n",
            "rules/IC10-KPI-WEIGHT/params/min_weight/values/0/value: Input should be less than or equal to 1",
        ),
        (
            "rules:\n  IC10-KPI-WEIGHT:\n    params:\n      min_weight:\n"
            "        values: [{from: 2025-01-01, value: 0.06}]\n",
            "overlay.yaml:18: rules/IC10-KPI-WEIGHT/params/min_weight/citation: Field required",
        ),
        (
            "rules:\n  IC10-KPI-WEIGHT:\n    strength:\n        citation: x\n"
            "        values: [{from: 2025-01-01, value: strong}]\n",
            "rules/IC10-KPI-WEIGHT/strength/values/0: strength must be one of",
        ),
        ("colour: red\n", "overlay.yaml:15: colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_overlay_is_refused_with_located_errors_and_exit_3(tmp_path: Path, body: str, located: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(RulesetError) as caught:
        load_any(path)
    assert located in str(caught.value)
    result = CliRunner().invoke(cli, ["rules", "list", "--ruleset", str(path)])
    assert result.exit_code == 3 and located in result.output and "Traceback" not in result.output


def test_a_cycle_of_overlays_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "", name="a.yaml", extends="b.yaml")
    _write(tmp_path, "", name="b.yaml", extends="a.yaml")
    result = CliRunner().invoke(cli, ["rules", "list", "--ruleset", str(tmp_path / "a.yaml")])
    assert result.exit_code == 3 and "a cycle" in result.output, result.output
    assert "a.yaml:1: extends" in result.output
    _write(tmp_path, "", name="c.yaml", extends="missing.yaml")
    result = CliRunner().invoke(cli, ["rules", "list", "--ruleset", str(tmp_path / "c.yaml")])
    assert result.exit_code == 3 and "c.yaml:1: extends: no ruleset missing.yaml" in result.output


def test_rules_list_and_show_name_the_authority(tmp_path: Path) -> None:
    path = str(_write(tmp_path))
    listed = CliRunner().invoke(cli, ["rules", "list", "--ruleset", path, "--as-of", "2025-06-01", "--format", "json"])
    authorities = {item["id"]: item["authority"] for item in json.loads(listed.output)}
    assert authorities[KPI] == "TEST-BUREAU" and authorities["IC20-AGENCY-DISPUTES"] == "TEST-BUREAU"
    assert authorities["IC11-ONLINE-SERVICE"] == "NFRA"
    before = CliRunner().invoke(cli, ["rules", "list", "--ruleset", path, "--as-of", "2024-06-01", "--format", "json"])
    assert {item["authority"] for item in json.loads(before.output)} == {"NFRA"}
    shown = CliRunner().invoke(cli, ["rules", "show", KPI, "--ruleset", path, "--as-of", "2025-06-01"])
    assert "authority on 2025-06-01: Test Bureau (测试监管局)" in shown.output
    shown_zh = CliRunner().invoke(
        cli, ["rules", "show", KPI, "--ruleset", path, "--as-of", "2025-06-01", "--lang", "zh"]
    )
    assert "监管机构（2025-06-01）：测试监管局" in shown_zh.output
    assert "from 2024-05-29 until 2024-12-31: 0.05" in shown.output and "from 2025-01-01: 0.06" in shown.output


def test_ruleset_diff_shows_the_overlay_s_values_and_section(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ruleset", "diff", "packaged", str(_write(tmp_path)), "--format", "json"])
    assert result.exit_code == 1
    paths = [(c["path"], c["kind"]) for c in json.loads(result.output)["changes"]]
    assert (f"rules/{KPI}/params/min_weight", "parameter") in paths
    assert ("rules/IC20-AGENCY-DISPUTES/deactivated", "deactivated") in paths
    assert paths[-1] == ("overlay", "overlay")


def _run(store: Any, ruleset: Any) -> tuple[str, int]:
    assert not ingest_paths(store, SUBMISSIONS, 64 * 2**20).quarantined
    return store.url.render_as_string(hide_password=False), execute_run(store, ruleset, Selection(), AS_OF)


def _results(url: str, run_id: int) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--db", url, "findings", "--run", str(run_id), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    payload: dict[str, Any] = json.loads(result.output)
    return payload


def test_a_run_judges_only_the_scope_and_each_finding_names_the_authority(store: Any, tmp_path: Path) -> None:
    """Scope: AL-PROP-017 reports business in Ningbo (330200); HX-LIFE-001 is listed by code. HX-LIFE-001, a
    large insurer weighting inclusive insurance at 5%, passes the national 5% and fails the bureau's 6%."""
    overlay = load_any(_write(tmp_path))
    url, run_id = _run(store, overlay)
    payload = _results(url, run_id)
    assert sorted(s["insurer"]["code"] for s in payload["submissions"]) == ["AL-PROP-017", "HX-LIFE-001"]
    kpi = [
        (s["insurer"]["code"], f["status"], f["parameters"]["min_weight"])
        for s in payload["submissions"]
        for f in s["findings"]
        if f["rule_id"] == KPI
    ]
    assert [(code, status, p["value"], p["authority"]) for code, status, p in kpi] == [
        ("AL-PROP-017", "not_applicable", 0.06, "TEST-BUREAU"),  # a small insurer: the weight is not asked of it
        ("HX-LIFE-001", "fail", 0.06, "TEST-BUREAU"),
    ]
    online = [f["parameters"]["in_force"]["authority"] for s in payload["submissions"] for f in s["findings"]]
    assert online.count(None) > 0 and set(online) == {None, "TEST-BUREAU"}
    hx = str(ROOT / "samples" / "submissions" / "hx-life-2025.json")
    for lang, said in (("en", "[rule of TEST-BUREAU]"), ("zh", "[TEST-BUREAU的规则]")):
        text = CliRunner().invoke(cli, ["check", "--ruleset", str(tmp_path / "overlay.yaml"), hx, "--lang", lang])
        (line,) = [row for row in text.output.splitlines() if f" {KPI} " in row and cite(10, lang) in row]
        assert text.exit_code == 1 and line.rstrip().endswith(said)
    # the run stored the effective ruleset (base included): it reproduces, and its ruleset is the overlay's
    assert CliRunner().invoke(cli, ["--db", url, "run", "--reproduce", str(run_id)]).exit_code == 0
    diff = CliRunner().invoke(cli, ["--db", url, "ruleset", "diff", f"run:{run_id}", str(tmp_path / "overlay.yaml")])
    assert diff.exit_code == 0, diff.output


def test_whatif_with_an_overlay_replays_the_scope_under_the_bureau_s_values(store: Any, tmp_path: Path) -> None:
    url, _ = _run(store, load_ruleset(None))
    result = CliRunner().invoke(cli, ["--db", url, "whatif", "--ruleset", str(_write(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    flips = [(f["flip"], f["insurer"], f["rule_id"]) for f in payload["findings"] if f["rule_id"] == KPI]
    assert flips == [("newly_fails", "HX-LIFE-001", KPI)]
    assert {f["insurer"] for f in payload["findings"]} <= {"AL-PROP-017", "HX-LIFE-001"}
    assert any(c["path"] == "overlay" for c in payload["policy"])


def test_an_overlay_enters_the_reuse_key(store: Any, tmp_path: Path) -> None:
    """A national run, then an incremental run with the overlay: no document's findings are taken over."""
    url, first = _run(store, load_ruleset(None))
    second = execute_run(store, load_any(_write(tmp_path)), Selection(), AS_OF, incremental=True)
    runs = CliRunner().invoke(cli, ["--db", url, "runs", "--format", "json"])
    judged = {r["id"]: r["judged"] for r in json.loads(runs.output)}
    assert judged[second] == 2 and first != second


def test_the_shipped_ningbo_overlay_loads_and_changes_no_rule() -> None:
    ruleset = load_any(ROOT / "samples" / "overlays" / "nfra-ningbo.yaml")
    assert ruleset.data.overlay is not None
    assert [a.id for a in ruleset.data.overlay.authorities] == ["NFRA-NINGBO"]
    assert ruleset.data.overlay.scope.regions == ["330200"] and ruleset.data.overlay.entries == []
    assert ruleset.data.rules == load_ruleset(None).data.rules


def test_the_overlay_schema_is_published_and_the_sample_follows_it(tmp_path: Path) -> None:
    import jsonschema
    import yaml

    printed = CliRunner().invoke(cli, ["schema", "overlay"])
    assert printed.exit_code == 0
    schema = json.loads(printed.output)
    assert schema["$id"] == "urn:inclusive-check:schema:overlay:1"
    validator = jsonschema.Draft202012Validator(schema)
    for path in (ROOT / "samples" / "overlays" / "nfra-ningbo.yaml", _write(tmp_path)):
        document = json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))
        assert list(validator.iter_errors(document)) == []
    document["authority"].pop("citation")
    assert [e.message for e in validator.iter_errors(document)] == ["'citation' is a required property"]


def test_documents_all_out_of_scope_are_a_plain_usage_error(store: Any, tmp_path: Path) -> None:
    overlay = str(_write(tmp_path))
    checked = CliRunner().invoke(
        cli, ["check", "--ruleset", overlay, str(ROOT / "samples/submissions/fh-agri-2025.json")]
    )
    assert checked.exit_code == 2 and "no selected document is in the scope of overlay test-overlay" in checked.output
    assert "regions 330200" in checked.output and "Traceback" not in checked.output
    assert not ingest_paths(store, SUBMISSIONS, 64 * 2**20).quarantined
    url = store.url.render_as_string(hide_password=False)
    ran = CliRunner().invoke(cli, ["--db", url, "run", "--ruleset", overlay, "--insurer", "FH-AGRI-003"])
    assert ran.exit_code == 2 and "in the scope of overlay test-overlay" in ran.output
    assert CliRunner().invoke(cli, ["--db", url, "runs", "--format", "json"]).output.strip() == "[]"


def test_ruleset_diff_between_two_overlays_compares_authority_scope_and_values(tmp_path: Path) -> None:
    first = _write(tmp_path, name="one.yaml")
    wider = tmp_path / "two.yaml"
    wider.write_text(first.read_text("utf-8").replace('regions: ["330200"]', 'regions: ["330000"]'), "utf-8")
    same = CliRunner().invoke(cli, ["ruleset", "diff", str(first), str(first)])
    assert same.exit_code == 0 and same.output.rstrip().endswith("no differences")
    result = CliRunner().invoke(cli, ["ruleset", "diff", str(first), str(wider), "--format", "json"])
    assert result.exit_code == 1
    (change,) = json.loads(result.output)["changes"]
    assert (change["path"], change["kind"]) == ("overlay/scope", "overlay")
    assert change["before"]["regions"] == ["330200"] and change["after"]["regions"] == ["330000"]
