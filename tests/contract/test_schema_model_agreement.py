"""The published JSON Schemas and the pydantic models accept exactly the same documents.

Checked on every valid sample and on deterministic generated mutations of them (fixed seed),
applied across the whole document tree: dropped keys, unknown keys, wrong types, numbers out of
range and at the boundaries, enum values not allowed, nulls, date strings, array shapes.
Numbers agree too: a number in range is exactly the number written (0.0500000000000000001 is accepted by both,
and read as written). One bound the schemas state in their descriptions but cannot express: at most 40
significant digits and 40 decimal places (tests/test_exact_figures.py); text with NUL is refused by both.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from contract_helpers import VALID, kind_of, read_data
from pydantic import ValidationError

from inclusive_check.contract import models
from inclusive_check.contract.load import _validator

SEED = 20240529  # the guidance's date
PER_SAMPLE = 40
MODELS = {"submission": models.Submission, "product_filing": models.ProductFiling}
# The published schema, run by python-jsonschema with JSON Schema's own notion of an integer (37.0 is one),
# which it does not apply to Decimal-parsed numbers by itself.
VALIDATORS = {kind: _validator(kind) for kind in ("submission", "product_filing")}
VOLUME_FIELDS = frozenset(
    {
        "policies_in_force",
        "insured_persons",
        "premium_cny",
        "claims_paid_cny",
        "claims_settled",
        "avg_settlement_days",
    }
)
TRAILING_NEWLINE = (
    "schema/model disagreement: the python-jsonschema library runs 'pattern' with re.search, where '$' also "
    "matches before a final newline, so it accepts '<value>\\n'; pydantic (and ECMA-262, the JSON Schema "
    "regex dialect, as in check-jsonschema) does not, so the model rejects it"
)
LONE_SURROGATE = (
    "schema/model disagreement: a JSON string with a lone surrogate escape (\\ud800) is a string to "
    "JSON Schema, but pydantic cannot read it as Unicode and rejects it"
)

Path_ = tuple[str | int, ...]


def schema_accepts(kind: str, data: Any) -> bool:
    return VALIDATORS[kind].is_valid(data)


def model_accepts(kind: str, data: Any) -> bool:
    try:
        MODELS[kind].model_validate(data)
    except ValidationError:
        return False
    return True


def pointer(path: Path_) -> str:
    return "".join(f"/{part}" for part in path)


def nodes(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from nodes(child, (*path, index))


def get(doc: Any, path: Path_) -> Any:
    for part in path:
        doc = doc[part]
    return doc


# Replacement values: every JSON type, numbers at and beyond each range's edges, date and quarter
# strings (good, impossible and badly written), enum near-misses. At most 15 significant digits.
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    7,
    Decimal("0.05"),
    Decimal("0.5"),
    Decimal("1.0"),
    Decimal("1.0001"),
    Decimal("-0.01"),
    Decimal("-0"),
    Decimal("3650"),
    Decimal("3650.5"),
    Decimal("100000"),
    Decimal("100000.1"),
    Decimal("-100000"),
    Decimal("-100001"),
    10_000_000_000,
    10_000_000_001,
    Decimal("1E+15"),
    Decimal("1.1E+15"),
    Decimal("37.0"),
    Decimal("2.5E-3"),
    "",
    "x",
    "0.05",
    "5%",
    "true",
    "null",
    "2025-01-01",
    "2024-02-29",
    "2025-02-29",
    "2025-02-30",
    "2025-13-01",
    "2025-1-1",
    "2025/01/01",
    "20250101",
    "2025-Q4",
    "2025-Q5",
    "2025",
    "1899",
    "HX-LIFE-001",
    "hx-life-001",
    "A",
    "AAA",
    "B",
    "E",
    "a",
    "short",
    "long",
    "medium",
    "accident",
    "motor",
    "elderly",
    "students",
    "direct",
    "wechat",
    "submission",
    "product_filing",
    "1.0",
    "2.0",
    "名" * 500,
    "名" * 501,
    [],
    {},
    ["elderly"],
    ["elderly", "elderly"],
    [None],
    {"unexpected": 1},
]


def borrowable(paths: list[Path]) -> dict[str, list[Any]]:
    """Every value each key name takes anywhere in the valid samples: mostly valid replacements."""
    pool: dict[str, list[Any]] = {}
    for sample in paths:
        for path, value in nodes(read_data(sample)):
            if path and isinstance(path[-1], str):
                pool.setdefault(path[-1], []).append(value)
    return pool


BORROW = borrowable(VALID)


@dataclass(frozen=True)
class Case:
    sample: Path
    index: int
    op: str
    path: Path_
    detail: str
    data: Any

    @property
    def kind(self) -> str:
        return kind_of(self.sample)

    @property
    def id(self) -> str:
        return f"{self.sample.stem}:{self.index:02d}:{self.op}:{pointer(self.path) or '/'}:{self.detail}"


def mutate(rng: random.Random, sample: Path, index: int, base: Any) -> Case:
    all_nodes = list(nodes(base))
    objects = [(p, v) for p, v in all_nodes if isinstance(v, dict)]
    arrays = [(p, v) for p, v in all_nodes if isinstance(v, list)]
    members = [(p, v) for p, v in all_nodes if p]
    data = copy.deepcopy(base)
    op = rng.choice(["drop", "unknown", "replace", "replace", "replace", "enum", "number", "array", "borrow", "borrow"])
    if op == "borrow":
        path, _ = rng.choice([(p, v) for p, v in members if isinstance(p[-1], str)])
        value = rng.choice(BORROW[str(path[-1])])
        get(data, path[:-1])[path[-1]] = copy.deepcopy(value)
        return Case(sample, index, op, path, repr(value)[:40], data)
    if op == "drop":
        path, _ = rng.choice([(p, v) for p, v in members if isinstance(p[-1], str)])
        del get(data, path[:-1])[path[-1]]
        return Case(sample, index, op, path, "", data)
    if op == "unknown":
        path, _ = rng.choice(objects)
        key = rng.choice(["comment", "premium_rate_pct", "Code", "备注", "kind "])
        get(data, path)[key] = rng.choice([None, 1, "x"])
        return Case(sample, index, op, path, key, data)
    if op == "enum":
        # swap a string for another string from the pool: often an allowed value of some other enum
        path, _ = rng.choice([(p, v) for p, v in members if isinstance(v, str)])
        value = rng.choice([v for v in VALUES if isinstance(v, str)])
        get(data, path[:-1])[path[-1]] = value
        return Case(sample, index, op, path, repr(value)[:40], data)
    if op == "number":
        path, old = rng.choice(
            [(p, v) for p, v in members if isinstance(v, (int, Decimal)) and not isinstance(v, bool)] or members
        )
        delta = rng.choice([Decimal("-1"), Decimal("-0.0001"), Decimal("0.0001"), Decimal("1"), Decimal("1E+3")])
        value = old + delta if isinstance(old, (int, Decimal)) else delta
        value = rng.choice([value, -value, int(value) if value == int(value) else value])
        get(data, path[:-1])[path[-1]] = value
        return Case(sample, index, op, path, str(value), data)
    if op == "array":
        path, items = rng.choice(arrays)
        how = rng.choice(["empty", "duplicate-first", "append-null", "append-string", "to-object"])
        target = get(data, path[:-1])
        if how == "empty":
            target[path[-1]] = []
        elif how == "duplicate-first" and items:
            get(data, path).append(copy.deepcopy(items[0]))
        elif how == "append-null":
            get(data, path).append(None)
        elif how == "append-string":
            get(data, path).append("elderly")
        else:
            target[path[-1]] = {"0": items[0] if items else None}
        return Case(sample, index, op, path, how, data)
    path, _ = rng.choice(members)
    value = rng.choice(VALUES)
    get(data, path[:-1])[path[-1]] = copy.deepcopy(value)
    return Case(sample, index, op, path, repr(value)[:40], data)


def known_disagreement(case: Case) -> str | None:
    """The reason a case is a known schema/model disagreement, decided from the case itself."""
    return None


def generated_cases() -> list[Case]:
    rng = random.Random(SEED)
    cases = []
    for sample in VALID:
        base = read_data(sample)
        cases.extend(mutate(rng, sample, i, base) for i in range(PER_SAMPLE))
    return cases


CASES = generated_cases()


def _set(base: Any, path: Path_, value: Any) -> Any:
    data = copy.deepcopy(base)
    get(data, path[:-1])[path[-1]] = value
    return data


def explicit_cases() -> list[Any]:
    """Named cases for each class of mutation; the known disagreements are single strict xfails."""
    sub_path = next(p for p in VALID if p.name == "hx-life-2025.json")
    fil_path = next(p for p in VALID if p.name == "hx-life-rural-accident.json")
    sub, fil = read_data(sub_path), read_data(fil_path)
    out: list[Any] = []

    def case(sample: Path, base: Any, path: Path_, value: Any, detail: str, xfail: str | None = None) -> None:
        c = Case(sample, len(out), "explicit", path, detail, _set(base, path, value))
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))

    p0 = ("products", 0)
    # agreements at the edges
    case(sub_path, sub, (*p0, "premium_rate"), 1, "rate int 1")
    case(sub_path, sub, (*p0, "premium_rate"), Decimal("1.00000000000001"), "rate just above 1")
    case(sub_path, sub, (*p0, "premium_cny"), 10**15, "amount at max")
    case(sub_path, sub, (*p0, "premium_cny"), 10**15 + 1, "amount above max")
    case(sub_path, sub, ("consumer_protection", "complaints"), Decimal("412.0"), "count written 412.0")
    case(sub_path, sub, ("consumer_protection", "complaints"), True, "count true")
    case(sub_path, sub, ("solvency", 0, "core_ratio_pct"), Decimal("-100000"), "ratio at min")
    case(sub_path, sub, ("insurer", "size_class"), None, "size_class null")
    case(sub_path, sub, ("governance", "lead_department"), "", "lead department empty string")
    case(sub_path, sub, ("governance", "lead_department"), "部" * 501, "lead department too long")
    case(sub_path, sub, ("insurer", "name"), "\U0001f600" * 500, "500 astral characters")
    case(sub_path, sub, ("governance", "board_reviews"), ["2024-02-29", "2025-12-31"], "leap day")
    case(sub_path, sub, ("governance", "board_reviews"), ["2025-02-29"], "not a leap year")
    case(sub_path, sub, ("governance", "board_reviews"), ["2025-01-01\n"], "date with newline")
    case(sub_path, sub, ("governance", "board_reviews"), ["\uff12025-01-01"], "fullwidth digit in date")
    case(sub_path, sub, ("governance", "board_reviews"), ["0000-01-01"], "year zero")
    case(sub_path, sub, (*p0, "target_groups"), ["elderly", "elderly"], "duplicate target group")
    case(sub_path, sub, (*p0, "channels"), [], "no channel")
    case(sub_path, sub, (*p0, "government_program"), None, "government_program null")
    case(sub_path, sub, (*p0, "comparable", "premium_rate"), None, "comparable rate null")
    case(fil_path, fil, ("product", "sale_end"), "2025-12-31", "sale_end given")
    case(fil_path, fil, ("product", "comparable"), {"product_code": "X"}, "comparable code only")
    case(fil_path, fil, ("product", "comparable"), {}, "comparable without code")
    case(fil_path, fil, ("filing_date",), "2025-04-31", "filing date 31 April")
    case(fil_path, fil, ("insurer_code",), "HX_LIFE_001", "insurer code underscore")
    # precision and range: judged on the number as written by both, and read as written by the models
    for value in (
        "0.0500000000000000001",
        "1e-40",
        "0.0000000000000000000000000000000000000001",
        "0E+30",
        "0E-400",
        "0.99999999999999999999",
        "1.0000000000000001",
        "-1e-400",
        "1E+1000000",
    ):
        case(sub_path, sub, (*p0, "premium_rate"), Decimal(value), f"rate {value[:30]}")
    for value in ("99999999999999.99", "100000000000000.0000000001", "0.000000000000000001", "1E+15"):
        case(sub_path, sub, (*p0, "premium_cny"), Decimal(value), f"amount {value}")
    for value in ("-100000.0000000000001", "-99999.99999999999999", "215.30000000000000000001"):
        case(sub_path, sub, ("solvency", 0, "core_ratio_pct"), Decimal(value), f"ratio {value}")
    case(sub_path, sub, (*p0, "avg_settlement_days"), Decimal("3650.0000000000000001"), "days just above max")
    case(sub_path, sub, (*p0, "avg_settlement_days"), Decimal("3649.99999999999999999"), "days just below max")
    for value in ("1E+1000000", "1E+20", "37.000000000000000000001", "1E-400"):
        case(sub_path, sub, ("consumer_protection", "complaints"), Decimal(value), f"count {value}")
    # text: NUL anywhere is refused by both; every string has its length limit in the schema
    case(sub_path, sub, ("insurer", "name"), "华夏\u0000人寿", "NUL in name")
    case(sub_path, sub, ("governance", "lead_department"), "\u0000", "NUL in lead department")
    case(sub_path, sub, ("governance", "lead_department"), "部" * 501, "lead department too long")
    case(sub_path, sub, (*p0, "comparable", "product_code"), "X\u0000", "NUL in comparable code")
    case(fil_path, fil, ("product", "name"), "\u0000", "NUL as a filing's product name")
    case(sub_path, sub, (*p0, "code"), "P" * 65, "product code too long")
    case(sub_path, sub, ("insurer", "code"), "I" * 41, "insurer code too long")
    # known disagreements: one strict xfail per field
    for field in sorted(VOLUME_FIELDS):
        case(sub_path, sub, (*p0, field), None, f"{field} null")
    case(fil_path, fil, ("product", "premium_cny"), None, "filing premium_cny null")
    case(sub_path, sub, ("reporting_period",), "2025\n", "period newline", TRAILING_NEWLINE)
    case(sub_path, sub, ("insurer", "code"), "HX-LIFE-001\n", "insurer code newline", TRAILING_NEWLINE)
    case(sub_path, sub, ("solvency", 0, "quarter"), "2025-Q1\n", "quarter newline", TRAILING_NEWLINE)
    case(sub_path, sub, (*p0, "code"), "HXL-PH-2024-01\n", "product code newline", TRAILING_NEWLINE)
    case(fil_path, fil, ("insurer_code",), "HX-LIFE-001\n", "filing insurer code newline", TRAILING_NEWLINE)
    case(sub_path, sub, ("insurer", "name"), "华夏\ud800", "lone surrogate", LONE_SURROGATE)
    return out


EXPLICIT = explicit_cases()


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_valid_sample_accepted_by_both(sample: Path) -> None:
    data = read_data(sample)
    assert schema_accepts(kind_of(sample), data)
    assert model_accepts(kind_of(sample), data)


def _params() -> list[Any]:
    out = []
    for case in CASES:
        reason = known_disagreement(case)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_generated_mutation_agrees(case: Case) -> None:
    assert schema_accepts(case.kind, case.data) == model_accepts(case.kind, case.data)


@pytest.mark.parametrize("case", EXPLICIT)
def test_explicit_case_agrees(case: Case) -> None:
    assert schema_accepts(case.kind, case.data) == model_accepts(case.kind, case.data)


def test_generator_is_deterministic_and_covers_both_outcomes() -> None:
    again = generated_cases()
    assert [c.id for c in again] == [c.id for c in CASES]
    assert len(CASES) >= 200
    ops = Counter(c.op for c in CASES)
    assert set(ops) == {"drop", "unknown", "replace", "enum", "number", "array", "borrow"}
    accepted = sum(schema_accepts(c.kind, c.data) for c in CASES)
    # both outcomes are well represented, so agreement is tested on each side
    assert 0.25 * len(CASES) <= accepted <= 0.75 * len(CASES)
    assert len({c.id for c in CASES}) == len(CASES)
    depths = Counter(len(c.path) for c in CASES)
    assert max(depths) >= 4  # reaches e.g. /products/0/comparable/premium_rate
    assert {c.sample.name for c in CASES} == {p.name for p in VALID}


@pytest.mark.parametrize(
    "written",
    ["0.0500000000000000001", "0.05", "0.123456789012345678", "1.0000", "0.99999999999999999999", "1e-40"],
)
def test_rates_are_read_as_written(written: str) -> None:
    data = read_data(next(p for p in VALID if p.name == "hx-life-rural-accident.json"))
    data["product"]["premium_rate"] = Decimal(written)
    rate = models.ProductFiling.model_validate(data).product.premium_rate
    assert str(rate) == str(Decimal(written))


@pytest.mark.parametrize("written", ["99999999999999.99", "12345.678901234567", "-0.0000000000000001"])
def test_every_number_read_is_the_number_written(written: str) -> None:
    data = read_data(next(p for p in VALID if p.name == "hx-life-2025.json"))
    data["solvency"][0]["core_ratio_pct"] = Decimal(written) if abs(Decimal(written)) <= 100000 else Decimal(0)
    data["products"][0]["premium_cny"] = abs(Decimal(written))
    doc = models.Submission.model_validate(data)
    assert doc.solvency[0].core_ratio_pct == data["solvency"][0]["core_ratio_pct"]
    assert doc.products[0].premium_cny == abs(Decimal(written))
