"""A small market worked out by hand: three insurers over three annual periods (2024: two of them).

Item 18's indicators of each submission follow from the ruleset's bands (rulesets/nfra-2024-inclusive.yaml):

| insurer | period    | lines | groups | variety | insured   | coverage | claims/premium    | protection | service |
|---------|-----------|-------|--------|---------|-----------|----------|-------------------|------------|---------|
| MK-A    | all       | 2     | 4      | 45      | 6,000,000 | 100      | 1.0M/2.0M = 0.5   | 80         | 100     |
| MK-B    | 2024-2025 | 1     | 4      | 35      | 200,000   | 60       | 0.1M/0.5M = 0.2   | 30         | 100     |
| MK-B    | 2026      | 1     | 4      | 35      | 2,000,000 | 80       | 0.1M/0.5M = 0.2   | 30         | 100     |
| MK-C    | 2025-2026 | 1     | 4      | 35      | 20,000    | 40       | 0.21M/0.3M = 0.7  | 100        | 100     |

variety = lines/5 x 50 + groups/8 x 50; service = (complaints 0 -> 100, 5 settlement days -> 100, online claims
100) / 3. MK-A also files a product that is not inclusive (not dedicated, no target group): it counts nowhere.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parents[1] / "cases" / "_base" / "submission.json"


def _product(code: str, line: str, insured: int, policies: int, premium: int, claims: int) -> dict[str, Any]:
    product: dict[str, Any] = json.loads(BASE.read_text("utf-8"), parse_float=Decimal)["products"][0]
    return {
        **product,
        "code": code,
        "line": line,
        "insured_persons": insured,
        "policies_in_force": policies,
        "premium_cny": premium,
        "claims_paid_cny": claims,
    }


def _submission(
    code: str, category: str, state_owned: bool, period: str, products: list[Any], regions: list[Any] | None
) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(BASE.read_text("utf-8"), parse_float=Decimal)
    year = int(period)
    doc["reporting_period"] = period
    doc["insurer"] = {**doc["insurer"], "code": code, "name": f"{code} insurer", "category": category}
    doc["insurer"]["state_owned"] = state_owned
    doc["solvency"] = [{**q, "quarter": f"{year}-Q{i + 1}"} for i, q in enumerate(doc["solvency"])]
    doc["governance"]["board_reviews"] = [f"{year}-03-28"]
    doc["governance"]["management_reviews"] = [f"{year}-06-30"]
    doc["products"] = products
    if regions is not None:
        doc["schema_version"] = "1.2"
        doc["regions"] = regions
    return doc


def _region(code: str, policies: int, insured: int, premium: int, claims: int) -> dict[str, Any]:
    return {"region": code, "policies": policies, "insured_persons": insured, "premium_cny": premium,
            "claims_paid_cny": claims}  # fmt: skip


def market_documents() -> dict[str, dict[str, Any]]:
    """File name -> submission, for the market described in the module's docstring."""
    not_inclusive = {
        **_product("A-STD", "accident", 1_000_000, 900, 5_000_000, 100_000),
        "dedicated_inclusive": False,
        "target_groups": [],
    }
    docs: dict[str, dict[str, Any]] = {}
    for period in ("2024", "2025", "2026"):
        a_products = [
            _product("A-ACC", "accident", 4_000_000, 3000, 1_000_000, 600_000),
            _product("A-HLT", "health", 2_000_000, 2000, 1_000_000, 400_000),
            copy.deepcopy(not_inclusive),
        ]
        a_regions = [
            _region("440100", 2000, 3_000_000, 800_000, 500_000),
            _region("440300", 1000, 1_000_000, 200_000, 100_000),
            _region("110000", 1000, 500_000, 100_000, 50_000),
        ]
        docs[f"a-{period}.json"] = _submission("MK-A", "property", True, period, a_products, a_regions)
        b_insured = 2_000_000 if period == "2026" else 200_000
        b_products = [_product("B-HLT", "health", b_insured, 500, 500_000, 100_000)]
        b_regions = [_region("440000", 300, 100_000, 300_000, 50_000)]
        docs[f"b-{period}.json"] = _submission("MK-B", "health", False, period, b_products, b_regions)
        if period != "2024":
            c_products = [_product("C-AGR", "agriculture", 20_000, 100, 300_000, 210_000)]
            docs[f"c-{period}.json"] = _submission("MK-C", "agricultural", True, period, c_products, None)
    return docs


def write_market(folder: Path) -> Path:
    from rulecases import to_json

    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in market_documents().items():
        (folder / name).write_bytes(to_json(doc))
    return folder
