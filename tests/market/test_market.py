"""`inclusive-check market` on the hand-worked market of market_helpers (SQLite and PostgreSQL): region sums, per-line
counts, institution groups, ownership, percentiles among peers and a trend over three periods; its formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from market_helpers import write_market

from inclusive_check.cli import cli


@pytest.fixture
def market_db(db_url: str, tmp_path: Path) -> str:
    """The hand-worked market ingested and run (scored) on each backend."""
    runner = CliRunner()
    folder = write_market(tmp_path / "market")
    result = runner.invoke(cli, ["--db", db_url, "ingest", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--db", db_url, "run", "--exit-zero", "--format", "json"])
    assert result.exit_code == 0, result.output[:2000]
    return db_url


def _market(db_url: str, *args: str, check: Any = None) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--db", db_url, "market", "--format", "json", *args])
    assert result.exit_code == 0, result.output[:2000]
    payload: dict[str, Any] = json.loads(result.output)
    if check is not None:
        check(payload)
    return payload


def _rows(payload: dict[str, Any], period: str, *fields: str, which: str = "rows") -> dict[str, tuple[Any, ...]]:
    return {r["key"]: tuple(r[f] for f in fields) for r in payload[which] if r["period"] == period}


def test_region_sums_add_prefectures_into_their_province(market_db: str, published_schema_check: Any) -> None:
    payload = _market(market_db, "--by", "region", check=published_schema_check)
    assert payload["periods"] == ["2024", "2025", "2026"]
    fields = ("insurers", "policies", "insured_persons", "premium_cny", "claims_paid_cny", "loss_ratio")
    # 440000: MK-A's 440100 and 440300 (2000 + 1000 policies) with MK-B's province figure (300); MK-C files none.
    assert _rows(payload, "2025", *fields) == {
        "110000": (1, 1000, 500_000, "100000", "50000", "0.5000"),
        "440000": (2, 3300, 4_100_000, "1300000", "650000", "0.5000"),
        "440300": (1, 1000, 1_000_000, "200000", "100000", "0.5000"),  # Shenzhen: listed separately, inside 440000
    }
    assert [r["name"] for r in payload["rows"] if r["period"] == "2025"] == [
        {"en": "北京市", "zh": "北京市"},
        {"en": "广东省", "zh": "广东省"},
        {"en": "深圳市", "zh": "深圳市"},
    ]
    flags = {r["key"]: (r["parent"], r["separately_listed"]) for r in payload["rows"] if r["period"] == "2025"}
    assert flags == {"110000": (None, False), "440000": (None, False), "440300": ("440000", True)}


def test_per_line_counts_only_inclusive_products(market_db: str) -> None:
    payload = _market(market_db, "--by", "line", "--period", "2025")
    fields = ("inclusive_products", "insurers", "policies", "insured_persons", "premium_cny", "claims_paid_cny")
    assert _rows(payload, "2025", *fields) == {
        "accident": (1, 1, 3000, 4_000_000, "1000000", "600000"),  # A-STD (not inclusive) left out
        "agriculture": (1, 1, 100, 20_000, "300000", "210000"),
        "health": (2, 2, 2500, 2_200_000, "1500000", "500000"),
    }
    assert payload["periods"] == ["2025"]
    assert {r["period"] for r in payload["market"]} == {"2025"}


def test_institution_groups_and_ownership_follow_the_ruleset_and_item_9(market_db: str) -> None:
    by_group = _market(market_db, "--by", "category", "--period", "2025")
    assert _rows(by_group, "2025", "insurers", "insured_persons", "coverage") == {
        "property": (1, 6_000_000, "100.00"),
        "specialist_health": (1, 200_000, "60.00"),
        "specialist_agricultural": (1, 20_000, "40.00"),
    }
    by_owner = _market(market_db, "--by", "ownership", "--period", "2025")
    assert _rows(by_owner, "2025", "insurers", "insured_persons", "coverage", "variety", "protection") == {
        "state_owned": (2, 6_020_000, "70.00", "40.00", "90.00"),  # MK-A and MK-C: (100+40)/2, (45+35)/2, (80+100)/2
        "other": (1, 200_000, "60.00", "35.00", "30.00"),
    }


def test_percentiles_among_the_periods_peers(market_db: str) -> None:
    peers = {(p["period"], p["insurer"]): p for p in _market(market_db)["peers"]}
    assert set(peers) == {
        ("2024", "MK-A"), ("2024", "MK-B"),
        ("2025", "MK-A"), ("2025", "MK-B"), ("2025", "MK-C"),
        ("2026", "MK-A"), ("2026", "MK-B"), ("2026", "MK-C"),
    }  # fmt: skip
    a, b, c = (peers[("2025", code)] for code in ("MK-A", "MK-B", "MK-C"))
    assert (a["variety"], a["coverage"], a["protection"], a["service"], a["index"]) == (
        "45.00", "100.00", "80.00", "100.00", "81.25"
    )  # fmt: skip
    # coverage 100 > 60 > 40; variety 45 > 35 = 35 (a tie shares the higher share); protection 100 > 80 > 30
    assert a["percentiles"] == {"variety": "100.00", "coverage": "100.00", "protection": "66.67", "service": "100.00"}
    assert b["percentiles"] == {"variety": "66.67", "coverage": "66.67", "protection": "33.33", "service": "100.00"}
    assert c["percentiles"] == {"variety": "66.67", "coverage": "33.33", "protection": "100.00", "service": "100.00"}
    assert a["positions"]["coverage"] == "leading" and c["positions"]["coverage"] == "middle"
    assert peers[("2024", "MK-B")]["percentiles"]["coverage"] == "50.00"  # two peers in 2024
    assert (b["group"], b["state_owned"], c["group"]) == ("specialist_health", False, "specialist_agricultural")


def test_trend_of_the_market_and_of_one_insurer_over_three_periods(market_db: str) -> None:
    payload = _market(market_db, "--by", "insurer", "--insurer", "MK-B")
    trend = {r["period"]: (r["insurers"], r["insured_persons"], r["coverage"], r["scored"]) for r in payload["market"]}
    assert trend == {
        "2024": (2, 6_200_000, "80.00", 2),
        "2025": (3, 6_220_000, "66.67", 3),
        "2026": (3, 8_020_000, "73.33", 3),  # MK-B's 2,000,000 insured: coverage 80
    }
    mine = [(r["period"], r["key"], r["insured_persons"], r["coverage"]) for r in payload["rows"]]
    assert mine == [("2024", "MK-B", 200_000, "60.00"), ("2025", "MK-B", 200_000, "60.00"),
                    ("2026", "MK-B", 2_000_000, "80.00")]  # fmt: skip
    assert {p["insurer"] for p in payload["peers"]} == {"MK-B"}
    assert payload["peers"][-1]["percentiles"]["coverage"] == "66.67"  # 2026: 100, 80, 40
    # The compliance of each period is the mean of its scored submissions' (from the latest run's scores).
    peers = _market(market_db)["peers"]
    for row in payload["market"]:
        mine_c = [p["compliance"] for p in peers if p["period"] == row["period"]]
        assert row["compliance"] is not None
        assert abs(float(row["compliance"]) - sum(map(float, mine_c)) / len(mine_c)) < 0.006


def test_formats_text_csv_xlsx_html(market_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", market_db, "market", "--by", "line", "--period", "2025"]
    text = runner.invoke(cli, [*base, "--lang", "zh"])
    assert text.exit_code == 0, text.output
    assert "按险种（领域）" in text.output and "健康险" in text.output and "农业保险" in text.output
    out = tmp_path / "out"
    written = runner.invoke(
        cli,
        [*base, "--format", "csv", "--output", f"xlsx={out / 'm.xlsx'}", "--output", f"html={out / 'm.html'}",
         "--output", f"json={out / 'm.json'}"],
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    rows = list(csv.DictReader(io.StringIO(written.output.lstrip("\ufeff"))))
    assert [(r["key"], r["inclusive_products"], r["name_zh"]) for r in rows] == [
        ("accident", "1", "意外险"),
        ("agriculture", "1", "农业保险"),
        ("health", "2", "健康险"),
    ]
    from openpyxl import load_workbook

    book = load_workbook(out / "m.xlsx")
    assert book.sheetnames == ["rows", "market", "peers", "crosstab", "year_on_year"]  # 2025 against 2024
    header = [c.value for c in book["rows"][1]]
    health = next(r for r in book["rows"].iter_rows(min_row=2, values_only=True) if r[header.index("key")] == "health")
    assert health[header.index("insured_persons")] == 2_200_000
    assert float(health[header.index("premium_cny")]) == 1_500_000  # a numeric cell
    page = (out / "m.html").read_text("utf-8")
    assert "<script" not in page and 'id="chart-market-trend"' in page and 'id="chart-peers"' in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert json.loads((out / "m.json").read_text("utf-8"))["rows"] == _market(market_db, "--by", "line", "--period",
                                                                                    "2025")["rows"]  # fmt: skip


def test_audit_report_has_the_market_section(market_db: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["--db", market_db, "report", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    section = page[page.index('<section id="market"') : page.index('<section id="dispensations"')]
    assert 'data-key="440000"' in section and "广东省" in section
    assert section.count("<polyline") >= 6  # compliance, index and four indicators over three periods
    assert "<script" not in section


def test_usage_errors_are_plain(market_db: str, db_url: str) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["--db", market_db, "market", "--insurer", "NOPE"])
    assert unknown.exit_code == 2 and "no insurer 'NOPE' is stored" in unknown.output
    period = runner.invoke(cli, ["--db", market_db, "market", "--period", "2031"])
    assert period.exit_code == 2 and "no submission is stored for period 2031" in period.output
    xlsx = runner.invoke(cli, ["--db", market_db, "market", "--format", "xlsx"])
    assert xlsx.exit_code == 2 and "--output xlsx=PATH" in xlsx.output
    bad = runner.invoke(cli, ["--db", market_db, "market", "--period", "25"])
    assert bad.exit_code == 2 and "expected a year" in bad.output


def test_the_market_schema_is_published() -> None:
    result = CliRunner().invoke(cli, ["schema", "market"])
    assert result.exit_code == 0
    shipped = Path(__file__).resolve().parents[2] / "src" / "inclusive_check" / "contract" / "schemas"
    assert result.output == (shipped / "market.schema.json").read_text("utf-8")
    assert json.loads(result.output)["properties"]["schema"]["const"] == "inclusive-check/market/2"
