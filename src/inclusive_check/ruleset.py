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
            if v.until is not None and v.until < date.max:  # until 9999-12-31: no day after it
                yield v.until + timedelta(days=1)


class RuleEntry(_Model):
    in_force: Parameter
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


class Banded(_Model):
    citation: str
    bands: list[AtLeast] = Field(min_length=1)


class ServiceIndicator(_Model):
    citation: str
    complaints_per_100m_cny_at_most: list[AtMost]
    settlement_days_at_most: list[AtMost]
    online_claims_points: Decimal


class Indicators(_Model):
    variety: Variety
    coverage: Banded
    protection: Banded
    service: ServiceIndicator


class Scoring(_Model):
    strength_weights: dict[Literal["mandatory", "principle", "encouraged", "flag"], Decimal]
    blocking_rules: list[str]
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

    def segments(self, rule: RuleModule) -> list[Segment]:
        entry = self.entry(rule.ID)
        edges = sorted({d for p in [entry.in_force, *entry.params.values()] for d in p.boundaries()})
        out = [Segment(None, edges[0], None, None, self.bind(rule, edges[0] - timedelta(days=1))[1])]
        for start, end in zip(edges, [*edges[1:], None], strict=True):
            params, reason = self.bind(rule, start)
            in_force = entry.in_force.at(start)
            out.append(Segment(start, end, params, in_force.start if in_force else None, reason))
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
