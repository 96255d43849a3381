"""A second market worked out by hand: three insurers, Zhejiang reported directly (NB-C) and through Ningbo, a
separately listed city (NB-A, NB-B; a submission reports a province or its prefectures, never both), annual 2024
and 2025 and one quarter, 2025-Q4.

Indicators per submission (ruleset bands, as in market_helpers): variety 45 with two lines, 35 with one;
coverage 100 at 6,000,000 insured, 80 at 2,000,000, 40 at 20,000; protection 80 at a loss ratio of 0.5, 30 at 0.2,
100 at 0.7; service 100.

2025 (annual), policies / insured / premium / claims:

| insurer | 110000 Beijing    | 330000 Zhejiang  | 330200 Ningbo     | 440000 Guangdong | total             |
|---------|-------------------|------------------|-------------------|------------------|-------------------|
| NB-A    | 500/1M/400k/200k  |                  | 1500/4M/1.2M/600k | 500/1M/400k/200k | 2500/6M/2M/1M     |
| NB-B    | 200/800k/200k/40k |                  | 300/1.2M/300k/60k |                  | 500/2M/500k/100k  |
| NB-C    | 50/10k/150k/105k  | 50/10k/150k/105k |                   |                  | 100/20k/300k/210k |

NB-A's lines: accident 1500/4M/1M/600k, health 1000/2M/1M/400k; NB-B health; NB-C agriculture.
2024: NB-A (accident premium 600k, claims 360k) and NB-B (premium 400k, claims 80k), NB-C absent.
2025-Q4: NB-A only (accident and health 250k premium each), all of it in Ningbo.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parents[1] / "cases" / "_base" / "submission.json"


def _base() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BASE.read_text("utf-8"), parse_float=Decimal)
    return loaded


def _product(code: str, line: str, policies: int, insured: int, premium: int, claims: int) -> dict[str, Any]:
    return {**_base()["products"][0], "code": code, "line": line, "policies_in_force": policies,
            "insured_persons": insured, "premium_cny": premium, "claims_paid_cny": claims}  # fmt: skip


def _region(code: str, policies: int, insured: int, premium: int, claims: int) -> dict[str, Any]:
    return {"region": code, "policies": policies, "insured_persons": insured, "premium_cny": premium,
            "claims_paid_cny": claims}  # fmt: skip


def _submission(code: str, category: str, state_owned: bool, period: str, products: list[Any],
                regions: list[Any]) -> dict[str, Any]:  # fmt: skip
    doc = _base()
    year = int(period[:4])
    doc["schema_version"] = "1.2"
    doc["reporting_period"] = period
    doc["insurer"] = {**doc["insurer"], "code": code, "name": f"{code} insurer", "category": category}
    doc["insurer"]["state_owned"] = state_owned
    quarters = [period[-2:]] if "-Q" in period else ["Q1", "Q2", "Q3", "Q4"]
    doc["solvency"] = [{**doc["solvency"][0], "quarter": f"{year}-{q}"} for q in quarters]
    doc["governance"]["board_reviews"] = [f"{year}-10-28" if "-Q" in period else f"{year}-03-28"]
    doc["governance"]["management_reviews"] = [f"{year}-11-30" if "-Q" in period else f"{year}-06-30"]
    doc["products"] = copy.deepcopy(products)
    doc["regions"] = regions
    return doc


def documents() -> dict[str, dict[str, Any]]:
    docs = {}
    a25 = [_product("A-ACC", "accident", 1500, 4_000_000, 1_000_000, 600_000),
           _product("A-HLT", "health", 1000, 2_000_000, 1_000_000, 400_000)]  # fmt: skip
    a25r = [_region("110000", 500, 1_000_000, 400_000, 200_000), _region("330200", 1500, 4_000_000, 1_200_000, 600_000),
            _region("440000", 500, 1_000_000, 400_000, 200_000)]  # fmt: skip
    docs["a-2025.json"] = _submission("NB-A", "property", True, "2025", a25, a25r)
    a24 = [_product("A-ACC", "accident", 1500, 4_000_000, 600_000, 360_000),
           _product("A-HLT", "health", 1000, 2_000_000, 1_000_000, 400_000)]  # fmt: skip
    a24r = [_region("110000", 500, 1_000_000, 300_000, 150_000), _region("330200", 1500, 4_000_000, 1_000_000, 460_000),
            _region("440000", 500, 1_000_000, 300_000, 150_000)]  # fmt: skip
    docs["a-2024.json"] = _submission("NB-A", "property", True, "2024", a24, a24r)
    aq = [_product("A-ACC", "accident", 1500, 4_000_000, 250_000, 150_000),
          _product("A-HLT", "health", 1000, 2_000_000, 250_000, 100_000)]  # fmt: skip
    docs["a-2025-q4.json"] = _submission(
        "NB-A", "property", True, "2025-Q4", aq, [_region("330200", 2500, 6_000_000, 500_000, 250_000)]
    )
    docs["b-2025.json"] = _submission(
        "NB-B",
        "health",
        False,
        "2025",
        [_product("B-HLT", "health", 500, 2_000_000, 500_000, 100_000)],
        [_region("110000", 200, 800_000, 200_000, 40_000), _region("330200", 300, 1_200_000, 300_000, 60_000)],
    )
    docs["b-2024.json"] = _submission(
        "NB-B",
        "health",
        False,
        "2024",
        [_product("B-HLT", "health", 500, 2_000_000, 400_000, 80_000)],
        [_region("110000", 200, 800_000, 160_000, 32_000), _region("330200", 300, 1_200_000, 240_000, 48_000)],
    )
    docs["c-2025.json"] = _submission(
        "NB-C",
        "agricultural",
        True,
        "2025",
        [_product("C-AGR", "agriculture", 100, 20_000, 300_000, 210_000)],
        [_region("110000", 50, 10_000, 150_000, 105_000), _region("330000", 50, 10_000, 150_000, 105_000)],
    )
    return docs


def write(folder: Path) -> Path:
    from rulecases import to_json

    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in documents().items():
        (folder / name).write_bytes(to_json(doc))
    return folder
