"""Every valid sample loads; every invalid sample is rejected with exactly the expected located problems."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from contract_helpers import FILINGS, INVALID, SAMPLES, SUBMISSIONS, VALID, kind_of

from inclusive_check.contract.load import load_file
from inclusive_check.contract.models import ProductFiling, Submission

# file name -> the problems it must produce: (pointer, line, column, a fragment of the message).
# line/column None only where the file has no position to give (an empty file).
EXPECTED: dict[str, list[tuple[str, int | None, int | None, str]]] = {
    "malformed-json.json": [("", 10, 5, "not valid JSON: expected ',' between values")],
    "gbk-encoded.json": [("", 8, 14, "is not UTF-8")],
    "bom-prefixed.json": [("", 1, 1, "UTF-8 byte-order mark")],
    "empty.json": [("", None, None, "the file is empty")],
    "top-level-array.json": [("", 1, 1, "found an array")],
    "duplicate-key.json": [("/product/premium_rate", 26, 5, "duplicate key 'premium_rate'")],
    "nan-rate.json": [("/product/premium_rate", 25, 21, "NaN and Infinity are not JSON numbers")],
    "infinity-ratio.json": [("/solvency/2/core_ratio_pct", 29, 25, "NaN and Infinity are not JSON numbers")],
    "percent-string-rate.json": [("/product/premium_rate", 25, 21, "'0.11%' is a percent string")],
    "null-premium-rate.json": [("/product/premium_rate", 25, 21, "null is not a number")],
    "quoted-boolean.json": [("/product/dedicated_inclusive", 10, 28, "'true' is not a boolean; write the value")],
    "negative-fee-rate.json": [("/product/intermediary_fee_rate", 26, 30, "-0.07 is less than the minimum of 0")],
    "rate-above-one.json": [("/product/premium_rate", 25, 21, "1.1 is greater than the maximum of 1")],
    "absurd-solvency-ratio.json": [("/solvency/0/core_ratio_pct", 17, 25, "1,864,000 is greater than the maximum")],
    "negative-complaint-count.json": [("/consumer_protection/complaints", 125, 19, "-37 is less than the minimum")],
    "impossible-quarter.json": [("/solvency/3/quarter", 34, 18, "'2025-Q5' does not match")],
    "duplicate-quarter.json": [("/solvency/2/quarter", 28, 18, "quarter 2025-Q2 already reported at /solvency/1")],
    "impossible-date.json": [("/product/sale_start", 17, 19, "'2025-02-30' is not a valid date")],
    "sale-end-before-start.json": [("/product/sale_end", 18, 17, "sale ends (2025-08-31) before it starts")],
    "agreement-end-before-start.json": [
        ("/intermediaries/1/agreement_end", 104, 24, "agreement ends (2024-09-30) before it starts (2024-10-01)")
    ],
    "unknown-enum-line.json": [("/product/line", 9, 13, "'motor' is not one of")],
    "unknown-field.json": [("/product", 6, 14, "unexpected 'commission_rate'")],
    "missing-required-field.json": [("/product", 6, 14, "missing required property premium_rate")],
    "duplicate-product-code.json": [("/products/1/code", 91, 15, "already used by /products/0")],
    "wrong-kind.json": [("/kind", 2, 11, "found 'filing'")],
    "wrong-schema-version.json": [("/schema_version", 3, 21, "is not one of '1.0', '1.1', '1.2'")],
    "invalid-filing.yaml": [("/product/channels/1", 18, 22, "'wechat' is not one of")],
}
# Files whose problem has no position: line and column are absent.
UNLOCATED = {"empty.json"}


def test_sample_folders_are_populated() -> None:
    assert len(SUBMISSIONS) >= 5
    assert len(FILINGS) >= 3
    assert any(p.suffix == ".yaml" for p in FILINGS)


def test_every_invalid_file_has_an_expectation() -> None:
    assert sorted(p.name for p in INVALID) == sorted(EXPECTED)


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_sample_loads(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.problems == []
    assert loaded.ok
    expected_type = Submission if kind_of(path) == "submission" else ProductFiling
    assert type(loaded.document) is expected_type
    assert loaded.sha256 and loaded.raw == path.read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_sample_is_rejected_at_the_expected_pointer(name: str) -> None:
    loaded = load_file(SAMPLES / "invalid" / name)
    assert not loaded.ok
    assert loaded.document is None
    expected = EXPECTED[name]
    assert {p.pointer for p in loaded.problems} == {e[0] for e in expected}
    assert len(loaded.problems) == len(expected)
    for problem, (pointer, line, column, fragment) in zip(loaded.problems, expected, strict=True):
        assert problem.pointer == pointer
        assert fragment in problem.message
        assert problem.source == str(SAMPLES / "invalid" / name)
        if name in UNLOCATED:
            assert problem.line is None and problem.column is None
        else:
            assert isinstance(problem.line, int) and isinstance(problem.column, int)
            assert (problem.line, problem.column) == (line, column)


def _sub(name: str) -> Submission:
    document = load_file(SAMPLES / "submissions" / name).document
    assert isinstance(document, Submission)
    return document


def _filing(name: str) -> ProductFiling:
    document = load_file(SAMPLES / "filings" / name).document
    assert isinstance(document, ProductFiling)
    return document


def test_numbers_arrive_as_exact_decimals() -> None:
    zs = _sub("zs-prop-2025q4.json")
    assert zs.governance.inclusive_kpi_weight == Decimal("0.0499")
    assert zs.governance.inclusive_kpi_weight < Decimal("0.05")
    assert zs.insurer.size_class is None
    assert zs.insurer.total_assets_cny == Decimal("623500000000")
    assert zs.reporting_period == "2025-Q4"
    hx = _sub("hx-life-2025.json")
    assert hx.governance.inclusive_kpi_weight == Decimal("0.05")
    yaml_filing = _filing("al-prop-courier-accident.yaml")
    assert yaml_filing.product.premium_rate == Decimal("0.0014")
    assert yaml_filing.product.comparable is not None
    assert yaml_filing.product.comparable.intermediary_fee_rate == Decimal("0.18")


def test_samples_carry_the_facts_their_scenario_needs() -> None:
    al = _sub("al-prop-2025.json")
    assert (al.insurer.category, al.insurer.size_class) == ("property", "small")
    assert [q.irr_class for q in al.solvency if q.irr_class == "C"] == ["C"]
    assert {q.quarter for q in al.solvency if q.irr_class == "C"} == {"2025-Q3"}
    assert any(
        p.dedicated_inclusive
        and p.sale_start.isoformat() <= "2025-07-01"
        and (p.sale_end is None or p.sale_end.isoformat() >= "2025-09-30")
        for p in al.products
    )

    kn = _sub("kn-health-2025.json")
    assert (kn.insurer.category, kn.insurer.size_class) == ("health", "medium")
    equal, fee, missing = kn.products[0], kn.products[1], kn.products[2]
    assert equal.dedicated_inclusive and equal.comparable is not None
    assert equal.premium_rate == equal.comparable.premium_rate
    assert fee.comparable is not None and fee.comparable.intermediary_fee_rate is not None
    assert fee.intermediary_fee_rate is not None and fee.intermediary_fee_rate > fee.comparable.intermediary_fee_rate
    assert missing.dedicated_inclusive and missing.comparable is None
    assert kn.governance.lead_department is None
    assert all(d.year != 2025 for d in kn.governance.board_reviews)

    fh = _sub("fh-agri-2025.json")
    assert fh.insurer.category == "agricultural"
    assert fh.consumer_protection.mass_incidents == 1
    assert {"small_farmers", "new_agricultural_entities"} <= {g for p in fh.products for g in p.target_groups}
    assert any(p.government_program and "postal" in p.channels and p.line == "agriculture" for p in fh.products)
    short = [
        m
        for m in fh.intermediaries
        if m.covers_inclusive
        and m.agreement_end is not None
        and (m.agreement_end.year - m.agreement_start.year) * 12 + m.agreement_end.month - m.agreement_start.month < 12
    ]
    assert [m.type for m in short] == ["postal"]

    breach = _filing("kn-health-fee-breach.json").product
    assert breach.comparable is not None and breach.comparable.intermediary_fee_rate is not None
    assert breach.intermediary_fee_rate is not None
    assert breach.intermediary_fee_rate > breach.comparable.intermediary_fee_rate

    codes = {_sub(p.name).insurer.code for p in SUBMISSIONS}
    for path in FILINGS:
        assert _filing(path.name).insurer_code in codes
