"""The public view (``market --public``, the portal's /public/market) on the hand-worked market of ningbo_helpers,
on both backends: which cells are withheld and why, an attacker who solves the published tables' sums for the
withheld cells and recovers nothing (and who does recover a cell when complementary suppression is undone), no
insurer named anywhere, CSV download, and the unauthenticated page's handling of bad input."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ningbo_helpers import documents, write

from inclusive_check.cli import cli

FIGURES = ("policies", "insured_persons", "premium_cny", "claims_paid_cny")
SECRETS = ("NB-A", "NB-B", "NB-C", "NB-A insurer", "A-ACC", "B-HLT", "C-AGR")


@pytest.fixture
def public_db(db_url: str, tmp_path: Path) -> str:
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "ingest", str(write(tmp_path / "market"))]).exit_code == 0
    assert runner.invoke(cli, ["--db", db_url, "run", "--exit-zero", "--format", "json"]).exit_code == 0
    return db_url


def _public(db_url: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--db", db_url, "market", "--public", "--format", "json", *args])
    assert result.exit_code == 0, result.output[:2000]
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def _cells(payload: dict[str, Any], period: str) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    return {(c["table"], c["key"], c["parent"]): c for c in payload["cells"] if c["period"] == period}


def test_small_and_dominated_cells_are_withheld_with_complementary_cells(public_db: str) -> None:
    payload = _public(public_db)
    assert payload["method"]["min_insurers"] == 3 and payload["method"]["dominance_percent"] == "85"
    assert payload["method"]["interpretation"] is True and "向社会通报" in payload["method"]["citation"]
    cells = _cells(payload, "2025")
    assert {k: c["suppressed"] for k, c in cells.items()} == {
        ("market", "market", None): None,
        ("region", "110000", None): "complementary",  # else market - Zhejiang - Beijing = Guangdong
        ("region", "330000", None): None,
        ("region", "440000", None): "primary",  # NB-A alone
        ("city", "330200", "330000"): "primary",  # NB-A and NB-B only
        ("city", "other", "330000"): "primary",  # the rest of Zhejiang: NB-C alone
        ("line", "accident", None): "primary",
        ("line", "agriculture", None): "primary",
        ("line", "health", None): "primary",
    }
    zhejiang = cells[("region", "330000", None)]
    assert tuple(zhejiang[f] for f in ("insurers", *FIGURES)) == (3, 1850, 5_210_000, "1650000", "765000")
    assert (
        cells[("region", "440000", None)]["premium_cny"] is None and cells[("line", "health", None)]["insurers"] is None
    )
    # 2024 has two insurers, the quarter one: nothing at all is published for them.
    for period in ("2024", "2025-Q4"):
        assert all(c["suppressed"] for c in _cells(payload, period).values())
    assert _public(public_db, "--period", "2025-Q4")["periods"] == ["2025-Q4"]


def _tables(cells: dict[tuple[str, str, str | None], dict[str, Any]]) -> list[tuple[Any, list[Any]]]:
    """The sums anyone can read off the published tables: the country is its regions and its lines, a province
    its separately listed cities and the rest."""
    market = ("market", "market", None)
    out = [(market, [k for k in cells if k[0] == "region"]), (market, [k for k in cells if k[0] == "line"])]
    for parent in {k[2] for k in cells if k[0] == "city"}:
        out.append((("region", parent, None), [k for k in cells if k[0] == "city" and k[2] == parent]))
    return out


def recover(cells: dict[Any, dict[str, Any]], figure: str) -> dict[Any, Fraction]:
    """Every withheld cell whose ``figure`` the published sums determine (Gaussian elimination, exact)."""
    unknown = sorted((k for k, c in cells.items() if c[figure] is None), key=str)
    rows: list[list[Fraction]] = []
    for total, parts in _tables(cells):
        row = [Fraction(0)] * (len(unknown) + 1)
        for key, sign in [(total, 1), *((p, -1) for p in parts)]:
            if key in unknown:
                row[unknown.index(key)] += sign
            else:
                row[-1] -= sign * Fraction(cells[key][figure])
        rows.append(row)
    pivot_row = 0
    for col in range(len(unknown)):  # reduced row echelon form
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][col]), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        rows[pivot_row] = [v / rows[pivot_row][col] for v in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col]:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    out = {}
    for row in rows:
        nonzero = [i for i, v in enumerate(row[:-1]) if v]
        if len(nonzero) == 1:
            out[unknown[nonzero[0]]] = row[-1]
    return out


def test_the_published_totals_reveal_no_withheld_cell(public_db: str) -> None:
    payload = _public(public_db)
    for period in payload["periods"]:
        cells = _cells(payload, period)
        for figure in FIGURES:
            assert recover(cells, figure) == {}, (period, figure)


def test_without_complementary_suppression_the_attack_recovers_guangdong(public_db: str) -> None:
    """The attacker works: publish Beijing (withheld only to protect Guangdong) and Guangdong falls out."""
    cells = _cells(_public(public_db), "2025")
    beijing = ("region", "110000", None)
    cells[beijing] = {**cells[beijing], "premium_cny": "750000", "suppressed": None}  # its true figure
    assert recover(cells, "premium_cny") == {("region", "440000", None): Fraction(400_000)}  # NB-A's own


def test_no_insurer_is_named_in_any_format(public_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    outputs = {}
    for fmt in ("text", "json", "csv", "html"):
        for lang in ("en", "zh"):
            result = runner.invoke(cli, ["--db", public_db, "market", "--public", "--format", fmt, "--lang", lang])
            assert result.exit_code == 0, result.output[:1000]
            outputs[(fmt, lang)] = result.output
    for output in outputs.values():
        assert not any(secret in output for secret in SECRETS)
    assert "不予公布" in outputs[("text", "zh")] and "withheld" in outputs[("text", "en")]
    assert 'data-suppressed="complementary"' in outputs[("html", "en")] and "<script" not in outputs[("html", "en")]
    rows = list(csv.DictReader(io.StringIO(outputs[("csv", "en")].lstrip("\ufeff"))))
    guangdong = next(r for r in rows if r["period"] == "2025" and r["key"] == "440000")
    assert (guangdong["suppressed"], guangdong["premium_cny"], guangdong["insurers"]) == ("primary", "", "")


def test_public_takes_no_insurer_breakdown(public_db: str) -> None:
    runner = CliRunner()
    for extra in (["--insurer", "NB-A"], ["--by", "insurer"], ["--targets"]):
        result = runner.invoke(cli, ["--db", public_db, "market", "--public", *extra])
        assert result.exit_code == 2 and "--public takes" in result.output
    none = runner.invoke(cli, ["--db", public_db, "market", "--public", "--period", "2031"])
    assert none.exit_code == 2 and "no submission is stored for period 2031" in none.output


def test_the_public_portal_page_needs_no_login_and_names_no_insurer(public_db: str) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from inclusive_check.portal.app import create_app

    app = create_app(public_db)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/public/market?period=2025&lang=en")
        assert page.status_code == 200, page.text[:500]
        assert "Inclusive insurance market: public figures" in page.text and "1650000" in page.text
        assert 'data-suppressed="primary"' in page.text and 'href="/public/market.csv?period=2025"' in page.text
        zh = client.get("/public/market?lang=zh")
        assert zh.status_code == 200 and "普惠保险市场公开数据" in zh.text and "不予公布" in zh.text
        download = client.get("/public/market.csv?period=2025")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        for response in (page, zh, download):
            assert not any(secret in response.text for secret in SECRETS)
            assert "<script" not in response.text
        assert page.headers.get("content-security-policy")
        # Bad input: a plain 400 (never a 500), nothing echoed unescaped, no insurer named.
        for bad in ("2025'; DROP TABLE submissions;--", "<script>alert(1)</script>", "20255", "x" * 5000, "2025-Q5"):
            for route in ("/public/market", "/public/market.csv"):
                response = client.get(route, params={"period": bad})
                assert response.status_code == 400, (bad, response.status_code)
                assert "<script>alert" not in response.text and not any(s in response.text for s in SECRETS)
        assert client.get("/public/market?period=2031").status_code == 404
        odd = client.get("/public/market?period=2025&insurer=NB-A&by=insurer&lang=xx")
        assert odd.status_code == 200 and not any(s in odd.text for s in SECRETS)
        # The supervisors' market page is still behind the login.
        assert client.get("/market?period=2025", follow_redirects=False).status_code in (303, 307, 302)
    app.state.portal.engine.dispose()


def test_the_hand_worked_documents_are_what_the_docstring_says() -> None:
    docs = documents()
    totals = {name: sum(p["premium_cny"] for p in d["products"]) for name, d in docs.items()}
    regions = {name: sum(r["premium_cny"] for r in d["regions"]) for name, d in docs.items()}
    assert totals == regions  # every insurer's regions add up to its inclusive premium: no "other" region cell


def test_the_supervisors_market_page_shows_the_new_views(public_db: str) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from inclusive_check.portal import service
    from inclusive_check.portal.app import create_app

    app = create_app(public_db)
    service.create_user(app.state.portal.engine, "sup", "supervisor", None, "correct horse battery")
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/login")
        csrf = client.cookies.get("ic_csrf")
        assert client.post("/login", data={"name": "sup", "password": "correct horse battery", "csrf": csrf}).is_success
        for lang, words in (
            ("en", ("Region x line", "Year on year", "separately listed")),
            ("zh", ("地区 × 险种", "同比", "计划单列市")),
        ):
            page = client.get(f"/market?period=2025&lang={lang}")
            assert page.status_code == 200, page.text[:300]
            assert all(w in page.text for w in words), lang
            assert 'data-key="330200"' in page.text and 'data-separately-listed="true"' in page.text
            assert 'href="/public/market?period=2025"' in page.text
    app.state.portal.engine.dispose()


def test_the_html_report_shows_the_new_views_in_both_languages(public_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    samples = Path(__file__).resolve().parents[2] / "samples"
    for kind, name in (("reference", "ningbo-2020.yaml"), ("targets", "ningbo-2025.yaml")):
        assert runner.invoke(cli, ["--db", public_db, kind, "import", str(samples / kind / name)]).exit_code == 0
    for lang, words in (("en", ("Region x line", "Year on year", "weigh each submission", "Targets")),
                        ("zh", ("地区 × 险种", "同比（固定样本）", "加权", "目标"))):  # fmt: skip
        out = tmp_path / f"report-{lang}.html"
        result = runner.invoke(cli, ["--db", public_db, "report", "--format", "html", "--lang", lang, "-o", str(out)])
        assert result.exit_code == 0, result.output
        page = out.read_text("utf-8")
        section = page[page.index('<section id="market"') : page.index('<section id="dispensations"')]
        assert all(w in section for w in words), lang
        assert 'id="market-yoy"' in section and 'id="market-crosstab"' in section
        assert 'data-key="330200"' in section and 'data-scores="weighted"' in section
        assert 'id="chart-market-trend"' in section and 'id="chart-market-quarters"' in section  # two series
        assert 'id="market-targets"' in section and "25928000000" in section and "十四五" in section


def _ruleset(tmp_path: Path, old: str, new: str) -> str:
    packaged = Path(__file__).resolve().parents[2] / "rulesets" / "nfra-2024-inclusive.yaml"
    text = packaged.read_text("utf-8")
    assert old in text
    path = tmp_path / "ruleset.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    return str(path)


def test_thresholds_and_row_weight_are_ruleset_data(public_db: str, tmp_path: Path) -> None:
    loose = _ruleset(tmp_path, "    min_insurers: 3\n    dominance_percent: 85\n",
                     "    min_insurers: 1\n    dominance_percent: 100\n")  # fmt: skip
    cells = _cells(_public(public_db, "--ruleset", loose), "2025")
    assert not any(c["suppressed"] for c in cells.values())
    assert cells[("region", "440000", None)]["premium_cny"] == "400000"
    by_insured = _ruleset(tmp_path, "    measure: premium_cny\n", "    measure: insured_persons\n")
    result = CliRunner().invoke(cli, ["--db", public_db, "market", "--format", "json", "--period", "2025",
                                      "--ruleset", by_insured])  # fmt: skip
    rows = {r["key"]: r for r in json.loads(result.output)["rows"] if r["period"] == "2025"}
    # Zhejiang's coverage weighed by insured persons: (100 x 4M + 80 x 1.2M + 40 x 10k) / 5.21M = 95.28
    assert (rows["330000"]["coverage"], rows["330000"]["weight"]) == ("95.28", "insured_persons")


def test_random_markets_reveal_no_withheld_cell() -> None:
    """Suppression over 300 seeded random markets (2 to 6 insurers, some reporting no region, cities inside their
    provinces, lines): the attacker recovers no withheld cell from what is published, and a withheld total keeps
    a withheld cell in each of its tables."""
    import random

    from inclusive_check.market_params import DEFAULT_DISCLOSURE
    from inclusive_check.market_public import _residuals, suppress

    def add(cells: dict[Any, dict[str, list[Fraction]]], cell: Any, insurer: str, figures: list[int]) -> None:
        mine = cells.setdefault(cell, {}).setdefault(insurer, [Fraction(0)] * 4)
        for i, v in enumerate(figures):
            mine[i] += v

    reasons: dict[str, int] = {"primary": 0, "complementary": 0}
    for seed in range(300):
        rng = random.Random(seed)
        cells: dict[Any, dict[str, list[Fraction]]] = {}

        for n in range(rng.randint(2, 6)):
            insurer = f"I{n}"
            for line in rng.sample(["accident", "health", "agriculture"], rng.randint(1, 3)):
                figures = [rng.randint(1, 1000) for _ in range(4)]
                add(cells, ("market", "market", None), insurer, figures)
                add(cells, ("line", line, None), insurer, figures)
                if rng.random() < 0.8:  # the rest of the insurer's business has no region
                    where = rng.choice(["110000", "330000", "330200", "440000", "440300"])
                    province = where[:2] + "0000"
                    add(cells, ("region", province, None), insurer, figures)
                    if where != province:
                        add(cells, ("city", where, province), insurer, figures)
        _residuals(cells)
        withheld = suppress(cells, DEFAULT_DISCLOSURE)
        for reason in withheld.values():
            reasons[reason] += 1
        published = {}
        for cell, contributions in cells.items():
            sums = [sum((f[i] for f in contributions.values()), Fraction(0)) for i in range(4)]
            published[cell] = {f: (None if cell in withheld else str(sums[i])) for i, f in enumerate(FIGURES)}
        for figure in FIGURES:
            assert recover(published, figure) == {}, (seed, figure)
    assert reasons["primary"] > 300 and reasons["complementary"] > 100, reasons  # the markets put it to work


def test_the_public_page_follows_a_new_revision(public_db: str, tmp_path: Path) -> None:
    """The page keeps what it computed only while nothing stored changes: a new revision shows at once."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from inclusive_check.portal.app import create_app
    from rulecases import to_json

    app = create_app(public_db)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert "1650000" in client.get("/public/market?period=2025&lang=en").text  # Zhejiang
        doc = documents()["c-2025.json"]
        doc["regions"][1]["premium_cny"] = 100_000  # NB-C's Zhejiang premium, 150,000 before
        doc["regions"][0]["premium_cny"] = 200_000
        (tmp_path / "c.json").write_bytes(to_json(doc))
        runner = CliRunner()
        assert runner.invoke(cli, ["--db", public_db, "ingest", str(tmp_path / "c.json")]).exit_code == 0
        page = client.get("/public/market?period=2025&lang=en").text
        assert "1600000" in page and "1650000" not in page
    app.state.portal.engine.dispose()
