"""The models' compiled numbers, counts and dates (contract/models.py) change nothing but speed.

Each such field is validated by pydantic-core first and by its rule as written (``_number``, ``_count``,
``_iso_date`` with the bounds) for whatever that refuses. Here every such type is held to the rule as written,
declared the plain way (``BeforeValidator`` and ``Field``): the same values (types, Decimal exponents), and the
same messages as the loader reports them. Checked on the samples, the generated mutations of the schema/model
agreement test, and edge-case numbers, counts and dates.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pytest
from contract_helpers import VALID, kind_of, read_data
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from test_schema_model_agreement import MODELS, generated_cases

from inclusive_check.contract import load, models
from inclusive_check.contract.explain import model_messages
from inclusive_check.contract.load import parse_bytes

STRICT = ConfigDict(strict=True)  # as the models are
NUMBER = BeforeValidator(models._number)
COUNT = BeforeValidator(models._count)
TYPES: dict[str, tuple[Any, Any]] = {  # name: (the models' type, the rule as written)
    "Rate": (models.Rate, Annotated[Decimal, NUMBER, Field(ge=0, le=1), models.Bounded]),
    "RatioPct": (models.RatioPct, Annotated[Decimal, NUMBER, Field(ge=-100000, le=100000), models.Bounded]),
    "AmountCny": (models.AmountCny, Annotated[Decimal, NUMBER, Field(ge=0, le=10**14), models.Bounded]),
    "Days": (models.Days, Annotated[Decimal, NUMBER, Field(ge=0, le=3650), models.Bounded]),
    "Count": (models.Count, Annotated[int, COUNT, Field(ge=0, le=10_000_000_000)]),
    "IsoDate": (models.IsoDate, Annotated[date, BeforeValidator(models._iso_date)]),
}
ADAPTERS = {
    name: (TypeAdapter(fast, config=STRICT), TypeAdapter(written, config=STRICT))
    for name, (fast, written) in TYPES.items()
}
FIELDS = {  # document keys holding each type
    "premium_rate": "Rate",
    "intermediary_fee_rate": "Rate",
    "inclusive_kpi_weight": "Rate",
    "core_ratio_pct": "RatioPct",
    "comprehensive_ratio_pct": "RatioPct",
    "total_assets_cny": "AmountCny",
    "premium_cny": "AmountCny",
    "claims_paid_cny": "AmountCny",
    "avg_settlement_days": "Days",
    "policies_in_force": "Count",
    "insured_persons": "Count",
    "claims_settled": "Count",
    "complaints": "Count",
    "mass_incidents": "Count",
    "sale_start": "IsoDate",
    "sale_end": "IsoDate",
    "agreement_start": "IsoDate",
    "agreement_end": "IsoDate",
    "filing_date": "IsoDate",
    "board_reviews": "IsoDate",
    "management_reviews": "IsoDate",
}


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types, Decimals to the exponent, models with the same fields set."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):
        return a.model_fields_set == b.model_fields_set and all(
            same(getattr(a, name), getattr(b, name)) for name in type(a).model_fields
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    return bool(a == b)


def outcome(adapter: TypeAdapter[Any], value: Any) -> tuple[str, Any]:
    """The value read, or the messages with their places as the loader reports the models' own."""
    try:
        return "read", adapter.validate_python(value)
    except ValidationError as exc:
        return "refused", model_messages(exc)


def agree(name: str, value: Any) -> bool:
    fast, written = (outcome(adapter, value) for adapter in ADAPTERS[name])
    return fast[0] == written[0] and same(fast[1], written[1])


def leaves(value: Any) -> list[tuple[str, Any]]:
    """(type name, value) of every number, count and date in a document (items of a list of dates too)."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key in FIELDS:
                found += [(FIELDS[key], item) for item in (child if isinstance(child, list) else [child])]
            else:
                found += leaves(child)
    elif isinstance(value, list):
        for item in value:
            found += leaves(item)
    return found


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_samples_read_as_the_rules_as_written_read_them(sample: Any) -> None:
    data = read_data(sample)
    MODELS[kind_of(sample)].model_validate(data)
    found = leaves(data)
    assert found
    for name, value in found:
        assert agree(name, value), (name, value)


def test_generated_mutations_read_and_refused_as_the_rules_as_written() -> None:
    checked = set()
    for case in generated_cases():
        for name, value in leaves(case.data):
            key = (name, repr(value))
            if key not in checked:
                checked.add(key)
                assert agree(name, value), (case.id, name, value)
    assert {name for name, _ in checked} == set(TYPES)


def _random_number(rng: random.Random) -> Any:
    shape = rng.random()
    if shape < 0.1:
        return rng.choice([True, False, None, "0.05", "5%", 0.05, [], {}, "", "1E3"])
    if shape < 0.3:
        return rng.choice([0, 1, -1, 10**10, 10**10 + 1, 10**14, 10**14 + 1, 10**15, rng.randrange(-(10**16), 10**16)])
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 34)))
    exponent = rng.randint(-40, 20)
    sign = rng.choice(["", "-"]) if rng.random() < 0.2 else ""
    value = Decimal(f"{sign}{digits}E{exponent}")
    return value if rng.random() < 0.5 else value.normalize()


EDGES = [
    Decimal("1.500000000000000000"),
    Decimal("0.50000000000000000000000000000001"),
    Decimal("12345.000000000000000000000001"),
    Decimal("1E+14"),
    Decimal("1E+15"),
    Decimal("-0"),
    Decimal("0E-30"),
    Decimal("0E+30"),
    Decimal("37.0"),
    Decimal("1E-15"),
    Decimal("1E-16"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("99999999999999.99"),
    Decimal("1.0"),
    Decimal("1.0000"),
    Decimal("1.0001"),
    Decimal("3650"),
    Decimal("3650.0000001"),
    Decimal("1E+1000000"),
    Decimal("1E-1000000"),
    Decimal("1E+19"),
    Decimal("-1E+19"),
    10**40,
    -(10**40),
]


@pytest.mark.parametrize("name", ["Rate", "RatioPct", "AmountCny", "Days", "Count"])
def test_numbers_and_counts_at_the_edges(name: str) -> None:
    rng = random.Random(f"fast-path/{name}")
    for value in EDGES + [_random_number(rng) for _ in range(1500)]:
        assert agree(name, value), repr(value)


@pytest.mark.parametrize(
    "value",
    [
        "2025-01-01",
        "2024-02-29",
        "2025-02-29",
        "2025-02-30",
        "2025-13-01",
        "2025-00-10",
        "0000-01-01",
        "0001-01-01",
        "9999-12-31",
        "2025-1-01",
        "2025-01-01\n",
        "2025-01-01T00:00:00",
        "2025-01-01 ",
        " 2025-01-01",
        "２０２５-01-01",
        "20250101",
        "2025/01/01",
        "2025-W01-1",
        20250101,
        None,
        True,
        Decimal("2025"),
        date(2025, 1, 1),
    ],
)
def test_dates_at_the_edges(value: Any) -> None:
    assert agree("IsoDate", value)


FILING = next(p for p in VALID if kind_of(p) == "product_filing" and p.suffix == ".json")


def test_a_count_written_37_point_0_is_read_as_37() -> None:
    raw = FILING.read_text("utf-8").replace('"premium_rate"', '"policies_in_force": 37.0, "premium_rate"', 1)
    loaded = parse_bytes(raw.encode(), "x.json")
    assert loaded.ok, loaded.problems
    assert loaded.document is not None
    assert loaded.document.product.policies_in_force == 37  # type: ignore[union-attr]


def test_when_the_schema_runs_out_of_work_the_models_explain_in_the_rules_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = read_data(FILING)
    raw = FILING.read_text("utf-8")
    for key, bad in (("premium_rate", '"5%"'), ("sale_start", '"2025-02-30"')):
        text = raw.replace(f'"{key}": {_json(data["product"][key])}', f'"{key}": {bad}', 1)
        assert text != raw
        monkeypatch.setattr(load, "SCHEMA_WORK", 1)
        problems = [(p.pointer, p.message) for p in parse_bytes(text.encode(), "x.json").problems]
        expected = (
            "Value error, must be a JSON number"
            if key == "premium_rate"
            else "Value error, 2025-02-30 is not a calendar date"
        )
        assert problems == [(f"/product/{key}", expected), ("", str(load._STOPPED))]


def _json(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)
