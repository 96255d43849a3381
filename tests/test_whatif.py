"""`whatif`: the stored submissions of a run evaluated under a changed policy, never stored, compared with the
run. The flips below are worked out by hand from the samples:

- IC10-KPI-WEIGHT judges the two large insurers: HX-LIFE-001 (declared large, weight 5%) and ZS-PROP-002 (no
  size class, assets 623.5 bn >= the 500 bn line, weight 4.99%); the other three are not large (not applicable).
- Compliance weighs mandatory 3, principle 2, encouraged 1. HX earns 48 of 50 (IC10-KPI-WEIGHT passes, principle),
  so 96; ZS 46 of 50 (it fails), so 92.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from inclusive_check.cli import cli
from inclusive_check.contract.outputs import schema_json
from inclusive_check.dispensations import parse_dispensations
from inclusive_check.engine import Selection, execute_run
from inclusive_check.ruleset import load_ruleset, load_ruleset_text
from inclusive_check.store import tables as t
from inclusive_check.store.ingest import ingest_paths

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = sorted((ROOT / "samples" / "submissions").glob("*.json"))
LETTERS = ROOT / "samples" / "dispensations" / "2025-supervisor-letters.yaml"
AS_OF = date(2026, 1, 15)
KPI = "IC10-KPI-WEIGHT"


def _market(engine: Any, dispensations: bool = False) -> str:
    """The five sample submissions ingested and run once (with the sample supervisor letters when asked)."""
    report = ingest_paths(engine, SUBMISSIONS, 64 * 2**20)
    assert not report.quarantined
    letters = parse_dispensations(LETTERS.read_text("utf-8"), str(LETTERS)) if dispensations else ()
    execute_run(engine, load_ruleset(None), Selection(), AS_OF, letters)
    url: str = engine.url.render_as_string(hide_password=False)
    return url


def _whatif(url: str, *args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, "whatif", *args, "--format", "json"])
    assert result.exit_code == code, result.output
    return json.loads(result.output) if code == 0 else result.output


def _flips(payload: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            f["flip"],
            f["insurer"],
            f["rule_id"],
            f["subject"],
            f["before"] and (f["before"]["status"], f["before"]["severity"], f["before"]["strength"]),
            f["after"] and (f["after"]["status"], f["after"]["severity"], f["after"]["strength"]),
        )
        for f in payload["findings"]
    ]


def _compliance(payload: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {s["insurer"]: (s["compliance"]["before"], s["compliance"]["after"]) for s in payload["scores"]}


def _rule(payload: dict[str, Any], rule_id: str) -> dict[str, Any]:
    (rule,) = [r for r in payload["rules"] if r["rule_id"] == rule_id]
    return dict(rule)


def test_a_higher_threshold_fails_the_large_insurer_at_exactly_5_percent(store: Any) -> None:
    url = _market(store)
    payload = _whatif(url, "--set", f"{KPI}.min_weight=0.06")
    assert payload["rules_evaluated"] == [KPI]
    assert payload["effective_from"] == "2025-12-31"  # the earliest binding date: every period ends then
    assert _flips(payload) == [
        (
            "newly_fails",
            "HX-LIFE-001",
            KPI,
            "/governance/inclusive_kpi_weight",
            ("pass", "info", "principle"),
            ("fail", "error", "principle"),
        )
    ]
    assert payload["findings"][0]["after"]["expected"] == ">= 6%"
    assert _compliance(payload) == {"HX-LIFE-001": ("96", "92")}  # 46 of 50
    rule = _rule(payload, KPI)
    assert (rule["insurers_judged"], rule["insurers_failing_before"], rule["insurers_failing_after"]) == (2, 1, 2)
    assert rule["summary"]["en"].startswith(f"{KPI}: 2 of 2 insurer(s) it judges would fail, held to 6% (now 5%)")
    (change,) = payload["policy"]
    assert change["path"] == f"rules/{KPI}/params/min_weight"
    assert change["after"][-1] == {"from": payload["effective_from"], "value": 0.06}


def test_a_lower_threshold_passes_the_insurer_at_4_99_percent(store: Any) -> None:
    payload = _whatif(_market(store), "--set", f"{KPI}.min_weight=0.0499")
    assert _flips(payload) == [
        (
            "newly_passes",
            "ZS-PROP-002",
            KPI,
            "/governance/inclusive_kpi_weight",
            ("fail", "error", "principle"),
            ("pass", "info", "principle"),
        )
    ]
    assert _compliance(payload) == {"ZS-PROP-002": ("92", "96")}  # 48 of 50


def test_a_weaker_strength_lowers_the_severity_and_the_weight(store: Any) -> None:
    payload = _whatif(_market(store), "--set", f"{KPI}.strength=encouraged")
    subject = "/governance/inclusive_kpi_weight"
    # Only the failure's severity flips (error to info); HX's pass keeps its verdict, its weight changes its score.
    assert _flips(payload) == [
        ("changes", "ZS-PROP-002", KPI, subject, ("fail", "error", "principle"), ("fail", "info", "encouraged")),
    ]
    # The rule now weighs 1 of 49: HX earns 47 (95.92), ZS 46 (93.88).
    assert _compliance(payload) == {"HX-LIFE-001": ("96", "95.92"), "ZS-PROP-002": ("92", "93.88")}


def test_a_later_in_force_date_leaves_both_large_insurers_unjudged(store: Any) -> None:
    payload = _whatif(_market(store), "--set", f"{KPI}.in_force=2026-01-01")
    na = ("not_applicable", "info", "principle")
    assert _flips(payload) == [
        ("newly_passes", "ZS-PROP-002", KPI, "", ("fail", "error", "principle"), na),
        ("changes", "HX-LIFE-001", KPI, "", ("pass", "info", "principle"), na),
    ]
    assert "applies from 2026-01-01" in payload["findings"][0]["after"]["actual"]
    # Without the rule both earn 46 of 48.
    assert _compliance(payload) == {"HX-LIFE-001": ("96", "95.83"), "ZS-PROP-002": ("92", "95.83")}
    assert _rule(payload, KPI)["insurers_judged"] == 0


def test_values_from_after_every_binding_date_flip_nothing(store: Any) -> None:
    payload = _whatif(_market(store), "--set", f"{KPI}.min_weight=0.06", "--from", "2026-01-01")
    assert payload["effective_from"] == "2026-01-01"
    assert payload["findings"] == [] and payload["scores"] == []
    assert payload["summary"] == {"newly_fails": 0, "newly_passes": 0, "changes": 0, "scores_changed": 0}


def test_a_period_narrows_the_documents(store: Any) -> None:
    url = _market(store)
    payload = _whatif(url, "--set", f"{KPI}.min_weight=0.0499", "--period", "2025-Q4")
    assert [(f["flip"], f["insurer"]) for f in payload["findings"]] == [("newly_passes", "ZS-PROP-002")]
    assert _rule(payload, KPI)["insurers_judged"] == 1
    # As `run --period`: a year takes every document whose period lies within it, the 2025-Q4 one too ...
    assert [
        f["insurer"] for f in _whatif(url, "--set", f"{KPI}.min_weight=0.0499", "--period", "2025")["findings"]
    ] == ["ZS-PROP-002"]
    # ... and a quarter leaves out the annual submissions, which reach beyond it.
    assert _whatif(url, "--set", f"{KPI}.min_weight=0.06", "--period", "2025-Q4")["findings"] == []
    output = _whatif(url, "--set", f"{KPI}.min_weight=0.0499", "--period", "2031", code=2)
    assert "run 1 checked no document of period 2031" in output


def test_a_mandatory_strength_ends_a_dispensation(store: Any) -> None:
    """D-2025-001 waives KN's premium-rate breach of /products/0; dispensations cover principle rules only."""
    payload = _whatif(_market(store, dispensations=True), "--set", "IC08-PREMIUM-RATE.strength=mandatory")
    flips = _flips(payload)
    assert (
        "newly_fails",
        "KN-HLTH-006",
        "IC08-PREMIUM-RATE",
        "/products/0/premium_rate",
        ("waived", "error", "principle"),
        ("fail", "error", "mandatory"),
    ) in flips
    assert all(f[0] != "newly_passes" for f in flips)


def test_the_what_if_is_never_stored(store: Any) -> None:
    url = _market(store)

    def counts() -> dict[str, int]:
        with store.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in (("runs", t.runs), ("findings", t.findings), ("scores", t.scores))
            }

    before = counts()
    _whatif(url, "--set", f"{KPI}.min_weight=0.06", "--set", "severity.fail.principle=warning")
    assert counts() == before
    listed = CliRunner().invoke(cli, ["--db", url, "runs", "--format", "json"])
    assert [r["id"] for r in json.loads(listed.output)] == [1]


def test_its_scores_are_those_of_a_run_under_the_changed_ruleset(store: Any, tmp_path: Path) -> None:
    """Only the changed rule is evaluated again; scoring borrows the others' findings from the base run. A real
    run with the same ruleset scores every document the same."""
    url = _market(store)
    payload = _whatif(url, "--set", f"{KPI}.strength=encouraged", "--set", "IC07-KEY-AREAS.strength=flag")
    raw = yaml.safe_load((files("inclusive_check.rulesets") / "nfra-2024-inclusive.yaml").read_text("utf-8"))
    start = date.fromisoformat(payload["effective_from"])
    for rule_id, strength in ((KPI, "encouraged"), ("IC07-KEY-AREAS", "flag")):
        raw["rules"][rule_id]["strength"]["values"].append({"from": start.isoformat(), "value": strength})
    changed = load_ruleset_text(yaml.safe_dump(raw, allow_unicode=True), "changed.yaml")
    real = execute_run(store, changed, Selection(), AS_OF)
    with store.connect() as conn:
        sc, s, i = t.scores.c, t.submissions.c, t.insurers.c
        scores = {
            (run, code): None if value is None else format(value.normalize(), "f")
            for run, code, value in conn.execute(
                select(sc.run_id, i.code, sc.compliance)
                .join(t.submissions, s.id == sc.submission_id)
                .join(t.insurers, i.id == s.insurer_id)
            )
        }
    listed = _compliance(payload)
    assert listed  # IC07-KEY-AREAS fails for some: its weight leaving changes their scores
    for code in ("HX-LIFE-001", "ZS-PROP-002", "AL-PROP-017", "FH-AGRI-003", "KN-HLTH-006"):
        unchanged = (scores[(1, code)], scores[(1, code)])
        assert listed.get(code, unchanged)[1] == scores[(real, code)], code


def test_a_ruleset_version_is_replayed_whole(store: Any, tmp_path: Path) -> None:
    url = _market(store)
    raw = yaml.safe_load((files("inclusive_check.rulesets") / "nfra-2024-inclusive.yaml").read_text("utf-8"))
    raw["version"] = "2025.1.0"
    raw["rules"][KPI]["params"]["min_weight"]["values"] = [{"from": date(2024, 5, 29), "value": 0.06}]
    path = tmp_path / "next.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    payload = _whatif(url, "--ruleset", str(path))
    assert payload["ruleset"]["version"] == "2025.1.0" and payload["effective_from"] is None
    assert [c["path"] for c in payload["policy"]] == ["version", f"rules/{KPI}/params/min_weight"]
    assert [(f["flip"], f["insurer"]) for f in payload["findings"]] == [("newly_fails", "HX-LIFE-001")]


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        (
            "IC10-KPI-WEIGT.min_weight=0.06",
            "no rule IC10-KPI-WEIGT in the ruleset nfra-2024-inclusive 2024.1.0; did you mean IC10-KPI-WEIGHT",
        ),
        (f"{KPI}.min_wieght=0.06", f"{KPI} has no parameter 'min_wieght'; did you mean min_weight?"),
        (f"{KPI}.min_weight=7", f"rules/{KPI}/params/min_weight/values/1/value: Input should be less than or equal"),
        (f"{KPI}.strength=sometimes", "strength must be one of"),
        (f"{KPI}.in_force=soon", "in_force takes a date"),
        ("min_weight", "expected RULE.NAME=VALUE"),
    ],
)
def test_a_bad_setting_is_a_usage_error_naming_the_closest(store: Any, setting: str, said: str) -> None:
    output = _whatif(_market(store), "--set", setting, code=2)
    assert said in output and "Traceback" not in output


def test_a_what_if_needs_a_change_and_a_run(store: Any) -> None:
    url = store.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["--db", url, "whatif", "--set", f"{KPI}.min_weight=0.06"])
    assert result.exit_code == 2 and "no runs stored yet" in result.output
    result = CliRunner().invoke(cli, ["--db", _market(store), "whatif"])
    assert result.exit_code == 2 and "--set" in result.output
    result = CliRunner().invoke(cli, ["--db", url, "whatif", "--run", "9", "--set", f"{KPI}.min_weight=0.06"])
    assert result.exit_code == 2 and "no stored run 9" in result.output


def test_text_csv_and_html_views(store: Any, tmp_path: Path) -> None:
    url = _market(store)
    args = ["--db", url, "whatif", "--set", f"{KPI}.min_weight=0.06"]
    outputs = ["--output", f"csv={tmp_path / 'w.csv'}", "--output", f"html={tmp_path / 'w.html'}"]
    result = CliRunner().invoke(cli, [*args, *outputs])
    assert result.exit_code == 0, result.output
    assert f"{KPI}: 2 of 2 insurer(s) it judges would fail, held to 6% (now 5%); 1 fail it now." in result.output
    assert "HX-LIFE-001 2025: compliance 96 -> 92 (-4)" in result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "w.csv").read_text("utf-8"))))
    assert [(r["flip"], r["insurer"], r["status_before"], r["status_after"], r["threshold_after"]) for r in rows] == [
        ("newly_fails", "HX-LIFE-001", "pass", "fail", "0.06")
    ]
    page = (tmp_path / "w.html").read_text("utf-8")
    assert 'class="flip newly_fails"' in page and "HX-LIFE-001" in page and "96 → 92 (-4)" in page
    assert "http" not in page.split("<body>")[1].replace("http-equiv", "")  # nothing to fetch
    zh = CliRunner().invoke(cli, [*args, "--lang", "zh"])
    assert "其适用的2家机构中将有2家未通过，标准为6%（现为5%）" in zh.output


@pytest.mark.parametrize("kind", ["whatif", "ruleset-diff", "reproduction"])
def test_the_shipped_schema_is_the_models_schema(kind: str) -> None:
    shipped = (files("inclusive_check.contract") / "schemas" / f"{kind}.schema.json").read_text("utf-8")
    assert shipped == schema_json(kind), f"regenerate: inclusive-check schema {kind} > .../schemas/{kind}.schema.json"
    printed = CliRunner().invoke(cli, ["schema", kind])
    assert printed.exit_code == 0 and printed.output == shipped
