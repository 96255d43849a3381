"""Hostile submissions of the reliability issue, written to disk: each small to write, each once costly to read.

``write_hostile(folder)`` writes one file of each kind and returns {kind: path}. Kinds ending in ``-valid``
are valid documents in awkward places or at the edges of the contract (they must be stored); the others
are invalid (they must be quarantined). Specials (FIFO, /dev/zero, a /proc file) are added by the tests.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "submissions" / "hx-life-2025.json"
GOOD = (ROOT / "samples" / "submissions" / "al-prop-2025.json", ROOT / "samples" / "submissions" / "fh-agri-2025.json")


def sample_text() -> str:
    return SAMPLE.read_text("utf-8")


def sample_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample_text())
    return data


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def complaints(literal: str) -> str:
    """The sample with ``consumer_protection.complaints`` written as ``literal``."""
    text, n = re.subn(r'"complaints": \d+', f'"complaints": {literal}', sample_text())
    assert n == 1
    return text


def many_products(count: int) -> str:
    return sample_text().replace('"products": [', '"products": [' + "0, " * count, 1)


def long_name(chars: int) -> str:
    data = sample_data()
    data["insurer"]["name"] = "x" * chars
    return _dump(data)


def duplicate_groups(count: int) -> str:
    data = sample_data()
    data["products"][0]["target_groups"] = ["PLACEHOLDER"]
    return _dump(data).replace('"PLACEHOLDER"', ", ".join(['"elderly"'] * count), 1)


def nul_in_name() -> str:
    data = sample_data()
    data["insurer"]["name"] = "华夏\u0000人寿"
    return _dump(data)


def variant(period: str, **changes: Any) -> str:
    """A valid variant of the sample for another period (so that it is a new document)."""
    data = sample_data()
    data["reporting_period"] = period
    for quarter in data["solvency"]:
        quarter["quarter"] = period + quarter["quarter"][4:]
    if "agreement_end" in changes:
        data["intermediaries"][0]["agreement_end"] = changes["agreement_end"]
    if "premium_rate" in changes:
        data["products"][0]["premium_rate"] = "@@RATE@@"
        return _dump(data).replace('"@@RATE@@"', changes["premium_rate"])
    return _dump(data)


def write_hostile(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "exponent-1e1000000": complaints("1E+1000000"),
        "exponent-1e9999999": complaints("1E+9999999"),
        "products-1e6": many_products(10**6),
        "name-1e7": long_name(10**7),
        "groups-1e6": duplicate_groups(10**6),
        "nul-in-name": nul_in_name(),
        "agreement-9999-valid": variant("2024", agreement_end="9999-12-31"),
        "rate-digits-valid": variant("2023", premium_rate="0.0500000000000000001"),
        "rate-1e-400": variant("2022", premium_rate="1e-400"),  # 400 decimal places: refused
    }
    out = {}
    for kind, text in files.items():
        path = folder / f"{kind}.json"
        path.write_text(text, "utf-8")
        out[kind] = path
    deep = folder
    for i in range(5):  # a path over 1,000 characters (each name within the usual 255-byte limit)
        deep = deep / (f"{i}" * 220)
    deep.mkdir(parents=True)
    out["long-path-valid"] = deep / "long-path.json"
    out["long-path-valid"].write_text(variant("2021"), "utf-8")
    raw_name = os.path.join(os.fsencode(folder), b"gbk-\xc6\xd5\xbb\xdd.json")  # 普惠 in GBK: not UTF-8
    with open(raw_name, "wb") as f:
        f.write(variant("2020").encode())
    out["non-utf8-name-valid"] = Path(os.fsdecode(raw_name))
    return out
