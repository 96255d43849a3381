"""Typed models of the two documents. They accept exactly what the JSON Schemas accept.

The JSON Schema files beside this module are the published contract; ``tests/contract`` keeps
these models and the schemas in step on the samples and on generated cases. Numbers arrive as
``int`` or ``Decimal`` (the loaders never produce binary floats), so every rate compares exactly.

Precision, as the schemas' descriptions state: a number is exactly the decimal written, never rounded
(0.049999999999999999 is below 0.05). So that no document can make arithmetic on it costly, a number has at
most 40 significant digits and at most 40 decimal places (0E-400 is zero and fine; 1e-400 is refused).
It is stored as that decimal on PostgreSQL (NUMERIC) and SQLite (decimal text; see ``store.columns``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetPydanticSchema
from pydantic_core import core_schema as cs

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("must be a JSON number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("must be a finite number (NaN and Infinity are not JSON)")
    return Decimal(value)


DIGITS = 40  # at most this many significant digits and decimal places (see the module's docstring)
NO_NUL = r"^[^\u0000]*$"  # text never holds U+0000: PostgreSQL cannot store it


def _bounded(value: Decimal) -> Decimal:
    """``value`` as written, when it has at most 40 significant digits and 40 decimal places (zero, however
    written, is 0); otherwise refused. Never rounded."""
    if value.is_zero():
        return Decimal(0)
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # NaN/Infinity never get here (the decimal check refuses them)
    trailing = 0  # zeros at the end of the digits are no significant digits (0.0500 is 0.05)
    while digits[-1 - trailing] == 0:
        trailing += 1
    if len(digits) - trailing > DIGITS:
        raise ValueError(f"has {len(digits) - trailing} significant digits; a figure may have at most {DIGITS}")
    if -(exponent + trailing) > DIGITS:
        raise ValueError(f"has {-(exponent + trailing)} decimal places; a figure may have at most {DIGITS}")
    return value


def _unique(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None


def _count(value: Any) -> int:
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        if value.adjusted() > 18:  # never convert 1E+9999999 to an int: far beyond every count's maximum
            raise ValueError("must be a whole number of at most 10000000000")
        return int(value)  # JSON Schema counts 37.0 as an integer too
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


# --- compiled first, written rules for the rest -------------------------------------------------------
#
# Numbers, counts and dates are the bulk of a market's fields. The rules above (``_number``, ``_count``,
# ``_iso_date``) say what they accept, in Python; called for every field they were the largest cost of ingesting
# a market. So each such field is first validated by pydantic-core alone (``compiled``: no Python call), which
# accepts a subset of what the written rule accepts and gives the same value; whatever it refuses goes to the
# written rule, which decides and explains. tests/contract/test_fast_path.py holds the two to that. Only
# pydantic's public API is used (``GetPydanticSchema`` and ``pydantic_core.core_schema``).

COMPILED_REFUSAL = "compiled_refusal"
"""Error type of the compiled step's refusal. A value both refuse has two errors, this one and the written rule's:
readers of the models' errors skip this one (see ``written_errors``)."""


def _compiled_first(compiled: cs.CoreSchema, written: cs.CoreSchema) -> GetPydanticSchema:
    refusal = cs.custom_error_schema(compiled, COMPILED_REFUSAL, custom_error_message="refused by the compiled check")
    schema = cs.union_schema(  # "[" in a step's name: not a place in the document (see load._model_messages)
        [(refusal, "[compiled]"), (written, "[written]")], mode="left_to_right"
    )
    return GetPydanticSchema(lambda _source, _handler: schema)


def written_errors(errors: list[Any]) -> list[Any]:
    """The models' errors (``ValidationError.errors()``) without the compiled step's refusals."""
    return [error for error in errors if error["type"] != COMPILED_REFUSAL]


def _number_in(ge: int, le: int) -> GetPydanticSchema:
    """``_number``, then ``ge <= value <= le``."""
    low, high = Decimal(ge), Decimal(le)  # the bounds' messages read as before ("at most 100000000000000")
    return _compiled_first(
        cs.chain_schema(
            [
                cs.is_instance_schema((int, Decimal)),  # bool too: the decimal step refuses it
                cs.decimal_schema(strict=False, allow_inf_nan=False, ge=low, le=high),
            ]
        ),
        cs.chain_schema([cs.no_info_plain_validator_function(_number), cs.decimal_schema(ge=low, le=high)]),
    )


def _count_in(ge: int, le: int) -> GetPydanticSchema:
    """``_count``, then ``ge <= value <= le``; compiled: plain ints only (a count written 37.0 takes the rule)."""
    return _compiled_first(
        cs.int_schema(strict=True, ge=ge, le=le),
        cs.chain_schema([cs.no_info_plain_validator_function(_count), cs.int_schema(ge=ge, le=le)]),
    )


_DATE_FIELD = _compiled_first(  # compiled: YYYY-MM-DD read as a calendar date ("$": no final newline in Rust)
    cs.chain_schema([cs.str_schema(strict=True, pattern=_DATE.pattern), cs.date_schema(strict=False)]),
    cs.no_info_plain_validator_function(_iso_date),
)

IsoDate = Annotated[date, _DATE_FIELD]
Bounded = AfterValidator(_bounded)
# A list stops at its first bad item: a million bad products cost one error, not a million. The models'
# messages are only a fallback (the published schema explains problems; see contract/load.py).
FailFast = Field(fail_fast=True)
Rate = Annotated[Decimal, _number_in(0, 1), Bounded]
RatioPct = Annotated[Decimal, _number_in(-100000, 100000), Bounded]
AmountCny = Annotated[Decimal, _number_in(0, 10**14), Bounded]
Days = Annotated[Decimal, _number_in(0, 3650), Bounded]
Count = Annotated[int, _count_in(0, 10_000_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
InsurerCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]
Quarter = Annotated[str, Field(pattern=r"^(19|20|21)[0-9]{2}-Q[1-4]$")]

Category = Literal["property", "life", "health", "pension", "agricultural", "reinsurance"]
SizeClass = Literal["large", "medium", "small", "micro"]
IrrClass = Literal["A", "B", "C", "D", "AAA", "AA", "BBB", "BB"]
Line = Literal[
    "accident",
    "health",
    "term_life",
    "household_property",
    "enterprise_property",
    "intellectual_property",
    "cargo",
    "export_credit",
    "agriculture",
    "annuity",
    "long_term_care",
    "liability",
    "other",
]
TargetGroup = Literal[
    "rural_residents",
    "remote_area_residents",
    "poverty_alleviated",
    "urban_low_income",
    "county_residents",
    "elderly",
    "preexisting_conditions",
    "disabled",
    "women_two_cancers",
    "children_congenital",
    "rare_disease",
    "new_citizens",
    "flexible_employment",
    "special_occupations",
    "micro_small_enterprises",
    "individual_businesses",
    "new_agricultural_entities",
    "small_farmers",
    "families_children",
]
RiskArea = Literal[  # the specific risk areas of items 5-7 (item 8: groups *or areas*); schema 1.1
    "natural_disaster",
    "accident_disaster",
    "public_health",
    "campus_safety",
    "road_safety",
    "medical_liability",
    "medical_accident",
    "vaccination",
    "agriculture",
    "elderly_care",
    "long_term_care",
    "maternity",
]
# 1.1 adds products' risk_areas, 1.2 submissions' regions and nothing else; 1.0 and 1.1 documents stay valid
SchemaVersion = Literal["1.0", "1.1", "1.2"]
Channel = Literal["direct", "agency", "broker", "postal", "bank", "online"]
INTERMEDIARY_CHANNELS: frozenset[str] = frozenset({"agency", "broker", "postal", "bank"})


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Insurer(_Strict):
    code: InsurerCode
    name: Text
    category: Category
    state_owned: bool
    size_class: SizeClass | None = None
    total_assets_cny: AmountCny | None = None
    headquarters_region: Text


class SolvencyQuarter(_Strict):
    quarter: Quarter
    core_ratio_pct: RatioPct
    comprehensive_ratio_pct: RatioPct
    irr_class: IrrClass


class Governance(_Strict):
    leadership_system: bool
    lead_department: Annotated[str, Field(max_length=500, pattern=NO_NUL)] | None
    board_reviews: Annotated[list[IsoDate], FailFast]
    management_reviews: Annotated[list[IsoDate], FailFast]
    assessment_includes_inclusive: bool
    inclusive_kpi_weight: Rate | None = None
    internal_control_policy: bool


class Comparable(_Strict):
    product_code: Text
    premium_rate: Rate | None = None
    intermediary_fee_rate: Rate | None = None


class Product(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    name: Text
    line: Line
    dedicated_inclusive: bool
    target_groups: Annotated[list[TargetGroup], FailFast, AfterValidator(_unique)]
    risk_areas: Annotated[list[RiskArea], FailFast, AfterValidator(_unique)] | None = None
    term: Literal["short", "long"]
    sale_start: IsoDate
    sale_end: IsoDate | None = None
    government_program: bool = False
    channels: Annotated[list[Channel], Field(min_length=1, fail_fast=True), AfterValidator(_unique)]
    premium_rate: Rate
    intermediary_fee_rate: Rate | None = None
    comparable: Comparable | None = None
    policies_in_force: Count | None = None
    insured_persons: Count | None = None
    premium_cny: AmountCny | None = None
    claims_paid_cny: AmountCny | None = None
    claims_settled: Count | None = None
    avg_settlement_days: Days | None = None


class Intermediary(_Strict):
    name: Text
    type: Literal["agency", "broker", "postal", "bank", "other"]
    agreement_start: IsoDate
    agreement_end: IsoDate | None = None
    covers_inclusive: bool
    insurer_handles_disputes: bool


class CommitmentsPublished(_Strict):
    premises: bool
    agency_sites: bool
    online: bool


class Service(_Strict):
    commitments_published: CommitmentsPublished
    online_underwriting: bool
    online_claims: bool
    inquiry_channel: bool
    elderly_friendly: bool
    accessibility: bool


class ConsumerProtection(_Strict):
    complaint_mechanism: bool
    diversified_dispute_resolution: bool
    first_inquiry_responsibility: bool
    complaints: Count
    mass_incidents: Count


RegionCode = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}00$")]  # GB/T 2260, province or prefecture (form only)


class RegionFigures(_Strict):
    """The inclusive business in one region (item 18: by region); schema 1.2. ``contract/regions.py`` says which
    codes are real divisions."""

    region: RegionCode
    policies: Count
    insured_persons: Count
    premium_cny: AmountCny
    claims_paid_cny: AmountCny


class Submission(_Strict):
    kind: Literal["submission"]
    schema_version: SchemaVersion
    reporting_period: Annotated[str, Field(pattern=r"^(19|20|21)[0-9]{2}(-Q[1-4])?$")]
    insurer: Insurer
    solvency: Annotated[list[SolvencyQuarter], FailFast]
    governance: Governance
    products: Annotated[list[Product], FailFast]
    intermediaries: Annotated[list[Intermediary], FailFast]
    service: Service
    consumer_protection: ConsumerProtection
    regions: Annotated[list[RegionFigures], FailFast] | None = None


class ProductFiling(_Strict):
    kind: Literal["product_filing"]
    schema_version: SchemaVersion
    insurer_code: InsurerCode
    filing_date: IsoDate
    product: Product


Document = Submission | ProductFiling
