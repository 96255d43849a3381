"""Regional figures (schema 1.2): GB/T 2260 codes that are real divisions, each area once, sums within the
inclusive portfolio; every problem located; documents without regions (1.0, 1.1) stay valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contract_helpers import SAMPLES

from inclusive_check.contract.load import parse_bytes
from inclusive_check.contract.regions import divisions

SAMPLE = SAMPLES / "submissions" / "kn-health-2025.json"


def _doc() -> Any:
    doc = json.loads(SAMPLE.read_text("utf-8"))
    # Inclusive portfolio of this sample: policies 1579000, insured 1579000, premium 262340000, claims 121310000.
    doc["regions"] = [
        {"region": "440100", "policies": 600000, "insured_persons": 600000, "premium_cny": 100000000,
         "claims_paid_cny": 50000000},
        {"region": "450000", "policies": 200000, "insured_persons": 200000, "premium_cny": 30000000,
         "claims_paid_cny": 10000000},
    ]  # fmt: skip
    return doc


def _problems(doc: Any) -> list[tuple[str, int | None, int | None, str]]:
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    return [(p.pointer, p.line, p.column, p.message) for p in parse_bytes(text.encode(), "doc.json").problems]


def _line_of(doc: Any, needle: str) -> int:
    lines = json.dumps(doc, ensure_ascii=False, indent=2).splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_real_province_and_prefecture_codes_are_valid() -> None:
    assert _problems(_doc()) == []


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_documents_without_regions_stay_valid_in_every_version(version: str) -> None:
    doc = json.loads(SAMPLE.read_text("utf-8"))
    del doc["regions"]
    doc["schema_version"] = version
    assert _problems(doc) == []


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("449900", "449900 is not a GB/T 2260 prefecture-level division"),  # the right form, no such division
        ("990000", "990000 is not a GB/T 2260 province-level division"),
        ("810000", "810000 is not a GB/T 2260 province-level division"),  # Hong Kong: not in the shipped list
    ],
)
def test_a_code_that_is_no_division_is_located(code: str, fragment: str) -> None:
    doc = _doc()
    doc["regions"][1]["region"] = code
    [(pointer, line, column, message)] = _problems(doc)
    assert (pointer, line, column) == ("/regions/1/region", _line_of(doc, f'"{code}"'), 17)
    assert fragment in message


@pytest.mark.parametrize("code", ["440101", "44010", "4401000", "040100", "44A100", 440100])
def test_a_code_of_the_wrong_form_is_refused_by_the_schema(code: Any) -> None:
    doc = _doc()
    doc["regions"][0]["region"] = code
    [(pointer, _, _, _)] = _problems(doc)
    assert pointer == "/regions/0/region"


def test_an_area_reported_twice_or_inside_a_reported_province_is_located() -> None:
    doc = _doc()
    doc["regions"][1]["region"] = "440000"  # contains 440100
    doc["regions"].append({**doc["regions"][0], "policies": 1, "insured_persons": 1, "premium_cny": 1,
                           "claims_paid_cny": 1})  # fmt: skip
    problems = _problems(doc)
    assert [(p, m) for p, _, _, m in problems] == [
        ("/regions/2/region", "region 440100 already reported at /regions/0"),
        ("/regions/0/region", "region 440100 lies within 440000, also reported at /regions/1; report each area "
         "once, the province or its prefectures"),
        ("/regions/2/region", "region 440100 lies within 440000, also reported at /regions/1; report each area "
         "once, the province or its prefectures"),
    ]  # fmt: skip


def test_sums_over_regions_beyond_the_inclusive_portfolio_are_located_figure_by_figure() -> None:
    doc = _doc()
    doc["regions"][1]["premium_cny"] = 162340001  # 100000000 + 162340001 = 262340001 > 262340000
    doc["regions"][1]["policies"] = 979000  # 600000 + 979000 = 1579000: equal is within
    problems = _problems(doc)
    assert problems == [
        (
            "/regions",
            _line_of(doc, '"regions"'),
            14,
            "the regions' premium_cny add up to 262,340,001, more than the inclusive portfolio's 262,340,000 (the "
            "premium_cny of the products that are dedicated or name target groups)",
        )
    ]


def test_products_outside_the_inclusive_portfolio_do_not_count() -> None:
    doc = _doc()
    doc["products"] = [p for p in doc["products"] if p["dedicated_inclusive"] or p["target_groups"]][:1]
    only = doc["products"][0]
    doc["regions"] = [
        {"region": "440100", "policies": only["policies_in_force"], "insured_persons": only["insured_persons"],
         "premium_cny": only["premium_cny"], "claims_paid_cny": only["claims_paid_cny"]},
    ]  # fmt: skip
    assert _problems(doc) == []
    doc["products"][0] = {**only, "dedicated_inclusive": False, "target_groups": []}
    assert {message.split(" add up")[0] for _, _, _, message in _problems(doc)} == {
        "the regions' policies",
        "the regions' insured_persons",
        "the regions' premium_cny",
        "the regions' claims_paid_cny",
    }


def test_the_shipped_list_holds_provinces_and_their_prefectures() -> None:
    codes = divisions()
    assert codes["440000"] == "广东省" and codes["440100"] == "广州市" and codes["110100"] == "北京市市辖区"
    assert len([c for c in codes if c.endswith("0000")]) == 31
    assert all(c[:2] + "0000" in codes for c in codes)


def test_the_data_readme_names_source_version_and_licence() -> None:
    import inclusive_check

    readme = (Path(inclusive_check.__file__).parent / "data" / "README.md").read_text("utf-8")
    assert "china-division" in readme and "2.7.0" in readme and "MIT" in readme
