"""A document may use only the fields of the schema_version it declares: risk_areas came in 1.1 and regions in
1.2; a field from a later version is invalid, located at the field (JSON and YAML alike)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from inclusive_check.contract.load import parse_bytes

SAMPLES = Path(__file__).resolve().parent.parent.parent / "samples"
SUBMISSION = SAMPLES / "submissions" / "kn-health-2025.json"
FILING = SAMPLES / "filings" / "hx-life-rural-accident.json"
REGIONS = [{"region": "440100", "policies": 1, "insured_persons": 1, "premium_cny": 1, "claims_paid_cny": 1}]


def _problems(doc: Any, suffix: str = ".json") -> list[tuple[str, int | None, str]]:
    text = yaml.safe_dump(doc, allow_unicode=True) if suffix == ".yaml" else json.dumps(doc, indent=2)
    return [(p.pointer, p.line, p.message) for p in parse_bytes(text.encode(), f"doc{suffix}", suffix).problems]


def _submission(version: str) -> Any:
    doc = json.loads(SUBMISSION.read_text("utf-8"))
    doc["schema_version"] = version
    doc.pop("regions", None)
    for product in doc["products"]:
        product.pop("risk_areas", None)
    return doc


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_risk_areas_in_a_1_0_submission_is_located_at_the_field(suffix: str) -> None:
    doc = _submission("1.0")
    doc["products"][1]["risk_areas"] = ["vaccination"]
    [(pointer, line, message)] = _problems(doc, suffix)
    assert pointer == "/products/1/risk_areas" and line is not None
    assert "risk_areas was introduced in schema_version 1.1" in message and "declares 1.0" in message


@pytest.mark.parametrize("value", [["vaccination"], [], None])
def test_risk_areas_even_empty_or_null_needs_1_1(value: Any) -> None:
    doc = _submission("1.0")
    doc["products"][0]["risk_areas"] = value
    assert [p for p, _, _ in _problems(doc)] == ["/products/0/risk_areas"]
    doc["schema_version"] = "1.1"
    assert _problems(doc) == []


def test_regions_in_a_1_1_submission_is_located_at_the_field() -> None:
    doc = _submission("1.1")
    doc["regions"] = REGIONS
    [(pointer, line, message)] = _problems(doc)
    assert pointer == "/regions" and line is not None
    assert "regions was introduced in schema_version 1.2" in message and "declares 1.1" in message
    doc["schema_version"] = "1.2"
    assert _problems(doc) == []


def test_a_1_0_filing_with_risk_areas_is_invalid() -> None:
    doc = json.loads(FILING.read_text("utf-8"))
    assert doc["schema_version"] == "1.0"
    doc["product"]["risk_areas"] = ["natural_disaster"]
    assert [p for p, _, _ in _problems(doc)] == ["/product/risk_areas"]
    doc["schema_version"] = "1.1"
    assert _problems(doc) == []


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_documents_without_later_fields_stay_valid_in_every_version(version: str) -> None:
    assert _problems(_submission(version)) == []
