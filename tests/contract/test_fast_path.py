"""The loader's fast twin of the models' validator (contract/load.py) changes nothing but speed.

Whatever the twin accepts, the models accept too, with the very same values (types, Decimal exponents,
dates, fields set); whatever it rejects goes to the models, so messages are theirs. Checked on the samples,
the generated mutations of the schema/model agreement test, and edge-case numbers, counts and dates.
"""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from typing import Any

import pytest
from contract_helpers import VALID, kind_of, read_data
from pydantic import BaseModel, ValidationError
from test_schema_model_agreement import MODELS, generated_cases

from inclusive_check.contract.load import _fast_validate, _fast_validator, parse_bytes


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types, Decimals to the exponent, models with the same fields set."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return a.model_fields_set == b.model_fields_set and all(
            same(getattr(a, name), getattr(b, name)) for name in type(a).model_fields)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    return bool(a == b)


def models_result(kind: str, data: Any) -> BaseModel | None:
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError:
        return None


def test_the_twin_is_built() -> None:
    assert _fast_validator("submission") is not None
    assert _fast_validator("product_filing") is not None


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_samples_take_the_fast_path_with_identical_documents(sample: Any) -> None:
    kind, data = kind_of(sample), read_data(sample)
    fast = _fast_validate(kind, data)
    assert fast is not None
    assert same(fast, models_result(kind, data))


def test_generated_mutations_never_accepted_by_the_twin_alone() -> None:
    accepted = 0
    for case in generated_cases():
        fast = _fast_validate(case.kind, case.data)
        if fast is not None:
            accepted += 1
            assert same(fast, models_result(case.kind, case.data)), case.id
    assert accepted > 0


FILING = next(p for p in VALID if kind_of(p) == "product_filing" and p.suffix == ".json")


def _random_number(rng: random.Random) -> Any:
    shape = rng.random()
    if shape < 0.1:
        return rng.choice([True, False, None, "0.05", "5%", 0.05, [], {}, "", "1E3"])
    if shape < 0.3:
        return rng.choice([0, 1, -1, 10**10, 10**10 + 1, 10**14, 10**14 + 1, 10**15, rng.randrange(-10**16, 10**16)])
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 34)))
    exponent = rng.randint(-40, 20)
    sign = rng.choice(["", "-"]) if rng.random() < 0.2 else ""
    value = Decimal(f"{sign}{digits}E{exponent}")
    return value if rng.random() < 0.5 else value.normalize()


NUMBER_FIELDS = {
    "premium_rate": ("product",), "intermediary_fee_rate": ("product",), "premium_cny": ("product",),
    "avg_settlement_days": ("product",), "policies_in_force": ("product",), "claims_settled": ("product",),
}


@pytest.mark.parametrize("field", sorted(NUMBER_FIELDS))
def test_numbers_and_counts_at_the_edges(field: str) -> None:
    rng = random.Random(f"fast-path/{field}")
    base = read_data(FILING)
    edges = [Decimal("1.500000000000000000"), Decimal("0.50000000000000000000000000000001"),
             Decimal("12345.000000000000000000000001"), Decimal("1E+14"), Decimal("1E+15"), Decimal("-0"),
             Decimal("0E-30"), Decimal("0E+30"), Decimal("37.0"), Decimal("1E-15"), Decimal("1E-16"),
             Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("99999999999999.99"),
             Decimal("1.0"), Decimal("1.0000"), Decimal("1.0001"), Decimal("3650"), Decimal("3650.0000001"),
             Decimal("1E+1000000"), Decimal("1E-1000000")]
    for value in edges + [_random_number(rng) for _ in range(1500)]:
        data = copy.deepcopy(base)
        data["product"][field] = value
        fast = _fast_validate("product_filing", data)
        if fast is not None:
            assert same(fast, models_result("product_filing", data)), repr(value)


@pytest.mark.parametrize("value", [
    "2025-01-01", "2024-02-29", "2025-02-29", "2025-02-30", "2025-13-01", "2025-00-10", "0000-01-01",
    "0001-01-01", "9999-12-31", "2025-1-01", "2025-01-01\n", "2025-01-01T00:00:00", "2025-01-01 ", " 2025-01-01",
    "２０２５-01-01", "20250101", "2025/01/01", 20250101, None, True, Decimal("2025"),
])
def test_dates_at_the_edges(value: Any) -> None:
    data = read_data(FILING)
    data["product"]["sale_start"] = value
    data["product"]["sale_end"] = None
    fast = _fast_validate("product_filing", data)
    if fast is not None:
        assert same(fast, models_result("product_filing", data))


def test_a_count_written_37_point_0_goes_to_the_models_and_is_still_read() -> None:
    raw = FILING.read_text("utf-8").replace('"premium_rate"', '"policies_in_force": 37.0, "premium_rate"', 1)
    loaded = parse_bytes(raw.encode(), "x.json")
    assert loaded.ok, loaded.problems
    assert loaded.document is not None
    assert loaded.document.product.policies_in_force == 37  # type: ignore[union-attr]
