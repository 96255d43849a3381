"""Scores (SPEC 5), worked by hand from the base case document, on a single file and on a stored run.

Compliance weighs rules, not findings: each rule with a counted finding counts once, by the share of its
subjects that passed, weighted by strength (mandatory 3, principle 2, encouraged 1, flag 0 in the shipped
ruleset). The base document has 12 mandatory, 3 principle, 5 encouraged rules and 1 flag that count:
a possible weight of 3*12 + 2*3 + 1*5 = 47.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from inclusive_check.check import check_documents
from inclusive_check.contract.load import parse_bytes
from inclusive_check.contract.outputs import Results
from inclusive_check.engine import Selection, execute_run
from inclusive_check.reports import github, html, junit, sarif, tabular, text
from inclusive_check.reports.diff import render_text
from inclusive_check.results import diff_results, run_results
from inclusive_check.ruleset import Ruleset, load_ruleset, load_ruleset_text
from inclusive_check.scoring import NOTHING_APPLIED
from inclusive_check.store import tables as t
from inclusive_check.store.db import downgrade, make_engine, upgrade
from inclusive_check.store.ingest import ingest_one
from rulecases import RULESET_FILE, _Dumper, apply_patch, base, to_json

RULESET = load_ruleset()
AS_OF = date(2026, 1, 1)
# Six mandatory governance duties broken (items 10 and 20).
SIX_MANDATORY_FAILURES = {
    "/governance/leadership_system": False,
    "/governance/lead_department": None,
    "/governance/board_reviews": [],
    "/governance/management_reviews": [],
    "/governance/assessment_includes_inclusive": False,
    "/governance/internal_control_policy": False,
    "/consumer_protection/complaint_mechanism": False,
}


def _ruleset(patch: dict[str, Any]) -> Ruleset:
    data = apply_patch(yaml.safe_load(RULESET_FILE.read_text("utf-8")), patch)
    return load_ruleset_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True), "test ruleset")


def _doc(patch: dict[str, Any], products: int = 1) -> Any:
    doc = apply_patch(base("submission"), patch)
    product = doc["products"][0]
    doc["products"] = [
        {**copy.deepcopy(product), "code": f"P-DED-{n}", "name": f"Dedicated {n}"} for n in range(1, products + 1)
    ]
    return doc


def _results(store: Any, doc: Any, ruleset: Ruleset = RULESET) -> list[Results]:
    """The results of the document checked in memory (`check`) and stored then run (`run`)."""
    loaded = parse_bytes(to_json(doc), "doc.json")
    assert loaded.ok, [p.as_dict() for p in loaded.problems]
    single = check_documents([loaded], ruleset, AS_OF).results
    assert single is not None
    sid = ingest_one(store, loaded).submission_id
    run_id = execute_run(store, ruleset, Selection(submission_ids=(sid,) if sid else ()), AS_OF)
    with store.connect() as conn:
        stored = run_results(conn, run_id)
    return [single, stored]


def _scores(store: Any, patch: dict[str, Any], products: int = 1, ruleset: Ruleset = RULESET) -> list[dict[str, Any]]:
    return [
        r.model_dump(mode="json")["submissions"][0]["score"] for r in _results(store, _doc(patch, products), ruleset)
    ]


def _rules(score: dict[str, Any]) -> dict[str, tuple[int, int, str]]:
    return {
        r["rule_id"]: (r["passed"], r["counted"], r["share_pct"]) for r in score["breakdown"]["compliance"]["rules"]
    }


def test_fully_compliant_base(store: Any) -> None:
    for score in _scores(store, {}):
        # variety: 1 line of 5 (10) + 4 groups of 8 (25); coverage: 1,000 insured (band >= 1: 20);
        # protection: 600,000 / 1,000,000 = 0.60 (band >= 0.6: 100); service: 0 complaints, 5 days, online claims
        assert (score["compliance"], score["blocking"], score["band"]) == ("100", False, "good")
        indicators = (score["variety"], score["coverage"], score["protection"], score["service"])
        assert indicators == ("35", "20", "100", "100")
        assert score["breakdown"]["method"]["bands"]["good_at_least"] == "90"


def test_each_rule_counts_once_weighted_by_strength(store: Any) -> None:
    for score in _scores(store, {"/governance/leadership_system": False, "/service/online_claims": False}):
        by = score["breakdown"]["compliance"]["by_strength"]
        assert {k: (v["weight"], v["rules"], v["shares"]) for k, v in by.items()} == {
            "mandatory": ("3", 13, "12"),
            "principle": ("2", 3, "3"),
            "encouraged": ("1", 5, "4"),
            "flag": ("0", 1, "1"),
        }
        # (3*12 + 2*3 + 1*4) / (3*13 + 2*3 + 1*5) = 46 / 50 = 0.92
        assert Decimal(score["compliance"]) == Decimal("92")
        assert score["breakdown"]["compliance"]["earned"] == "46"
        assert score["breakdown"]["compliance"]["possible"] == "50"
        assert _rules(score)["IC10-LEADERSHIP"] == (0, 1, "0")
        assert score["service"] == "66.67"  # complaints 100, settlement days 100, online claims 0


def test_a_rule_with_3_of_4_subjects_passing_counts_075_once(store: Any) -> None:
    for score in _scores(store, {"/solvency/2/core_ratio_pct": 40}):  # Q3 below the 50% core ratio
        rule = next(r for r in score["breakdown"]["compliance"]["rules"] if r["rule_id"] == "IC19-SOLVENCY-GATE")
        assert (rule["strength"], rule["weight"], rule["passed"], rule["counted"], rule["failed"]) == (
            "mandatory",
            "3",
            3,
            4,
            1,
        )
        assert rule["share_pct"] == "75"
        # (3 * (12 + 0.75) + 2*3 + 1*5) / 50 = 49.25 / 50 = 0.985: one rule at 0.75, not 3 passes of 4
        assert Decimal(score["compliance"]) == Decimal("98.5")
        assert score["blocking"] is True and score["band"] == "poor"  # a blocking failure whatever the score


def test_catalogue_size_does_not_dilute_governance_failures(store: Any) -> None:
    # Counting findings, 64 dedicated products (each passing 4 product-level rules) used to lift the same six
    # governance failures to a far higher score than 4 products did. Each rule now counts once.
    big = _scores(store, SIX_MANDATORY_FAILURES, products=64)
    small = _scores(store, SIX_MANDATORY_FAILURES, products=4)
    for large, few in zip(big, small, strict=True):
        assert _rules(large)["IC08-TARGET-GROUPS"] == (64, 64, "100")
        assert _rules(few)["IC08-TARGET-GROUPS"] == (4, 4, "100")
        # (3 * 7 + 2*3 + 1*5) / 50 = 32 / 50
        assert large["compliance"] == few["compliance"] == "64"
        failed = [r["rule_id"] for r in large["breakdown"]["compliance"]["rules"] if r["failed"]]
        assert len(failed) == 6 and all(r.startswith(("IC10-", "IC20-")) for r in failed)


def test_blocking_failure_is_flagged_whatever_the_score(store: Any) -> None:
    for score in _scores(store, {"/solvency/2/irr_class": "C"}):
        assert score["blocking"] is True
        compliance = score["breakdown"]["compliance"]
        assert compliance["blocking_failures"] == ["IC19-SOLVENCY-GATE"]
        assert compliance["blocking_undetermined"] == []
        assert [r["status"] for r in compliance["blocking_reasons"]] == ["fail"]
        assert Decimal(score["compliance"]) > 90  # a high score does not hide the blocking failure
        assert (score["band"], compliance["score_band"]) == ("poor", "good")


def test_indeterminate_solvency_gate_is_blocking_until_shown_otherwise(store: Any) -> None:
    for score in _scores(store, {"/solvency": []}):  # dedicated products on sale, no solvency figures
        compliance = score["breakdown"]["compliance"]
        assert score["blocking"] is True
        assert compliance["blocking_failures"] == []
        assert compliance["blocking_undetermined"] == ["IC19-SOLVENCY-GATE"]
        (reason,) = compliance["blocking_reasons"]
        assert reason["status"] == "indeterminate"
        assert "could not be determined" in reason["en"] and "无法判定" in reason["zh"]
        assert _rules(score)["IC19-SOLVENCY-GATE"] == (0, 4, "0")  # and it counts as not passed
        assert Decimal(score["compliance"]) == Decimal("94")  # (3*12 + 2*3 + 1*5) / 50 = 47 / 50


def _period_2023() -> dict[str, Any]:
    return {
        "/reporting_period": "2023",
        **{f"/solvency/{q - 1}/quarter": f"2023-Q{q}" for q in range(1, 5)},
        "/intermediaries/0/agreement_start": "2023-01-01",
        "/intermediaries/0/agreement_end": "2023-12-31",
        "/governance/board_reviews": ["2023-03-28"],
        "/governance/management_reviews": ["2023-06-30"],
        "/products/0/sale_start": "2022-06-01",
    }


def test_nothing_applicable_is_not_scored_never_100(store: Any) -> None:
    # Every rule is in force from 2024-05-29; a 2023 period has nothing to apply. With a scoring method dated
    # earlier, the document is not scored because no rule applied.
    ruleset = _ruleset({"/scoring/from": date(2020, 1, 1)})
    for results in _results(store, _doc(_period_2023()), ruleset):
        sub = results.model_dump(mode="json")["submissions"][0]
        assert {f["status"] for f in sub["findings"]} == {"not_applicable"}
        score = sub["score"]
        assert score["compliance"] is None and score["band"] == "none" and score["blocking"] is False
        assert score["not_scored"] == NOTHING_APPLIED
        assert score["breakdown"]["compliance"]["score"] is None
        assert score["breakdown"]["compliance"]["not_scored"]["zh"] == "未评分：本文件无适用规则"
        assert "not scored: no rule applied to this document" in text.render(results)
        assert "未评分" in text.render(results, "zh")
        page = html.render(results, "both")
        assert "not scored" in page and "未评分" in page
        assert "band-none" in page


def test_scoring_method_is_dated(store: Any) -> None:
    # The shipped scoring applies from the guidance's date: an earlier document is not scored, and says why.
    for score in _scores(store, _period_2023()):
        assert score["compliance"] is None and score["variety"] is None
        assert "applies from 2024-05-29" in score["not_scored"]["en"]
        assert "2024-05-29" in score["not_scored"]["zh"]


def test_bands_come_from_the_ruleset_into_the_report(store: Any) -> None:
    patch = {"/governance/leadership_system": False, "/service/online_claims": False}  # 92, see above
    shipped = _results(store, _doc(patch))
    stricter = _results(
        store,
        _doc({**patch, "/insurer/name": "Stricter bands"}),
        _ruleset({"/scoring/bands/good_at_least": 95, "/scoring/bands/fair_at_least": 80}),
    )
    for pair, band, good in ((shipped, "good", "90"), (stricter, "fair", "95")):
        for results in pair:
            sub = results.model_dump(mode="json")["submissions"][0]
            assert sub["score"]["band"] == band
            assert results.run.scoring and results.run.scoring["bands"]["good_at_least"] == good
            page = html.render(results, "en")
            assert f'<div class="big band-{band}">92<small> / 100</small></div>' in page
            assert f"Bars: ≥ {good} green" in page
            assert f"compliance 92/100 ({band})" in text.render(results)


def test_every_renderer_shows_not_scored_and_never_crashes(store: Any, tmp_path: Any) -> None:
    ruleset = _ruleset({"/scoring/from": date(2020, 1, 1)})
    scored = _results(store, _doc({"/insurer/name": "Scored"}))[1]
    for results in _results(store, _doc(_period_2023()), ruleset):
        assert json.loads(results.model_dump_json())["submissions"][0]["score"]["compliance"] is None
        assert '<property name="compliance_score" value="not scored" />' in junit.render(results)
        assert "no rule applied to this document" in junit.render(results)
        sarif.render(results), github.render(results)  # no score shown there; no crash either
        tabular.render_csv(results)
        page = html.render(results, "zh")
        assert page.count("未评分") >= 3  # the insurers table, the score chart and the scorecard
        chart = page[page.index('<svg id="chart-scores"') :]
        assert "未评分" in chart[: chart.index("</svg>")]
        path = tmp_path / "scores.xlsx"
        tabular.write_xlsx(results, str(path))
        sheet = load_workbook(path)["scores"]
        header = [c.value for c in sheet[1]]
        row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
        assert (row["compliance"], row["band"]) == ("not scored", "none")
        assert row["not_scored"] == "not scored: no rule applied to this document"
        # diff: the same document scored before and not scored now
        before = results.model_dump(mode="json")
        before["submissions"][0]["score"] = scored.model_dump(mode="json")["submissions"][0]["score"]
        diff = diff_results(Results.model_validate(before), results)
        (entry,) = diff.model_dump(mode="json")["scores"]
        assert entry["compliance"] == {"before": "100", "after": None, "change": None}
        assert entry["not_scored_after"] == NOTHING_APPLIED and entry["not_scored_before"] is None
        assert "compliance 100 -> not scored" in render_text(diff)
        assert "compliance 100 -> 未评分" in render_text(diff, "zh")


def test_migration_0005_not_scored_rows_down_and_up(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    ruleset = _ruleset({"/scoring/from": date(2020, 1, 1)})
    _results(engine, _doc(_period_2023()), ruleset)
    query = select(t.scores.c.compliance).order_by(t.scores.c.id)
    with engine.connect() as conn:
        assert list(conn.execute(query).scalars()) == [None]
    # 0004 had no "not scored": downgrading writes the old meaning (100) so that NOT NULL can return
    downgrade(engine, "0004")
    with engine.connect() as conn:
        assert list(conn.execute(query).scalars()) == [Decimal(100)]
    upgrade(engine)
    with engine.connect() as conn:
        assert list(conn.execute(query).scalars()) == [Decimal(100)]
    engine.dispose()


def test_a_run_scored_before_rules_were_weighted_still_renders(store: Any) -> None:
    """Runs stored before this scoring: their ruleset text has no dated, banded scoring section and their
    breakdown counts findings per strength. Reports still render them; findings keep their citations."""
    old_scoring = (
        "scoring:\n  strength_weights: {mandatory: 3, principle: 2, encouraged: 1, flag: 0}\n"
        "  blocking_rules: [IC19-SOLVENCY-GATE]\n"
    )
    old_text = RULESET.text[: RULESET.text.index("\nscoring:") + 1] + old_scoring
    old_breakdown = {
        "compliance": {
            "score": "92.86",
            "blocking_failures": [],
            "counts": "findings",
            "by_strength": {"mandatory": {"weight": "3", "passed": 14, "counted": 15}},
        },
        "indicators": None,
    }
    _results(store, _doc({"/insurer/name": "Old run"}))
    with store.begin() as conn:
        run_id = conn.execute(select(func.max(t.runs.c.id))).scalar_one()
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(ruleset_text=old_text))
        conn.execute(
            update(t.scores)
            .where(t.scores.c.run_id == run_id)
            .values(breakdown=json.dumps(old_breakdown), variety=None, coverage=None, protection=None, service=None)
        )
    with store.connect() as conn:
        results = run_results(conn, run_id)
    sub = results.model_dump(mode="json")["submissions"][0]
    assert results.run.scoring is None and sub["score"]["band"] == "none"
    assert all(f["parameters"] for f in sub["findings"] if f["rule_id"] == "IC19-SOLVENCY-GATE")
    page = html.render(results, "en")
    assert "sets no score bands" in page and '<td class="num">14</td>' in page
    assert "compliance 100/100" in text.render(results)
    junit.render(results), tabular.score_rows(results.model_dump(mode="json"))


def test_a_deactivated_rule_does_not_count_and_a_strength_change_reweighs_it(store: Any) -> None:
    """Deactivation and strength are ruleset data: from their date, a deactivated rule's findings are not
    applicable and leave the score; a rule read as encouraged weighs 1 instead of 3."""
    off = _ruleset(
        {
            "/rules/IC10-LEADERSHIP/deactivated": {
                "citation": "supervisory notice (example)",
                "values": [{"from": "2025-10-01", "value": "under review"}],
            }
        }
    )
    for score in _scores(store, {"/governance/leadership_system": False}, ruleset=off):
        assert "IC10-LEADERSHIP" not in _rules(score)
        assert score["breakdown"]["compliance"]["by_strength"]["mandatory"]["rules"] == 12
        assert Decimal(score["compliance"]) == Decimal("100")
    weaker = _ruleset({"/rules/IC10-LEADERSHIP/strength/values/-": {"from": "2025-10-01", "value": "encouraged"}})
    for score in _scores(store, {"/governance/leadership_system": False}, ruleset=weaker):
        assert _rules(score)["IC10-LEADERSHIP"] == (0, 1, "0")
        rule = next(r for r in score["breakdown"]["compliance"]["rules"] if r["rule_id"] == "IC10-LEADERSHIP")
        assert (rule["strength"], rule["weight"]) == ("encouraged", "1")
        # (3*12 + 2*3 + 1*5) / (3*12 + 2*3 + 1*6) = 47 / 48
        assert score["breakdown"]["compliance"]["earned"] == "47"
        assert score["breakdown"]["compliance"]["possible"] == "48"
