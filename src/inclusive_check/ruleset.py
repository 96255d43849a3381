"""Rulesets are data: dated, cited parameters for every rule, loaded with a safe YAML loader.

A value applies from its ``from`` date until the next value's ``from`` or its own ``until``
(inclusive). The engine binds a rule's parameters to each submission's binding date (the end of
its reporting period); where any parameter or the rule itself has no value in force, the rule
reports ``not_applicable`` with the reason instead of guessing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .rules import ALL_RULES, RuleModule
from .rules.base import STRENGTHS

DEFAULT_RULESET = "nfra-2024-inclusive.yaml"


class RulesetError(Exception):
    """The ruleset file is not valid; the message says where."""


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
        for v in self.values:
            if v.until is not None and v.until < v.start:
                raise ValueError(f"'until' {v.until} is before 'from' {v.start}")
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
            if v.until is not None:
                yield v.until + timedelta(days=1)


class RuleEntry(_Model):
    in_force: Parameter
    # The rule's strength (mandatory, principle, encouraged, flag), dated and cited where the ruleset states a
    # reading of the guidance's wording; absent: the strength the rule module declares.
    strength: Parameter | None = None
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
    loss_ratio_places: int = Field(ge=0, le=10, description="decimal places the loss ratio (a fraction) is "
                                                              "rounded to, half-up, before banding")


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

    mandatory: Decimal = Field(ge=0)
    principle: Decimal = Field(ge=0)
    encouraged: Decimal = Field(ge=0)
    flag: Decimal = Field(ge=0)

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


class RulesetFile(_Model):
    id: str
    version: str
    title: str
    source: Source
    reviewed_to: date
    rules: dict[str, RuleEntry]
    scoring: Scoring


@dataclass(frozen=True)
class Segment:
    """A stretch of binding dates over which a rule's parameters are constant (or absent)."""

    start: date | None  # inclusive; None = since ever
    end: date | None  # exclusive; None = for ever
    params: BaseModel | None
    in_force_from: date | None  # when the obligation in force over this stretch took effect
    reason: str  # why the rule does not apply, when params is None; "{on}" stands for the binding date
    strength: str = ""  # the rule's strength over this stretch


@dataclass(frozen=True)
class Ruleset:
    data: RulesetFile
    text: str
    sha256: str

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def version(self) -> str:
        return self.data.version

    def rules(self) -> tuple[RuleModule, ...]:
        return tuple(r for r in ALL_RULES if r.ID in self.data.rules)

    def entry(self, rule_id: str) -> RuleEntry:
        return self.data.rules[rule_id]

    def bind(self, rule: RuleModule, on: date) -> tuple[BaseModel | None, str]:
        """The rule's parameters in force on ``on``, or None and why (with an ``{on}`` placeholder)."""
        entry = self.entry(rule.ID)
        if entry.in_force.at(on) is None:
            first = entry.in_force.values[0].start
            if on < first:
                return None, (f"the obligation applies from {first}; the document's binding date "
                              "(period end or filing date) is {on}")
            return None, "no provision of the ruleset is in force on {on}"
        values: dict[str, Any] = {}
        for name, param in entry.params.items():
            found = param.at(on)
            if found is None:
                return None, f"parameter {name} has no value in force on {{on}}"
            values[name] = found.value
        return rule.Params.model_validate(values), ""

    def strength(self, rule: RuleModule, on: date) -> str:
        """The rule's strength on ``on``: the ruleset's reading where it states one, else the module's."""
        entry = self.entry(rule.ID)
        found = entry.strength.at(on) if entry.strength is not None else None
        return str(found.value) if found is not None else rule.STRENGTH

    def segments(self, rule: RuleModule) -> list[Segment]:
        entry = self.entry(rule.ID)
        dated = [entry.in_force, *entry.params.values(), *([entry.strength] if entry.strength else [])]
        edges = sorted({d for p in dated for d in p.boundaries()})
        before = edges[0] - timedelta(days=1)
        out = [Segment(None, edges[0], None, None, self.bind(rule, before)[1], self.strength(rule, before))]
        for start, end in zip(edges, [*edges[1:], None], strict=True):
            params, reason = self.bind(rule, start)
            in_force = entry.in_force.at(start)
            out.append(Segment(start, end, params, in_force.start if in_force else None, reason,
                               self.strength(rule, start)))
        return out

    def parameters_at(self, rule: RuleModule, on: date) -> dict[str, Any]:
        """The parameters a finding used, each with its value, citation and effective date."""
        entry = self.entry(rule.ID)
        out: dict[str, Any] = {}
        for name, param in {"in_force": entry.in_force, **entry.params}.items():
            found = param.at(on)
            out[name] = {
                "value": None if found is None else (True if name == "in_force" else found.value),
                "effective_from": None if found is None else found.start.isoformat(),
                "citation": param.citation,
                "interpretation": param.interpretation,
            }
        return out


def _safe_load(text: str, source: str) -> Any:
    try:
        # libyaml's safe loader when present (several times faster); never a loader that runs code
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise RulesetError(f"{source}: not valid YAML: {exc}") from None


def load_ruleset(path: Path | None = None) -> Ruleset:
    if path is None:
        text = resources.files("inclusive_check.rulesets").joinpath(DEFAULT_RULESET).read_text("utf-8")
        return load_ruleset_text(text, DEFAULT_RULESET)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError(f"{path}: cannot read the ruleset: {exc}") from None
    return load_ruleset_text(text, str(path))


def load_ruleset_text(text: str, source: str) -> Ruleset:
    raw = _safe_load(text, source)
    try:
        data = RulesetFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "/".join(str(p) for p in first["loc"])
        raise RulesetError(f"{source}: {where}: {first['msg']} ({exc.error_count()} problem(s))") from None
    known = {r.ID: r for r in ALL_RULES}
    for rule_id, entry in data.rules.items():
        rule = known.get(rule_id)
        if rule is None:
            raise RulesetError(f"{source}: rules/{rule_id}: unknown rule")
        fields = rule.Params.model_fields
        for name in entry.params:
            if name not in fields:
                raise RulesetError(f"{source}: rules/{rule_id}/params/{name}: unknown parameter of {rule_id}")
        if entry.strength is not None:
            for i, v in enumerate(entry.strength.values):
                if v.value not in STRENGTHS:
                    raise RulesetError(f"{source}: rules/{rule_id}/strength/values/{i}: strength must be one of "
                                       f"{', '.join(STRENGTHS)}, not {v.value!r}")
        missing = sorted(set(fields) - set(entry.params))
        if missing:
            raise RulesetError(f"{source}: rules/{rule_id}: parameters missing: {', '.join(missing)}")
        for name, param in entry.params.items():
            for i, v in enumerate(param.values):
                if v.value is None and v.until is None:
                    raise RulesetError(f"{source}: rules/{rule_id}/params/{name}/values/{i}: value is missing")
                try:
                    rule.Params.__pydantic_validator__.validate_assignment(
                        rule.Params.model_construct(), name, v.value)
                except ValidationError as exc:
                    msg = exc.errors(include_url=False)[0]["msg"]
                    raise RulesetError(f"{source}: rules/{rule_id}/params/{name}/values/{i}: {msg}") from None
    for rule_id in data.scoring.blocking_rules:
        if rule_id not in known:
            raise RulesetError(f"{source}: scoring/blocking_rules: unknown rule {rule_id}")
    return Ruleset(data, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
