"""Market-scale benchmark (issue 7, SPEC 8): generate a synthetic market, measure it in one run, print one JSON line.

    python bench/market.py --insurers 250 --products 4000 [--seed 7] [--workdir /tmp/bench] [--filings 1000]
                           [--periods K]

The market (N submissions of M products each, plus K product filings) is written file by file into
``--workdir`` and reused when a manifest with the same parameters is already there. Nothing holds the
whole market in memory: the generator writes one insurer at a time, the floor and the peer read one
file at a time, the CLI runs in child processes. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from children import Child, _tool, big_document  # noqa: E402  (bench/ holds no package)

POLICY_DIR = HERE / "policy"
GENERATOR_VERSION = 4  # bump when the generated market changes, so that cached markets are rebuilt
FIRST_YEAR = 2025  # --periods K: the annual periods 2025, 2026, ... (one submission per insurer each)
# GB/T 2260 codes the generated submissions report regional figures for (schema 1.2): provinces and prefectures.
DIVISIONS = ["110000", "310000", "320100", "320500", "330100", "370200", "420100", "440100", "440300", "510100",
             "230000", "150000", "450000", "610100", "500000", "650000"]  # fmt: skip

LINES = [  # line, weight, premium-rate range, term, Chinese name stem
    ("accident", 22, (0.0005, 0.004), "short", "意外伤害保险"),
    ("health", 24, (0.004, 0.04), "short", "医疗保险"),
    ("term_life", 8, (0.0006, 0.003), "long", "定期寿险"),
    ("household_property", 6, (0.0003, 0.002), "short", "家庭财产保险"),
    ("enterprise_property", 5, (0.0005, 0.003), "short", "企业财产保险"),
    ("intellectual_property", 1, (0.01, 0.04), "short", "知识产权保险"),
    ("cargo", 3, (0.0005, 0.003), "short", "货物运输保险"),
    ("export_credit", 1, (0.002, 0.01), "short", "出口信用保险"),
    ("agriculture", 10, (0.02, 0.08), "short", "种植业保险"),
    ("annuity", 4, (0.02, 0.06), "long", "养老年金保险"),
    ("long_term_care", 3, (0.005, 0.03), "long", "长期护理保险"),
    ("liability", 8, (0.001, 0.01), "short", "责任保险"),
    ("other", 5, (0.001, 0.02), "short", "综合保险"),
]
GROUPS = [
    "rural_residents",
    "remote_area_residents",
    "poverty_alleviated",
    "urban_low_income",
    "county_residents",
    "elderly",
    "preexisting_conditions",
    "disabled",
    "women_two_cancers",
    "children_congenital",
    "rare_disease",
    "new_citizens",
    "flexible_employment",
    "special_occupations",
    "micro_small_enterprises",
    "individual_businesses",
    "new_agricultural_entities",
    "small_farmers",
    "families_children",
]
GROUP_NAMES = {
    "rural_residents": "乡村振兴",
    "elderly": "银发安康",
    "new_citizens": "新市民",
    "disabled": "助残",
    "small_farmers": "惠农",
    "women_two_cancers": "两癌关爱",
    "urban_low_income": "惠民",
    "micro_small_enterprises": "小微",
    "flexible_employment": "灵活就业",
}
CATEGORIES = [("property", 35), ("life", 35), ("health", 12), ("pension", 5), ("agricultural", 10), ("reinsurance", 3)]
CATEGORY_NAMES = {
    "property": "财产",
    "life": "人寿",
    "health": "健康",
    "pension": "养老",
    "agricultural": "农业",
    "reinsurance": "再",
}
SIZES = [("large", 15), ("medium", 35), ("small", 35), ("micro", 10), (None, 5)]
ASSETS = {"large": (5e11, 6e12), "medium": (5e10, 5e11), "small": (5e9, 5e10), "micro": (5e8, 5e9), None: (1e9, 9e11)}
REGIONS = [
    "北京市",
    "上海市",
    "广东省",
    "江苏省",
    "浙江省",
    "四川省",
    "湖北省",
    "山东省",
    "河南省",
    "云南省",
    "甘肃省",
    "黑龙江省",
    "广西壮族自治区",
    "新疆维吾尔自治区",
]
IRR_OK = ["AAA", "AA", "A", "BBB", "BB", "B", "A", "B"]
INTERMEDIARY_TYPES = ["agency", "broker", "postal", "bank", "other"]
INTERMEDIARY_CHANNELS = {"agency", "broker", "postal", "bank"}
LARGE_ASSETS = 500_000_000_000  # the ruleset's line for "large" when no size class is declared


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, ...]]) -> Any:
    return rng.choices(weighted, weights=[w[1] for w in weighted])[0]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _rate(x: float, places: int = 4) -> float:
    return max(round(x, places), 10.0**-places)


class Market:
    """Deterministic synthetic documents; the breach probabilities are per subject."""

    BREACH: ClassVar[dict[str, float]] = {
        "premium": 0.03,
        "fee": 0.03,
        "no_comparator": 0.005,
        "groups": 0.01,
        "solvency": 0.04,
        "kpi": 0.25,
        "short_agreement": 0.03,
    }

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def product(self, rng: random.Random, prefix: str, j: int, dedicated_share: float) -> dict[str, Any]:
        line, _, (lo, hi), term, stem = _pick(rng, LINES)
        dedicated = rng.random() < dedicated_share
        if dedicated:
            groups = [] if rng.random() < self.BREACH["groups"] else rng.sample(GROUPS, rng.randint(1, 3))
        else:
            groups = rng.sample(GROUPS, rng.randint(1, 2)) if rng.random() < 0.3 else []
        channels = ["direct"] if rng.random() < 0.8 else []
        channels += [c for c in ("agency", "broker", "postal", "bank", "online") if rng.random() < 0.3]
        channels = channels or ["online"]
        through_intermediary = any(c in INTERMEDIARY_CHANNELS for c in channels)
        start = _day(rng, date(2018, 1, 1), date(2025, 9, 30))
        end = None if rng.random() < 0.85 else _day(rng, start, date(2027, 12, 31)).isoformat()
        premium_rate = _rate(rng.uniform(lo, hi))
        fee = _rate(rng.uniform(0.02, 0.25), 3) if through_intermediary else None
        comparable = None
        if dedicated and rng.random() >= self.BREACH["no_comparator"]:
            theirs = (
                _rate(premium_rate * rng.uniform(1.1, 1.8))
                if rng.random() >= self.BREACH["premium"]
                else rng.choice([premium_rate, _rate(premium_rate * 0.9)])
            )
            their_fee = None
            if fee is not None:
                their_fee = (
                    min(round(fee * rng.uniform(1.1, 1.8), 3), 0.4)
                    if rng.random() >= self.BREACH["fee"]
                    else rng.choice([fee, _rate(fee * 0.8, 3)])
                )
            comparable = {
                "product_code": f"{prefix}-STD-{rng.randrange(1, 60):02d}",
                "premium_rate": theirs,
                "intermediary_fee_rate": their_fee,
            }
        name = GROUP_NAMES.get(groups[0], "普惠") + ("专属" if dedicated else "") + stem if groups else stem
        doc: dict[str, Any] = {
            "code": f"{prefix}-P{j:05d}",
            "name": f"{name}（{j}号）",
            "line": line,
            "dedicated_inclusive": dedicated,
            "target_groups": groups,
            "term": term,
            "sale_start": start.isoformat(),
            "sale_end": end,
            "government_program": rng.random() < 0.1,
            "channels": channels,
            "premium_rate": premium_rate,
            "intermediary_fee_rate": fee,
            "comparable": comparable,
        }
        if rng.random() < 0.95:  # volume figures are optional; a few products report none
            policies = rng.randint(100, 2_000_000)
            premium = rng.randint(50_000, 500_000_000)
            settled = rng.randint(0, max(1, policies // 20))
            doc.update(
                policies_in_force=policies,
                insured_persons=policies * rng.randint(1, 3),
                premium_cny=premium,
                claims_paid_cny=int(premium * rng.uniform(0.2, 0.9)),
                claims_settled=settled,
                avg_settlement_days=round(rng.uniform(1, 30), 1),
            )
        return doc

    def regions(self, rng: random.Random, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One to four regions, each a share of the inclusive portfolio (the shares add up to less than one)."""
        inclusive = [p for p in products if p["dedicated_inclusive"] or p["target_groups"]]
        totals = {
            field: sum(p.get(source) or 0 for p in inclusive)
            for field, source in (
                ("policies", "policies_in_force"),
                ("insured_persons", "insured_persons"),
                ("premium_cny", "premium_cny"),
                ("claims_paid_cny", "claims_paid_cny"),
            )
        }
        out = []
        for code in rng.sample(DIVISIONS, rng.randint(1, 4)):
            share = rng.uniform(0.05, 0.24)
            out.append({"region": code, **{field: int(total * share) for field, total in totals.items()}})
        return out

    def submission(self, i: int, products: int, year: int = FIRST_YEAR) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}/insurer/{i}" + ("" if year == FIRST_YEAR else f"/{year}"))
        code = f"MKT-{i:04d}"
        category = _pick(rng, CATEGORIES)[0]
        size = _pick(rng, SIZES)[0]
        assets = int(rng.uniform(*ASSETS[size]))
        large = size == "large" or (size is None and assets >= LARGE_ASSETS)
        solvency = []
        bad_quarter = rng.randrange(1, 5) if rng.random() < self.BREACH["solvency"] else None
        for q in range(1, 5):
            core = round(rng.uniform(60, 250), 1)
            solvency.append(
                {
                    "quarter": f"{year}-Q{q}",
                    "core_ratio_pct": core,
                    "comprehensive_ratio_pct": round(core + rng.uniform(40, 120), 1),
                    "irr_class": "C" if q == bad_quarter else rng.choice(IRR_OK),
                }
            )
        weight = round(rng.uniform(0.05, 0.15), 3) if large else rng.choice([None, round(rng.uniform(0.01, 0.1), 3)])
        if large and rng.random() < self.BREACH["kpi"]:
            weight = rng.choice([0.03, 0.04, 0.0499])
        intermediaries = []
        for k in range(rng.randint(3, 10)):
            start = _day(rng, date(2019, 1, 1), date(2025, 6, 30))
            months = rng.randint(3, 11) if rng.random() < self.BREACH["short_agreement"] else rng.randint(12, 60)
            end = None if rng.random() < 0.2 else (start + timedelta(days=round(months * 30.44)) - timedelta(days=1))
            intermediaries.append(
                {
                    "name": f"示例保险中介{i}-{k}有限公司",
                    "type": rng.choice(INTERMEDIARY_TYPES),
                    "agreement_start": start.isoformat(),
                    "agreement_end": end and end.isoformat(),
                    "covers_inclusive": rng.random() < 0.7,
                    "insurer_handles_disputes": rng.random() < 0.99,
                }
            )
        share = rng.uniform(0.2, 0.3)
        catalogue = [self.product(rng, code, j, share) for j in range(products)]
        return {
            "kind": "submission",
            "schema_version": "1.2",
            "reporting_period": str(year),
            "insurer": {
                "code": code,
                "name": f"示例{CATEGORY_NAMES[category]}保险股份有限公司（{i}）",
                "category": category,
                "state_owned": rng.random() < 0.3,
                "size_class": size,
                "total_assets_cny": assets,
                "headquarters_region": rng.choice(REGIONS),
            },
            "solvency": solvency,
            "governance": {
                "leadership_system": rng.random() < 0.98,
                "lead_department": "普惠金融事业部",
                "board_reviews": sorted(
                    _day(rng, date(year, 1, 1), date(year, 12, 31)).isoformat() for _ in range(rng.randint(1, 4))
                ),
                "management_reviews": sorted(
                    _day(rng, date(year, 1, 1), date(year, 12, 31)).isoformat() for _ in range(rng.randint(2, 6))
                ),
                "assessment_includes_inclusive": rng.random() < 0.98,
                "inclusive_kpi_weight": weight,
                "internal_control_policy": rng.random() < 0.98,
            },
            "products": catalogue,
            "intermediaries": intermediaries,
            "service": {
                "commitments_published": {
                    "premises": True,
                    "agency_sites": rng.random() < 0.95,
                    "online": rng.random() < 0.95,
                },
                "online_underwriting": rng.random() < 0.8,
                "online_claims": rng.random() < 0.8,
                "inquiry_channel": True,
                "elderly_friendly": rng.random() < 0.97,
                "accessibility": rng.random() < 0.95,
            },
            "consumer_protection": {
                "complaint_mechanism": True,
                "diversified_dispute_resolution": True,
                "first_inquiry_responsibility": rng.random() < 0.98,
                "complaints": rng.randint(0, 3000),
                "mass_incidents": 1 if rng.random() < 0.01 else 0,
            },
            "regions": self.regions(rng, catalogue),
        }

    def filing(self, k: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}/filing/{k}")
        return {
            "kind": "product_filing",
            "schema_version": "1.0",
            "insurer_code": "MKT-0000",
            "filing_date": _day(rng, date(2025, 1, 1), date(2025, 12, 31)).isoformat(),
            "product": self.product(rng, "MKT-0000-F", k, 0.6),
        }


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")


def generate(
    workdir: Path, insurers: int, products: int, filings: int, seed: int, periods: int = 1
) -> tuple[Path, Path, float]:
    """Write the market (reused when the manifest matches); return its folders and the seconds spent."""
    manifest = {
        "generator": GENERATOR_VERSION,
        "insurers": insurers,
        "products": products,
        "filings": filings,
        "seed": seed,
        "periods": periods,
    }
    market, filing_dir, stamp = workdir / "market", workdir / "filings", workdir / "manifest.json"
    if stamp.exists() and json.loads(stamp.read_text()) == manifest:
        return market, filing_dir, 0.0
    started = time.perf_counter()
    for d in (market, filing_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    stamp.unlink(missing_ok=True)
    m = Market(seed)
    for i in range(insurers):
        _write(market / f"insurer-{i:04d}.json", m.submission(i, products))
        for year in range(FIRST_YEAR + 1, FIRST_YEAR + periods):
            _write(market / f"insurer-{i:04d}-{year}.json", m.submission(i, products, year))
    for k in range(filings):
        _write(filing_dir / f"filing-{k:05d}.json", m.filing(k))
    stamp.write_text(json.dumps(manifest))
    return market, filing_dir, time.perf_counter() - started


# --- measuring -------------------------------------------------------------------------------------------


FLOOR_COLUMNS = (
    "submission_id",
    "pointer",
    "code",
    "name",
    "line",
    "dedicated_inclusive",
    "target_groups",
    "target_group_count",
    "term",
    "sale_start",
    "sale_end",
    "government_program",
    "channels",
    "premium_rate",
    "intermediary_fee_rate",
    "comparable_code",
    "comparable_premium_rate",
    "comparable_fee_rate",
    "policies_in_force",
    "insured_persons",
    "premium_cny",
    "claims_paid_cny",
    "claims_settled",
    "avg_settlement_days",
)


def revise(path: Path, folder: Path) -> Path:
    """A new revision of one insurer's submission: its assessment weight and a few products' rates changed."""
    doc = json.loads(path.read_text("utf-8"))
    doc["governance"]["inclusive_kpi_weight"] = 0.061
    for product in doc["products"][:50]:
        if product.get("premium_rate"):
            product["premium_rate"] = _rate(product["premium_rate"] * 1.01, 6)
    folder.mkdir(exist_ok=True)
    _write(folder / path.name, doc)
    return folder / path.name


def _floor_rows(sid: int, doc: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for i, p in enumerate(doc["products"]):
        c = p.get("comparable") or {}
        groups = p["target_groups"]
        yield (
            sid,
            f"/products/{i}",
            p["code"],
            p["name"],
            p["line"],
            p["dedicated_inclusive"],
            "," + ",".join(groups) + "," if groups else "",
            len(groups),
            p["term"],
            p["sale_start"],
            p.get("sale_end"),
            p.get("government_program", False),
            "," + ",".join(p["channels"]) + ",",
            p["premium_rate"],
            p.get("intermediary_fee_rate"),
            c.get("product_code"),
            c.get("premium_rate"),
            c.get("intermediary_fee_rate"),
            p.get("policies_in_force"),
            p.get("insured_persons"),
            p.get("premium_cny"),
            p.get("claims_paid_cny"),
            p.get("claims_settled"),
            p.get("avg_settlement_days"),
        )


def floor(files: list[Path], db: Path) -> tuple[float, int]:
    """The ingest floor: stdlib json + one executemany per file into a plain table, one transaction per file."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE products (id INTEGER PRIMARY KEY, {', '.join(FLOOR_COLUMNS)})")
    insert = f"INSERT INTO products ({', '.join(FLOOR_COLUMNS)}) VALUES ({', '.join('?' * len(FLOOR_COLUMNS))})"
    rows = 0
    for sid, path in enumerate(files, 1):
        doc = json.loads(path.read_bytes())
        conn.execute("BEGIN")
        cur = conn.executemany(insert, _floor_rows(sid, doc))
        rows += cur.rowcount
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started, rows


SCAN_COLUMNS = ("id", "submission_id", *FLOOR_COLUMNS[1:])


def scan(db: Path) -> tuple[float, int]:
    """One full scan of the stored product rows: every product column, fetched into Python."""
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    cur = conn.execute(f"SELECT {', '.join(SCAN_COLUMNS)} FROM products")
    rows = 0
    while batch := cur.fetchmany(10_000):
        rows += len(batch)
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, rows


PEER_RULES = ("IC19-SOLVENCY-GATE", "IC10-KPI-WEIGHT", "IC08-PREMIUM-RATE", "IC12-FEE-RATE")
# The stored findings the peer is compared with: failing or indeterminate, of the four rules, in one run.
_OPEN_FINDINGS = (
    "FROM findings f JOIN submissions s ON s.id = f.submission_id WHERE f.run_id = ? "
    f"AND f.status IN ('fail', 'indeterminate') AND f.rule_id IN ({', '.join(repr(r) for r in PEER_RULES)})"
)


def stored_fail_counts(db: Path, run_id: int) -> dict[str, dict[str, int]]:
    """Per submission file (its stored source path), per rule: our failing + indeterminate findings."""
    conn = sqlite3.connect(db)
    counts: dict[str, dict[str, int]] = {}
    for source, rule, n in conn.execute(
        f"SELECT s.source, f.rule_id, count(*) {_OPEN_FINDINGS} GROUP BY s.source, f.rule_id", (run_id,)
    ):
        counts.setdefault(source, {})[rule] = n
    conn.close()
    return counts


def _stored_subjects(conn: sqlite3.Connection, run_id: int, source: str) -> dict[str, set[str]]:
    # IC19 is named by its quarter (a missing quarter's subject is "/solvency" alone), as the peer names it.
    rows = conn.execute(
        f"SELECT f.rule_id, CASE WHEN f.rule_id = 'IC19-SOLVENCY-GATE' THEN f.key ELSE f.subject END "
        f"{_OPEN_FINDINGS} AND s.source = ?",
        (run_id, source),
    )
    subjects: dict[str, set[str]] = {rule: set() for rule in PEER_RULES}
    for rule, subject in rows:
        subjects[rule].add(subject)
    return subjects


def finding_count(db: Path, run_id: int) -> int:
    conn = sqlite3.connect(db)
    (n,) = conn.execute("SELECT count(*) FROM findings WHERE run_id = ?", (run_id,)).fetchone()
    conn.close()
    return int(n)


PG_BENCH_DATABASE = "inclusive_check_bench"


def postgres_leg(url: str, market: Path, revised: Path, cli: list[str], products: int) -> dict[str, Any]:
    """The same ingest, run and re-check on PostgreSQL: in a database ``inclusive_check_bench`` made afresh on the
    server ``url`` names (the database ``url`` names is only used to create it, and is left untouched)."""
    import psycopg  # the [postgres] extra

    admin = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DATABASE}")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DATABASE}")
    bench_url = url.rsplit("/", 1)[0] + "/" + PG_BENCH_DATABASE
    ingest = Child([*cli, "--db", bench_url, "ingest", str(market)]).expect(0)
    run = Child([*cli, "--db", bench_url, "run", "--exit-zero"]).expect(0)
    recheck = Child([*cli, "--db", bench_url, "run", "--exit-zero", "--full"]).expect(0)
    dsn = bench_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        (findings,) = conn.execute("SELECT count(*) FROM findings WHERE run_id = 1").fetchone() or (0,)
        started = time.perf_counter()
        with conn.cursor(name="scan") as cur:  # server-side: fetched in batches, as SQLite's scan is
            cur.execute(f"SELECT {', '.join(SCAN_COLUMNS)} FROM products")
            scanned = 0
            while batch := cur.fetchmany(10_000):
                scanned += len(batch)
        scan_s = time.perf_counter() - started
    assert scanned == products, (scanned, products)
    Child([*cli, "--db", bench_url, "ingest", str(revised)]).expect(0)
    incremental = Child([*cli, "--db", bench_url, "run", "--exit-zero", "--quiet"]).expect(0)
    return {
        "pg_ingest_s": round(ingest.seconds, 2),
        "pg_run_s": round(run.seconds, 2),
        "pg_e2e_s": round(ingest.seconds + run.seconds, 2),
        "pg_recheck_s": round(recheck.seconds, 2),
        "pg_incremental_s": round(incremental.seconds, 2),
        "pg_scan_s": round(scan_s, 3),
        "pg_findings": int(findings),
        "pg_rss_mib": round(max(ingest.rss_mib, run.rss_mib, recheck.rss_mib), 1),
    }


def _peer_engine() -> Any:
    import regorus  # the bench extra: gordon-to-regorus

    engine = regorus.Engine()
    for policy in sorted(POLICY_DIR.glob("*.rego")):
        engine.add_policy(policy.name, policy.read_text("utf-8"))
    return engine


def _peer_eval(engine: Any, rule: str) -> Any:
    if hasattr(engine, "eval_rule_as_json"):
        return json.loads(engine.eval_rule_as_json(rule))
    return engine.eval_rule(rule)


def peer(files: list[Path]) -> tuple[float, dict[str, dict[str, int]], str]:
    """Regorus (Rego in Rust) judging the same four rules over the same documents, one document at a time.
    Returns the seconds, and per file (its path) per rule the failing + indeterminate subjects' count."""
    engine = _peer_engine()
    counts: dict[str, dict[str, int]] = {}
    started = time.perf_counter()
    for path in files:
        engine.set_input_json(path.read_text("utf-8"))
        counts[str(path)] = _peer_eval(engine, "data.inclusive.counts")
    seconds = time.perf_counter() - started
    from importlib.metadata import PackageNotFoundError, version

    try:
        name = f"regorus (gordon-to-regorus {version('gordon-to-regorus')})"
    except PackageNotFoundError:
        name = "regorus"
    return seconds, counts, name


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {rule: n for rule, n in counts.items() if n}


def totals(per_file: dict[str, dict[str, int]]) -> dict[str, int]:
    out = dict.fromkeys(PEER_RULES, 0)
    for counts in per_file.values():
        for rule, n in counts.items():
            out[rule] = out.get(rule, 0) + n
    return out


PEER_EXAMPLES = 5


def peer_differences(
    files: list[Path], peer_counts: dict[str, dict[str, int]], ours: dict[str, dict[str, int]], db: Path, run_id: int
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Up to ``PEER_EXAMPLES`` subjects per rule that only the peer reports and that only we report, as
    "file subject". Only the files whose per-rule counts differ are evaluated again (outside the timing)."""
    peer_only: dict[str, list[str]] = {}
    ours_only: dict[str, list[str]] = {}
    engine = _peer_engine()
    conn = sqlite3.connect(db)
    for path in files:
        key = str(path)
        if _nonzero(peer_counts.get(key, {})) == _nonzero(ours.get(key, {})):
            continue
        engine.set_input_json(path.read_text("utf-8"))
        theirs = _peer_eval(engine, "data.inclusive.subjects")
        stored = _stored_subjects(conn, run_id, key)
        for rule in PEER_RULES:
            for side, found in (
                (peer_only, set(theirs.get(rule, [])) - stored[rule]),
                (ours_only, stored[rule] - set(theirs.get(rule, []))),
            ):
                examples = side.setdefault(rule, [])
                examples.extend(f"{path.name} {s}" for s in sorted(found)[: PEER_EXAMPLES - len(examples)])
    conn.close()
    return {r: v for r, v in peer_only.items() if v}, {r: v for r, v in ours_only.items() if v}


def median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--insurers", type=int, required=True)
    ap.add_argument("--products", type=int, required=True, help="products per insurer")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench"))
    ap.add_argument("--filings", type=int, default=1000)
    ap.add_argument(
        "--periods",
        type=int,
        default=1,
        help="annual periods from 2025 (one submission per insurer each); market_s times `market` over them all",
    )
    ap.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["peer", "filings", "floor", "bigdoc"],
        help="leave out a measurement (repeatable); its keys are null",
    )
    ap.add_argument("--big-doc", type=int, default=100_000, help="products in the big document (big_doc_* keys)")
    ap.add_argument(
        "--db",
        metavar="URL",
        help="also measure on PostgreSQL (postgresql+psycopg://USER@HOST/DB): a scratch database "
        f"{PG_BENCH_DATABASE} is dropped and made afresh on that server; the pg_* keys are null without it",
    )
    args = ap.parse_args(argv)
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    cli = [_tool("inclusive-check")]
    out: dict[str, Any] = {
        "insurers": args.insurers,
        "products_per_insurer": args.products,
        "seed": args.seed,
        "periods": args.periods,
        "load_before": round(os.getloadavg()[0], 2),
    }

    market, filing_dir, gen_s = generate(workdir, args.insurers, args.products, args.filings, args.seed, args.periods)
    files = sorted(market.glob("*.json"))
    out["products"] = args.insurers * args.products * args.periods
    out["market_mib"] = round(sum(f.stat().st_size for f in files) / 2**20, 1)
    out["generate_s"] = round(gen_s, 2)

    # --help: the fastest command, median of 5 (a cold first start is not the steady state CI sees).
    out["help_s"] = round(median([Child([_tool("inclusive-check"), "--help"]).expect(0).seconds for _ in range(5)]), 3)

    # e2e: validate + ingest + check + score through the CLI on a fresh SQLite file.
    db = workdir / "market.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    # Default (text) output, as a supervisor runs it: the open findings are listed, passes are counted.
    ingest = Child([*cli, "--db", url, "ingest", str(market)]).expect(0)
    run = Child([*cli, "--db", url, "run", "--exit-zero"]).expect(0)
    out["ingest_s"], out["run_s"] = round(ingest.seconds, 2), round(run.seconds, 2)
    out["e2e_s"] = round(ingest.seconds + run.seconds, 2)
    out["findings"] = finding_count(db, 1)

    # recheck: a new run judging the whole stored market again, and one full scan of the stored product rows.
    recheck = Child([*cli, "--db", url, "run", "--exit-zero", "--full"]).expect(0)
    out["recheck_s"] = round(recheck.seconds, 2)
    scan_s, scanned = scan(db)
    assert scanned == out["products"], (scanned, out["products"])
    out["scan_s"] = round(scan_s, 3)
    out["recheck_over_scan"] = round(recheck.seconds / scan_s, 2)

    # market: item 18's market picture over every stored period (by region, JSON: every row, the trend and every
    # insurer's peer positions), against the re-check (the target: within 2x).
    market_cmd = Child([*cli, "--db", url, "market", "--by", "region", "--format", "json"]).expect(0)
    out["market_s"] = round(market_cmd.seconds, 2)
    out["market_over_recheck"] = round(market_cmd.seconds / recheck.seconds, 2)

    # whatif: the stored market under one changed threshold (the large insurers' KPI weight raised to 6%), and
    # under a changed parameter of a per-product rule (fee-rate channels), each into a scratch run rolled back.
    whatif = Child([*cli, "--db", url, "whatif", "--set", "IC10-KPI-WEIGHT.min_weight=0.06"]).expect(0)
    out["whatif_s"] = round(whatif.seconds, 2)
    out["whatif_over_recheck"] = round(whatif.seconds / recheck.seconds, 2)
    per_product = ["--set", "IC12-FEE-RATE.intermediary_channels=[agency, broker]"]
    whatif_products = Child([*cli, "--db", url, "whatif", *per_product]).expect(0)
    out["whatif_products_s"] = round(whatif_products.seconds, 2)
    out["peak_rss_mib"] = round(max(ingest.rss_mib, run.rss_mib, recheck.rss_mib, whatif_products.rss_mib), 1)
    out["rss_mib"] = {
        "ingest": round(ingest.rss_mib, 1),
        "run": round(run.rss_mib, 1),
        "recheck": round(recheck.rss_mib, 1),
        "whatif": round(whatif.rss_mib, 1),
        "whatif_products": round(whatif_products.rss_mib, 1),
    }

    # incremental: one insurer's revised submission ingested, then a run that judges only what can have changed
    # (that submission; the rest is taken over from the re-check), printing the summary and the scores.
    revised = revise(files[0], workdir / "revised")
    revise_ingest = Child([*cli, "--db", url, "ingest", str(revised)]).expect(0)
    incremental = Child([*cli, "--db", url, "run", "--exit-zero", "--quiet"]).expect(0)
    out["incremental_ingest_s"] = round(revise_ingest.seconds, 2)
    out["incremental_s"] = round(incremental.seconds, 2)

    # The audit report of the stored market: summaries and the failures, passes counted (SPEC: a file a browser
    # opens). Its time, the report process's peak RSS and the file's size.
    html = workdir / "report.html"
    report = Child([*cli, "--db", url, "report", "--format", "html", "-o", str(html)]).expect(0)
    out["report_html_s"] = round(report.seconds, 2)
    out["report_html_over_recheck"] = round(report.seconds / recheck.seconds, 2)
    out["report_html_mib"] = round(report.rss_mib, 1)
    out["report_html_file_mib"] = round(html.stat().st_size / 2**20, 1)

    if "floor" not in args.skip:
        floor_s, rows = floor(files, workdir / "floor.db")
        assert rows == out["products"], (rows, out["products"])
        out["floor_s"] = round(floor_s, 2)
        out["e2e_over_floor"] = round(out["e2e_s"] / floor_s, 2)
    else:
        out["floor_s"] = out["e2e_over_floor"] = None

    if "peer" not in args.skip:
        peer_s, peer_counts, name = peer(files)
        ours = stored_fail_counts(db, 1)
        out["peer"], out["peer_s"] = name, round(peer_s, 2)
        out["peer_over_recheck"] = round(peer_s / recheck.seconds, 2)
        # Agreement file by file and rule by rule (equal market totals could hide differences that cancel out).
        out["peer_agrees"] = all(
            _nonzero(peer_counts.get(k, {})) == _nonzero(ours.get(k, {})) for k in set(peer_counts) | set(ours)
        )
        if not out["peer_agrees"]:
            out["peer_counts"], out["our_counts"] = totals(peer_counts), totals(ours)
            out["peer_only"], out["ours_only"] = peer_differences(files, peer_counts, ours, db, 1)
    else:
        out["peer"] = out["peer_s"] = out["peer_over_recheck"] = None

    if "filings" not in args.skip and args.filings:
        schema = workdir / "product_filing.schema.json"
        with schema.open("wb") as fh:
            Child([*cli, "schema", "product_filing"], stdout=fh).expect(0)
        filing_files = sorted(str(p) for p in filing_dir.glob("*.json"))
        # No --db and no ./inclusive-check.db in the working directory: the filings are checked on their own.
        ours_run = Child([*cli, "check", "--exit-zero", str(filing_dir)], cwd=workdir).expect(0)
        theirs = Child([_tool("check-jsonschema"), "--schemafile", str(schema), *filing_files], cwd=workdir).expect(0)
        out["filings"] = len(filing_files)
        out["filings_s"], out["check_jsonschema_s"] = round(ours_run.seconds, 3), round(theirs.seconds, 3)
        out["filings_over_check_jsonschema"] = round(ours_run.seconds / theirs.seconds, 2)
        one = filing_files[0]
        ours_one = median([Child([*cli, "check", "--exit-zero", one], cwd=workdir).expect(0).seconds for _ in range(3)])
        theirs_one = median(
            [
                Child([_tool("check-jsonschema"), "--schemafile", str(schema), one], cwd=workdir).expect(0).seconds
                for _ in range(3)
            ]
        )
        out["filing1_s"], out["check_jsonschema1_s"] = round(ours_one, 3), round(theirs_one, 3)
    else:
        out.update(filings=0, filings_s=None, check_jsonschema_s=None, filings_over_check_jsonschema=None)

    # One submission of --big-doc products (default 100,000), validated and ingested by one `ingest`.
    out.update(big_doc_products=args.big_doc, big_doc_s=None, big_doc_mib=None)
    if "bigdoc" not in args.skip:
        doc = Market(args.seed).submission(0, args.big_doc)
        doc.pop("regions", None)  # scaled with the products, they would leave the contract's bounds (inputs.py)
        _write(workdir / f"big-{args.big_doc}.json", doc)
        out.update(big_document(workdir / f"big-{args.big_doc}.json", cli))

    pg_keys = ("pg_ingest_s", "pg_run_s", "pg_e2e_s", "pg_recheck_s", "pg_incremental_s", "pg_scan_s", "pg_findings")
    out.update(dict.fromkeys([*pg_keys, "pg_rss_mib"]))
    if args.db:
        out.update(postgres_leg(args.db, market, revised, cli, out["products"]))
        out["pg_agrees"] = out["pg_findings"] == out["findings"]

    out["load_after"] = round(os.getloadavg()[0], 2)
    out["python"] = platform.python_version()
    out["cpus"] = os.cpu_count()
    out["platform"] = platform.platform()
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    out["bench_rss_mib"] = round(self_usage.ru_maxrss / 1024, 1)
    out["children_max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
