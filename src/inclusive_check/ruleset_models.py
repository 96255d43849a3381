"""The shape of a ruleset file: pydantic models, validated strictly (``ruleset.load_ruleset_text``), from which
``ruleset_schema`` derives the published JSON Schema. Dated values (``Parameter``) know which value is in force on
a date; everything else here is structure. ``ruleset.Ruleset`` binds them to dates for the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .market_params import Disclosure, RowWeight
from .overlay_models import OverlaySection


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DatedValue(_Model):
    start: date = Field(alias="from")
    until: date | None = None
    value: Any = None


class Parameter(_Model):
    citation: str
    interpretation: bool = False
    note: str | None = None
    values: list[DatedValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        for before, after in zip(self.values, self.values[1:], strict=False):
            if after.start <= before.start:
                raise ValueError("values must be in increasing 'from' order")
        for i, v in enumerate(self.values):
            if v.until is not None and v.until < v.start:
                raise ValueError(f"values/{i}: 'until' {v.until} is before 'from' {v.start}")
        for i, (before, after) in enumerate(zip(self.values, self.values[1:], strict=False)):
            if before.until is not None and before.until >= after.start:
                raise ValueError(
                    f"values/{i}: 'until' {before.until} overlaps the next value, in force from {after.start}"
                )
        return self

    def at(self, on: date) -> DatedValue | None:
        current = None
        for v in self.values:
            if v.start <= on:
                current = v
        if current is None or (current.until is not None and on > current.until):
            return None
        return current

    def boundaries(self) -> Iterator[date]:
        for v in self.values:
            yield v.start
            if v.until is not None and v.until < date.max:  # until 9999-12-31: no day after it
                yield v.until + timedelta(days=1)


Severity = Literal["error", "warning", "info"]
# The statuses whose severity is policy; every other status (pass, waived, not_applicable) is info.
JUDGED: tuple[str, ...] = ("fail", "indeterminate")
POLICY = ("in_force", "deactivated", "strength", "severity")  # a rule's own dated policy, beside its parameters


class ByStrength(_Model):
    """The severity of a finding of a rule of each strength."""

    mandatory: Severity
    principle: Severity
    encouraged: Severity
    flag: Severity


class SeverityTable(_Model):
    """The value of the ruleset's ``severity`` parameter: what a fail and an indeterminate mean, by strength."""

    fail: ByStrength
    indeterminate: ByStrength


class SeverityOverride(_Model):
    """The value of a rule's own ``severity`` parameter: its severity by status, over the ruleset's table."""

    fail: Severity | None = None
    indeterminate: Severity | None = None

    @model_validator(mode="after")
    def _some(self) -> SeverityOverride:
        if self.fail is None and self.indeterminate is None:
            raise ValueError("give the severity of fail, of indeterminate, or of both")
        return self


class RuleEntry(_Model):
    in_force: Parameter
    # The rule's strength (mandatory, principle, encouraged, flag): the ruleset's reading of the guidance's
    # wording, dated and cited. Policy, not code: a supervisor can change it from a date.
    strength: Parameter
    # The rule's own severity by status ({fail: warning}), over the ruleset's severity table, from a date.
    severity: Parameter | None = None
    # Stretches over which the rule is switched off (a faulty rule): each value is the reason, which its
    # not_applicable findings show.
    deactivated: Parameter | None = None
    params: dict[str, Parameter] = Field(default_factory=dict)


class Source(_Model):
    title: str
    issuer: str
    date: date
    note: str | None = None


class AtLeast(_Model):
    at_least: Decimal
    points: Decimal


class AtMost(_Model):
    at_most: Decimal
    points: Decimal


class Variety(_Model):
    citation: str
    lines_for_full: int = Field(gt=0)
    groups_for_full: int = Field(gt=0)
    lines_points: Decimal = Field(ge=0, le=100, description="points for lines_for_full lines or more")
    groups_points: Decimal = Field(ge=0, le=100, description="points for groups_for_full target groups or more")

    @model_validator(mode="after")
    def _out_of_100(self) -> Variety:
        if self.lines_points + self.groups_points != 100:
            raise ValueError("lines_points and groups_points must add up to 100")
        return self


class Banded(_Model):
    citation: str
    bands: list[AtLeast] = Field(min_length=1)


class Protection(Banded):
    loss_ratio_places: int = Field(
        ge=0, le=10, description="decimal places the loss ratio (a fraction) is rounded to, half-up, before banding"
    )


class ServiceIndicator(_Model):
    citation: str
    complaints_per_100m_cny_at_most: list[AtMost]
    settlement_days_at_most: list[AtMost]
    online_claims_points: Decimal


class Indicators(_Model):
    variety: Variety
    coverage: Banded
    protection: Protection
    service: ServiceIndicator


class StrengthWeights(_Model):
    """The weight of a rule of each strength in the compliance score; 0 leaves that strength out of it."""

    mandatory: Decimal
    principle: Decimal
    encouraged: Decimal
    flag: Decimal  # the loader requires > 0 for the first three and >= 0 for the flag, naming each

    def of(self, strength: str) -> Decimal:
        value: Decimal = getattr(self, strength)
        return value


class Rounding(_Model):
    """How scores are rounded: to ``places`` decimal places, half-up (or half-even)."""

    places: int = Field(ge=0, le=4)
    mode: Literal["half_up", "half_even"] = "half_up"


class ScoreBands(_Model):
    """Display bands of the compliance score: good at or above ``good_at_least``, fair at or above
    ``fair_at_least``, poor below; a blocking document is shown poor whatever its score."""

    citation: str
    interpretation: bool = False
    note: str | None = None
    good_at_least: Decimal = Field(ge=0, le=100)
    fair_at_least: Decimal = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> ScoreBands:
        if self.fair_at_least > self.good_at_least:
            raise ValueError("fair_at_least must not be above good_at_least")
        return self


class Scoring(_Model):
    citation: str
    interpretation: bool = False
    note: str | None = None
    start: date = Field(alias="from", description="documents whose binding date is earlier are not scored")
    strength_weights: StrengthWeights
    blocking_rules: list[str]
    rounding: Rounding
    bands: ScoreBands
    indicators: Indicators


class IndexWeights(_Model):
    """The market index: a weighted mean of item 18's four indicators (each out of 100)."""

    citation: str
    interpretation: bool = False
    variety: Decimal = Field(ge=0)
    coverage: Decimal = Field(ge=0)
    protection: Decimal = Field(ge=0)
    service: Decimal = Field(ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> IndexWeights:
        if not (self.variety + self.coverage + self.protection + self.service):
            raise ValueError("at least one indicator must weigh more than 0")
        return self


class PeerBands(_Model):
    """Leading at or above ``leading_at_least``, lagging at or below ``lagging_at_most`` (percentiles)."""

    citation: str
    interpretation: bool = False
    leading_at_least: Decimal = Field(ge=0, le=100)
    lagging_at_most: Decimal = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> PeerBands:
        if self.lagging_at_most >= self.leading_at_least:
            raise ValueError("lagging_at_most must be below leading_at_least")
        return self


class InstitutionGroup(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    categories: list[Literal["property", "life", "health", "pension", "agricultural", "reinsurance"]] = Field(
        min_length=1
    )
    en: str
    zh: str


class InstitutionGroups(_Model):
    """Item 9's kinds of insurer, by the category each submission declares; every category in one group."""

    citation: str
    interpretation: bool = False
    groups: list[InstitutionGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_category_once(self) -> InstitutionGroups:
        seen = [c for g in self.groups for c in g.categories]
        if len(seen) != len(set(seen)) or len({g.id for g in self.groups}) != len(self.groups):
            raise ValueError("each category belongs to one group, and group ids are unique")
        return self

    def of(self, category: str | None) -> InstitutionGroup | None:
        return next((g for g in self.groups if category in g.categories), None)


class Market(_Model):
    """Market monitoring (item 18 by region, field and institution; item 9's kinds of insurer)."""

    citation: str
    interpretation: bool = False
    note: str | None = None
    start: date = Field(alias="from")
    index_weights: IndexWeights
    peer_bands: PeerBands
    institution_groups: InstitutionGroups
    row_weight: RowWeight | None = None  # market_params.DEFAULT_ROW_WEIGHT when absent
    disclosure: Disclosure | None = None  # market_params.DEFAULT_DISCLOSURE when absent


class RulesetFile(_Model):
    id: str
    version: str
    title: str
    source: Source
    reviewed_to: date
    severity: Parameter = Field(
        description="The severity of a fail and of an indeterminate finding of a rule of "
        "each strength, dated: each value is {fail: {mandatory: error, ...}, "
        "indeterminate: {...}}"
    )
    rules: dict[str, RuleEntry] = Field(min_length=1)
    scoring: Scoring
    market: Market | None = Field(None, description="market monitoring; optional (rulesets before it have none)")
    overlay: OverlaySection | None = Field(None, description="an overlay's authority, scope and values (overlay.py)")
