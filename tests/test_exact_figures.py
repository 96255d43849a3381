"""Figures are the decimals the document writes, never a binary float's: one unit in the last place (17 and more
significant digits) on each side of every numeric threshold the rules use, from the document's text (JSON and
YAML alike) through ingest, a stored run on SQLite and PostgreSQL, and the results and reports read from it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from inclusive_check.contract.load import parse_bytes
from inclusive_check.engine import Selection, execute_run
from inclusive_check.reports import render_results
from inclusive_check.reports.tabular import render_csv, write_xlsx
from inclusive_check.results import run_results
from inclusive_check.store.ingest import ingest_one
from rulecases import apply_patch, base, to_json

D = Decimal
WEIGHT, ASSETS = "/governance/inclusive_kpi_weight", "/insurer/total_assets_cny"
CORE, COMPREHENSIVE = "/solvency/2/core_ratio_pct", "/solvency/2/comprehensive_ratio_pct"
OWN_PREMIUM, THEIR_PREMIUM = "/products/0/premium_rate", "/products/0/comparable/premium_rate"
OWN_FEE, THEIR_FEE = "/products/0/intermediary_fee_rate", "/products/0/comparable/intermediary_fee_rate"

# (rule, patch, the finding's subject, its status, a text the finding's actual must contain)
CASES = [
    # item 10: a large insurer's assessment weight, at least 5%
    ("IC10-KPI-WEIGHT", {WEIGHT: D("0.049999999999999999")}, WEIGHT, "fail", "4.9999999999999999%"),
    ("IC10-KPI-WEIGHT", {WEIGHT: D("0.050000000000000001")}, WEIGHT, "pass", "5.0000000000000001%"),
    ("IC10-KPI-WEIGHT", {WEIGHT: D("0.05")}, WEIGHT, "pass", "5%"),
    # item 10: "large" by total assets of 500 billion CNY, when no size class is declared
    (
        "IC10-KPI-WEIGHT",
        {"/insurer/size_class": None, ASSETS: D("499999999999.99999999999"), WEIGHT: D("0.04")},
        "/insurer",
        "not_applicable",
        "499999999999.99999999999 CNY",
    ),
    (
        "IC10-KPI-WEIGHT",
        {"/insurer/size_class": None, ASSETS: D("500000000000.00000000001"), WEIGHT: D("0.04")},
        WEIGHT,
        "fail",
        "4%",
    ),
    # item 10: a weight of zero is no weight; a weight a unit above zero is one
    (
        "IC10-ASSESSMENT",
        {WEIGHT: D("0.00000000000000000000000000000000000001")},
        "/governance/assessment_includes_inclusive",
        "pass",
        "",
    ),
    ("IC10-ASSESSMENT", {WEIGHT: D("0.0000000000000000000")}, WEIGHT, "fail", "= 0%"),
    # item 19: solvency ratios, core at least 50%, comprehensive at least 100%
    ("IC19-SOLVENCY-GATE", {CORE: D("49.999999999999999")}, "/solvency/2", "fail", "core 49.999999999999999%"),
    ("IC19-SOLVENCY-GATE", {CORE: D("50.000000000000001")}, "/solvency/2", "pass", "core 50.000000000000001%"),
    (
        "IC19-SOLVENCY-GATE",
        {COMPREHENSIVE: D("99.999999999999999")},
        "/solvency/2",
        "fail",
        "comprehensive 99.999999999999999%",
    ),
    (
        "IC19-SOLVENCY-GATE",
        {COMPREHENSIVE: D("100.00000000000001")},
        "/solvency/2",
        "pass",
        "comprehensive 100.00000000000001%",
    ),
    # item 8: premium rate strictly lower than the comparable product's
    (
        "IC08-PREMIUM-RATE",
        {OWN_PREMIUM: D("0.0020000000000000001"), THEIR_PREMIUM: D("0.002")},
        OWN_PREMIUM,
        "fail",
        "0.20000000000000001%",
    ),
    (
        "IC08-PREMIUM-RATE",
        {OWN_PREMIUM: D("0.0019999999999999999"), THEIR_PREMIUM: D("0.002")},
        OWN_PREMIUM,
        "pass",
        "0.19999999999999999%",
    ),
    # item 12: intermediary fee rate strictly lower than the comparable product's
    (
        "IC12-FEE-RATE",
        {OWN_FEE: D("0.10000000000000001"), THEIR_FEE: D("0.1")},
        OWN_FEE,
        "fail",
        "10.000000000000001%",
    ),
    (
        "IC12-FEE-RATE",
        {OWN_FEE: D("0.099999999999999999"), THEIR_FEE: D("0.1")},
        OWN_FEE,
        "pass",
        "9.9999999999999999%",
    ),
]


class _Dumper(yaml.SafeDumper):
    pass


# a decimal as YAML writes a float, every digit and always with a point (YAML 1.1 reads 1E-20 as text)
_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", format(v, "f")))


def _texts(patch: dict[str, Any]) -> dict[str, bytes]:
    doc = apply_patch(base("submission"), patch)
    return {".json": to_json(doc), ".yaml": yaml.dump(doc, Dumper=_Dumper, allow_unicode=True).encode("utf-8")}


def _run(store: Any, text: bytes, suffix: str) -> Any:
    loaded = parse_bytes(text, f"doc{suffix}", suffix)
    assert loaded.ok, [p.as_dict() for p in loaded.problems]
    sid = ingest_one(store, loaded).submission_id
    assert sid is not None
    run_id = execute_run(store, _ruleset(), Selection(submission_ids=(sid,)), date(2026, 1, 1))
    with store.connect() as conn:
        return run_results(conn, run_id)


def _ruleset() -> Any:
    from inclusive_check.ruleset import load_ruleset

    return load_ruleset()


def _finding(results: Any, rule: str, subject: str) -> dict[str, Any]:
    findings = results.model_dump(mode="json")["submissions"][0]["findings"]
    found = [f for f in findings if f["rule_id"] == rule and f["subject"] == subject]
    assert len(found) == 1, [(f["rule_id"], f["subject"], f["status"]) for f in findings if f["rule_id"] == rule]
    return found[0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[3]}-{'-'.join(map(str, c[1].values()))}")
def test_a_unit_in_the_last_place_decides(case: Any, store: Any) -> None:
    rule, patch, subject, status, shown = case
    seen = []
    for suffix, text in _texts(patch).items():
        finding = _finding(_run(store, text, suffix), rule, subject)
        assert finding["status"] == status, (suffix, finding)
        assert shown in finding["actual"], (suffix, finding["actual"])
        seen.append({k: finding[k] for k in ("status", "expected", "actual", "value", "threshold", "margin")})
    assert seen[0] == seen[1]  # JSON and YAML: the same figures, the same verdict, the same words


def test_the_figures_of_a_finding_stay_apart_in_every_output(store: Any, tmp_path: Path) -> None:
    results = _run(store, _texts({WEIGHT: D("0.049999999999999999")})[".json"], ".json")
    finding = _finding(results, "IC10-KPI-WEIGHT", WEIGHT)
    assert finding["value"] == "0.049999999999999999"
    assert finding["threshold"] == "0.05"
    assert finding["margin"] == "-0.000000000000000001"
    assert finding["expected"] == ">= 5.0000000000000000%"
    assert finding["actual"] == "4.9999999999999999%"
    text = render_results("text", results, "en", show_passes=True)
    assert "4.9999999999999999%" in text and "5.0000000000000000%" in text
    for lang in ("en", "zh"):
        assert "4.9999999999999999%" in render_results("text", results, lang)
    assert json.loads(render_results("json", results))["submissions"][0]["findings"]  # exact strings, as above
    from inclusive_check.reports.html import render as render_html

    page = render_html(results, "both")
    assert "4.9999999999999999%" in page and "5.0000000000000000%" in page
    rows = [r for r in csv.DictReader(io.StringIO(render_csv(results))) if r["rule_id"] == "IC10-KPI-WEIGHT"]
    assert (rows[0]["value"], rows[0]["threshold"], rows[0]["margin"]) == (
        "0.049999999999999999",
        "0.05",
        "-0.000000000000000001",
    )
    from openpyxl import load_workbook

    path = tmp_path / "results.xlsx"
    write_xlsx(results, str(path))
    sheet = load_workbook(path)["findings"]
    header = [c.value for c in sheet[1]]
    cells = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in sheet.iter_rows(min_row=2)
        if row[header.index("rule_id")].value == "IC10-KPI-WEIGHT"
    ]
    assert cells[0]["value"] == "0.049999999999999999"  # more digits than a spreadsheet number keeps: text
    assert cells[0]["threshold"] == 0.05  # an ordinary figure stays a number


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("0.12345678901234567890123456789012345678901", "significant digits"),
        ("0." + "0" * 40 + "1", "decimal places"),
    ],
)
def test_a_figure_beyond_40_digits_is_a_located_problem(literal: str, message: str) -> None:
    for suffix, text in _texts({WEIGHT: D(literal)}).items():
        loaded = parse_bytes(text, f"doc{suffix}", suffix)
        assert not loaded.ok
        [problem] = loaded.problems
        assert problem.pointer == WEIGHT and message in problem.message and problem.line is not None, problem


@pytest.mark.parametrize(
    ("keyword", "bound", "inside", "outside"),
    [
        ("minimum", 0, "0", "-0.0000000000000000000001"),
        ("maximum", 1, "1", "1.0000000000000000000001"),
        ("exclusiveMinimum", "0.05", "0.0500000000000000000001", "0.05"),
        ("exclusiveMaximum", "0.05", "0.0499999999999999999999", "0.05"),
    ],
)
def test_the_schema_validator_judges_bounds_on_the_decimals(
    keyword: str, bound: Any, inside: str, outside: str
) -> None:
    import jsonschema

    schema = json.loads(f'{{"type": "number", "{keyword}": {bound}}}', parse_float=Decimal)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(Decimal(inside))
    assert not validator.is_valid(Decimal(outside))


def test_a_rate_a_unit_above_its_maximum_is_refused_where_it_is() -> None:
    for suffix, text in _texts({OWN_PREMIUM: D("1.0000000000000000000001")}).items():
        [problem] = parse_bytes(text, f"doc{suffix}", suffix).problems
        assert problem.pointer == OWN_PREMIUM and "maximum of 1" in problem.message and problem.line, problem


def test_migration_turns_stored_reals_into_the_decimals_that_were_filed(tmp_path: Path) -> None:
    from sqlalchemy import text

    from inclusive_check.store.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0017")  # figures were REAL then: the decimal text ingest writes is stored as one
    loaded = parse_bytes(_texts({OWN_PREMIUM: D("0.0012"), WEIGHT: D("0.05")})[".json"], "doc.json")
    sid = ingest_one(engine, loaded).submission_id
    query = text(
        "SELECT typeof(p.premium_rate), p.premium_rate, p.comparable_fee_rate, s.inclusive_kpi_weight, "
        "s.total_assets_cny FROM products p JOIN submissions s ON s.id = p.submission_id"
    )
    with engine.connect() as conn:
        assert conn.execute(query).one()[0] == "real"
    upgrade(engine)
    with engine.connect() as conn:
        assert tuple(conn.execute(query).one()) == ("text", "0.0012", "0.1", "0.05", "600000000000")
    assert sid is not None
    run_id = execute_run(engine, _ruleset(), Selection(submission_ids=(sid,)), date(2026, 1, 1))
    with engine.connect() as conn:
        assert _finding(run_results(conn, run_id), "IC10-KPI-WEIGHT", WEIGHT)["actual"] == "5%"
    engine.dispose()
