"""The hand-worked market of ningbo_helpers on both backends: region and line rows from their own figures with
premium-weighted scores, Ningbo as a flagged row inside Zhejiang, --by prefecture, the region x line cross-tab,
annual and quarterly series, year-on-year panels, depth and density from reference figures, targets and gaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ningbo_helpers import write

from inclusive_check.cli import cli

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def ningbo_db(db_url: str, tmp_path: Path) -> str:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_url, "ingest", str(write(tmp_path / "market"))])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--db", db_url, "run", "--exit-zero", "--format", "json"])
    assert result.exit_code == 0, result.output[:2000]
    return db_url


def _market(db_url: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--db", db_url, "market", "--format", "json", *args])
    assert result.exit_code == 0, result.output[:2000]
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def _rows(payload: dict[str, Any], period: str, *fields: str, which: str = "rows") -> dict[str, tuple[Any, ...]]:
    return {r["key"]: tuple(r[f] for f in fields) for r in payload[which] if r["period"] == period}


def test_region_rows_weigh_scores_by_premium_and_list_ningbo_inside_zhejiang(ningbo_db: str) -> None:
    payload = _market(ningbo_db, "--period", "2025")
    figures = ("insurers", "policies", "insured_persons", "premium_cny", "claims_paid_cny", "loss_ratio")
    assert _rows(payload, "2025", *figures) == {
        "110000": (3, 750, 1_810_000, "750000", "345000", "0.4600"),
        "330000": (3, 1850, 5_210_000, "1650000", "765000", "0.4636"),  # NB-C direct + NB-A's and NB-B's Ningbo
        "330200": (2, 1800, 5_200_000, "1500000", "660000", "0.4400"),
        "440000": (1, 500, 1_000_000, "400000", "200000", "0.5000"),
    }
    # Zhejiang's coverage: (100 x 1.2M + 80 x 0.3M + 40 x 0.15M) / 1.65M = 90.91 (the unweighted mean: 73.33);
    # protection (80 x 1.2 + 30 x 0.3 + 100 x 0.15) / 1.65 = 72.73; variety (45 x 1.2 + 35 x 0.45) / 1.65 = 42.27.
    scores = ("coverage", "protection", "variety", "service", "index", "scores_basis", "weight")
    rows = _rows(payload, "2025", *scores)
    assert rows["330000"] == ("90.91", "72.73", "42.27", "100.00", "76.48", "weighted", "premium_cny")
    assert rows["330200"][:2] == ("96.00", "70.00")  # (100 x 1.2M + 80 x 0.3M) / 1.5M; (80 x 1.2 + 30 x 0.3) / 1.5
    assert rows["110000"][0] == "82.67"  # (100 x 0.4 + 80 x 0.2 + 40 x 0.15) / 0.75
    flags = _rows(payload, "2025", "parent", "separately_listed", "name")
    assert flags["330200"] == ("330000", True, {"en": "宁波市", "zh": "宁波市"})
    assert flags["330000"][:2] == (None, False)
    assert payload["method"]["row_weight"] == "premium_cny" and payload["method"]["row_weight_interpretation"]


def test_line_rows_and_the_cross_tab(ningbo_db: str) -> None:
    payload = _market(ningbo_db, "--by", "line", "--period", "2025")
    fields = ("insurers", "policies", "premium_cny", "loss_ratio", "coverage", "protection", "scores_basis")
    assert _rows(payload, "2025", *fields) == {
        "accident": (1, 1500, "1000000", "0.6000", "100.00", "80.00", "weighted"),
        "health": (2, 1500, "1500000", "0.3333", "93.33", "63.33", "weighted"),  # (100 x 1M + 80 x 0.5M) / 1.5M
        "agriculture": (1, 100, "300000", "0.7000", "40.00", "100.00", "weighted"),
    }
    cells = {(c["region"], c["line"]): c for c in payload["crosstab"] if c["period"] == "2025"}
    # NB-A's Zhejiang figures shared over its lines by each figure's line shares (policies 0.6/0.4, insured 2/3 and
    # 1/3, premium 0.5/0.5, claims 0.6/0.4); NB-B's are all health, NB-C's all agriculture.
    health = cells[("330000", "health")]
    assert (health["insurers"], health["policies"], health["insured_persons"], health["premium_cny"]) == (
        2, "900", "2533333.33", "900000"
    )  # fmt: skip
    assert health["claims_paid_cny"] == "300000" and health["basis"] == "allocated"
    accident = cells[("330000", "accident")]
    assert (accident["policies"], accident["insured_persons"], accident["premium_cny"]) == (
        "900", "2666666.67", "600000"
    )  # fmt: skip
    assert cells[("330000", "agriculture")]["premium_cny"] == "150000"
    assert cells[("440000", "accident")]["premium_cny"] == "200000"
    assert ("440000", "agriculture") not in cells


def test_prefecture_rows(ningbo_db: str) -> None:
    payload = _market(ningbo_db, "--by", "prefecture")
    keys = {(r["period"], r["key"], r["parent"], r["separately_listed"], r["insurers"]) for r in payload["rows"]}
    assert keys == {
        ("2024", "330200", "330000", True, 2),
        ("2025", "330200", "330000", True, 2),
        ("2025-Q4", "330200", "330000", True, 1),
    }  # provinces reported directly have no prefecture row


def test_annual_and_quarterly_series_and_period_as_run_means_it(ningbo_db: str) -> None:
    every = _market(ningbo_db)
    assert every["periods"] == ["2024", "2025", "2025-Q4"]  # the annual series, then the quarterly
    trend = [(r["period"], r["series"], r["insurers"], r["policies"], r["premium_cny"]) for r in every["market"]]
    assert trend == [
        ("2024", "annual", 2, 3000, "2000000"),
        ("2025", "annual", 3, 3100, "2800000"),
        ("2025-Q4", "quarterly", 1, 2500, "500000"),
    ]
    year = _market(ningbo_db, "--period", "2025")
    assert year["periods"] == ["2025", "2025-Q4"]  # as `run --period 2025`: the year's quarters too
    noted = CliRunner().invoke(cli, ["--db", ningbo_db, "market", "--period", "2025-Q4"])
    assert "--period 2025-Q4 leaves out 3 document(s)" in noted.output and "NB-A 2025" in noted.output  # as run
    public = CliRunner().invoke(cli, ["--db", ningbo_db, "market", "--public", "--period", "2025-Q4"])
    assert "leaves out 3 document(s)" in public.output and "NB-A" not in public.output
    quarter = _market(ningbo_db, "--period", "2025-Q4")
    assert quarter["periods"] == ["2025-Q4"] and {r["series"] for r in quarter["rows"]} == {"quarterly"}


def test_year_on_year_over_a_fixed_named_panel(ningbo_db: str) -> None:
    [yoy] = _market(ningbo_db)["year_on_year"]  # 2025-Q4 has no 2024-Q4: no comparison
    assert (yoy["period"], yoy["previous"], yoy["panel"], yoy["panel_size"]) == ("2025", "2024", ["NB-A", "NB-B"], 2)
    assert yoy["current"] == {"policies": 3000, "insured_persons": 8_000_000, "premium_cny": "2500000",
                              "claims_paid_cny": "1100000"}  # fmt: skip
    assert yoy["before"]["premium_cny"] == "2000000" and yoy["before"]["claims_paid_cny"] == "840000"
    # The whole market grew 40% (2.0M -> 2.8M) only because NB-C joined; the panel grew 25%.
    assert _market(ningbo_db, "--period", "2025")["year_on_year"] == [yoy]  # 2024 is read though not shown
    assert yoy["change"] == {"policies": "0.0000", "insured_persons": "0.0000", "premium_cny": "0.2500",
                             "claims_paid_cny": "0.3095"}  # fmt: skip


def _import(db_url: str, kind: str, path: Path, *extra: str) -> Any:
    return CliRunner().invoke(cli, ["--db", db_url, kind, "import", str(path), *extra])


def test_depth_density_and_targets(ningbo_db: str, tmp_path: Path) -> None:
    reference = tmp_path / "ref.yaml"
    reference.write_text(
        "kind: reference\nvalues:\n  - region: '330200'\n    year: 2025\n"
        "    population: {value: 10000000, source: test census}\n"
        "    gdp_cny: {value: 1100000000000, source: test accounts}\n"
        "    market_premium_cny: {value: 44000000000, source: test bureau}\n",
        "utf-8",
    )
    assert _import(ningbo_db, "reference", reference).exit_code == 0
    assert _import(ningbo_db, "targets", SAMPLES / "targets" / "ningbo-2025.yaml").exit_code == 0
    payload = _market(ningbo_db, "--period", "2025", "--targets")
    ningbo = _rows(payload, "2025", "depth", "density", "market_depth", "market_density")["330200"]
    assert ningbo == ("0.000001", "0.15", "0.04", "4400")  # 1.5M / 1.1T, 1.5M / 10M, 44bn / 1.1T, 44bn / 10M
    assert _rows(payload, "2025", "depth")["330000"] == (None,)  # no reference figures for Zhejiang
    assert {(v["indicator"], v["source"]) for v in payload["reference"]} == {
        ("population", "test census"), ("gdp_cny", "test accounts"), ("market_premium_cny", "test bureau")
    }  # fmt: skip
    gaps = {g["indicator"]: (g["value"], g["value_year"], g["target"], g["gap"]) for g in payload["targets"]}
    assert gaps == {
        "market_premium_cny": ("44000000000", 2025, "65000000000", "21000000000"),
        "market_depth": ("0.04", 2025, "0.035", "-0.005"),
        "market_density": ("4400", 2025, "6200", "1800"),
    }


def test_ningbo_samples_give_the_plans_2025_gaps(ningbo_db: str) -> None:
    assert _import(ningbo_db, "reference", SAMPLES / "reference" / "ningbo-2020.yaml").exit_code == 0
    assert _import(ningbo_db, "targets", SAMPLES / "targets" / "ningbo-2025.yaml").exit_code == 0
    payload = _market(ningbo_db, "--targets")
    gaps = {g["indicator"]: (g["value"], g["value_year"], g["gap"]) for g in payload["targets"]}
    # The plan's 2020 figures: 390.72 亿元, depth 3.15%, density 4,155 元/人; its 2025 targets 650 亿元, 3.5%, 6,200.
    assert gaps == {
        "market_premium_cny": ("39072000000", 2020, "25928000000"),
        "market_depth": ("0.0315", 2020, "0.0035"),
        "market_density": ("4155", 2020, "2045"),
    }
    assert all("十四五" in g["citation"] for g in payload["targets"])
    text = CliRunner().invoke(cli, ["--db", ningbo_db, "market", "--targets", "--lang", "zh"])
    assert text.exit_code == 0 and "目标" in text.output and "25928000000" in text.output


def test_reference_history_and_located_errors(ningbo_db: str, tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    line = "kind: reference\nvalues:\n  - {region: '330200', year: 2024, population: {value: %s, source: %s}}\n"
    first.write_text(line % (1, "x"))
    assert "1 new" in _import(ningbo_db, "reference", first).output
    assert "1 unchanged" in _import(ningbo_db, "reference", first).output
    first.write_text(line % (2, "y"))
    assert "1 changed" in _import(ningbo_db, "reference", first).output
    shown = CliRunner().invoke(cli, ["--db", ningbo_db, "reference", "history", "--format", "json"])
    history = json.loads(shown.output)
    assert [(h["value"], h["source"], h["version"], h["latest"]) for h in history] == [("1", "x", 1, False),
                                                                                       ("2", "y", 2, True)]  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: targets\ntargets:\n  - region: '650300'\n    indicator: market_depth\n    year: 2025\n"
                   "    value: 3.5\n    citation: c\n")  # fmt: skip
    result = _import(ningbo_db, "targets", bad)
    assert result.exit_code == 3, result.output
    assert "bad.yaml:3:" in result.output and "/targets/0/region" in result.output and "650300" in result.output
    assert "/targets/0/value" in result.output and "Traceback" not in result.output
    missing = tmp_path / "m.yaml"
    missing.write_text("kind: reference\nvalues:\n  - {region: '330200', year: 2024}\n")
    assert _import(ningbo_db, "reference", missing).exit_code == 3


def test_reference_and_targets_schemas_are_published() -> None:
    for kind in ("reference", "targets", "public-market"):
        result = CliRunner().invoke(cli, ["schema", kind])
        assert result.exit_code == 0, result.output
        shipped = Path(__file__).resolve().parents[2] / "src" / "inclusive_check" / "contract" / "schemas"
        assert result.output == (shipped / f"{kind}.schema.json").read_text("utf-8")
