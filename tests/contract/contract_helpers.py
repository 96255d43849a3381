"""Paths and helpers shared by the contract tests (samples, schemas, sample data as Decimal)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SUBMISSIONS = sorted((SAMPLES / "submissions").glob("*.json"))
FILINGS = sorted(p for p in (SAMPLES / "filings").iterdir() if p.suffix in (".json", ".yaml", ".yml"))
INVALID = sorted(p for p in (SAMPLES / "invalid").iterdir() if p.suffix in (".json", ".yaml", ".yml"))
VALID = SUBMISSIONS + FILINGS


def kind_of(path: Path) -> str:
    return "submission" if path.parent.name == "submissions" else "product_filing"


def schema_dict(kind: str) -> dict[str, Any]:
    text = resources.files("inclusive_check.contract").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")
    return json.loads(text)


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def read_data(path: Path) -> Any:
    """A sample as plain data, numbers as int or Decimal (never binary floats)."""
    text = path.read_text("utf-8")
    if path.suffix in (".yaml", ".yml"):
        return _decimals(yaml.safe_load(text))
    return json.loads(text, parse_float=Decimal)
