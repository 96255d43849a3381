"""Rulesets are data: dated, cited parameters for every rule, loaded with a safe YAML loader.

A value applies from its ``from`` date until the next value's ``from`` or its own ``until``
(inclusive). The engine binds a rule's parameters to each submission's binding date (the end of
its reporting period); where any parameter or the rule itself has no value in force, the rule
reports ``not_applicable`` with the reason instead of guessing.

A ruleset is validated like a document (``load_ruleset_text``): every problem is reported with its
path inside the ruleset and its line. YAML aliases, merge keys, duplicate and non-string keys are
refused before anything is built (so an alias bomb never expands); the file is then validated
strictly against the models (no ``true`` for a number, no ``1.0`` for an integer), each parameter
value against its rule's ``Params`` model, dated values must not overlap, strength weights must be
positive (``flag`` may be 0), and a ruleset that leaves out a mandatory rule of the guidance (or the
item-19 solvency gate as a blocking rule) loads only with ``allow_partial=True``.
``ruleset_schema()`` is the published JSON Schema, derived from the same models.

Policy is data too: each rule's ``strength`` (dated), the ``severity`` of a fail or an indeterminate finding
of a rule of each strength (dated), a rule's own dated ``severity`` override, and ``deactivated`` stretches
over which a rule reports ``not_applicable`` with the reason given. A retired rule ID (``rules.ALIASES``)
is accepted and read as the rule's current ID.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import rules as registry
from .bounds import out_of_bounds
from .inputs import InputFileError, read_input_text
from .market_params import Disclosure, RowWeight
from .overlay_models import OverlaySection
from .rules import ALIASES, RuleModule, UnknownRule, canonical
from .rules import get as get_rule
from .rules.base import STATUSES, STRENGTHS
from .safetext import clean

DEFAULT_RULESET = "nfra-2024-inclusive.yaml"


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


@dataclass(frozen=True)
class Segment:
    """A stretch of binding dates over which a rule's parameters are constant (or absent)."""

    start: date | None  # inclusive; None = since ever
    end: date | None  # exclusive; None = for ever
    params: BaseModel | None
    in_force_from: date | None  # when the obligation in force over this stretch took effect
    reason: str  # why the rule does not apply, when params is None; "{on}" stands for the binding date
    strength: str = ""  # the rule's strength over this stretch
    severities: dict[str, str] = field(default_factory=dict)  # status -> severity over this stretch


@dataclass(frozen=True)
class Ruleset:
    data: RulesetFile
    text: str
    sha256: str
    # What a partial ruleset (loaded with allow_partial) leaves out: mandatory rules, or the solvency gate's
    # place among the blocking rules. Empty for a complete ruleset.
    omissions: tuple[str, ...] = ()

    @property
    def partial_warning(self) -> str | None:
        """The warning every output of a run with a partial ruleset carries; None when the ruleset is complete."""
        if not self.omissions:
            return None
        return (
            f"PARTIAL RULESET: {self.id} {self.version} leaves out {'; '.join(self.omissions)}; "
            "loaded only because of --allow-partial-ruleset, so a pass here is not a pass under the guidance"
        )

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def version(self) -> str:
        return self.data.version

    def rules(self) -> tuple[RuleModule, ...]:
        return tuple(r for r in registry.ALL_RULES if r.ID in self.data.rules)

    def entry(self, rule_id: str) -> RuleEntry:
        return self.data.rules[rule_id]

    def bind(self, rule: RuleModule, on: date) -> tuple[BaseModel | None, str]:
        """The rule's parameters in force on ``on``, or None and why (with an ``{on}`` placeholder)."""
        entry = self.entry(rule.ID)
        if entry.in_force.at(on) is None:
            first = entry.in_force.values[0].start
            if on < first:
                return None, (
                    f"the obligation applies from {first}; the document's binding date "
                    "(period end or filing date) is {on}"
                )
            return None, "no provision of the ruleset is in force on {on}"
        off = entry.deactivated.at(on) if entry.deactivated is not None else None
        if off is not None:
            until = f" until {off.until}" if off.until is not None else ""
            reason = f"rule deactivated by the ruleset from {off.start}{until}: {off.value}"
            return None, reason.replace("{", "{{").replace("}", "}}")  # the reason is text, not a template
        values: dict[str, Any] = {}
        for name, param in entry.params.items():
            found = param.at(on)
            if found is None:
                return None, f"parameter {name} has no value in force on {{on}}"
            values[name] = found.value
        return rule.Params.model_validate(values), ""

    def strength(self, rule: RuleModule, on: date) -> str:
        """The rule's strength on ``on``, as the ruleset states it.

        Where no value is in force (before the first, after an ``until``), the latest earlier value, else the
        first: the loader makes sure a strength is in force wherever the rule is, so this only names the
        strength that the rule's not_applicable findings are filed under.
        """
        values = self.entry(rule.ID).strength.values
        earlier = [v for v in values if v.start <= on]
        return str((earlier[-1] if earlier else values[0]).value)

    def severities(self, rule: RuleModule, on: date) -> dict[str, str]:
        """The severity of each status of the rule's findings on ``on``: a fail or an indeterminate as the
        ruleset's severity table says for the rule's strength, unless the rule's own ``severity`` says otherwise;
        every other status is info."""
        out: dict[str, str] = dict.fromkeys(STATUSES, "info")
        table = self.data.severity.at(on)
        if table is not None:
            by_status = SeverityTable.model_validate(table.value)
            strength = self.strength(rule, on)
            out.update({status: getattr(getattr(by_status, status), strength) for status in JUDGED})
        entry = self.entry(rule.ID)
        override = entry.severity.at(on) if entry.severity is not None else None
        if override is not None:
            mine = SeverityOverride.model_validate(override.value)
            out.update({status: getattr(mine, status) for status in JUDGED if getattr(mine, status) is not None})
        return out

    def segments(self, rule: RuleModule) -> list[Segment]:
        """The stretches of binding dates over which everything the rule's findings depend on is constant:
        its being in force (and not deactivated), its parameters, its strength and its severities."""
        entry = self.entry(rule.ID)
        dated = [
            entry.in_force,
            entry.strength,
            self.data.severity,
            *entry.params.values(),
            *(p for p in (entry.severity, entry.deactivated) if p is not None),
        ]
        edges = sorted({d for p in dated for d in p.boundaries()})
        before = edges[0] - timedelta(days=1)
        out = [
            Segment(
                None,
                edges[0],
                None,
                None,
                self.bind(rule, before)[1],
                self.strength(rule, before),
                self.severities(rule, before),
            )
        ]
        for start, end in zip(edges, [*edges[1:], None], strict=True):
            params, reason = self.bind(rule, start)
            in_force = entry.in_force.at(start)
            out.append(
                Segment(
                    start,
                    end,
                    params,
                    in_force.start if in_force else None,
                    reason,
                    self.strength(rule, start),
                    self.severities(rule, start),
                )
            )
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
                "authority": self.authority(rule.ID, None if name == "in_force" else name, on),
            }
        return out

    def authority(self, rule_id: str, param: str | None, on: date) -> str | None:
        """The id of the overlay authority whose value of ``param`` (None: the rule's own in-force dates,
        deactivation, strength or severity) is in force on ``on``; None: the base ruleset's own."""
        section = self.data.overlay
        paths = {f"rules/{rule_id}/params/{param}"} if param else {f"rules/{rule_id}/{a}" for a in POLICY}
        mine = [e for e in section.entries if e.path in paths and e.start <= on] if section else []
        return max(mine, key=lambda e: e.start).authority if mine else None


# --- loading and validation ----------------------------------------------------------------------------

# Rules that must stay among scoring.blocking_rules for the ruleset to encode the guidance in full.
REQUIRED_BLOCKING: dict[str, str] = {
    "IC19-SOLVENCY-GATE": "guidance item 19's solvency gate",
}
MAX_LISTED_PROBLEMS = 20
_Path = tuple[str | int, ...]


class RulesetError(Exception):
    """The ruleset file is not valid; the message says where (``problems``: each one, with its path and line)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


class _Problems:
    """Problems of one ruleset, each as ``SOURCE:LINE: path/in/ruleset: message``."""

    def __init__(self, source: str, lines: dict[_Path, int]) -> None:
        self.source = source
        self.lines = lines
        self.items: list[str] = []

    def add(self, path: _Path, message: str, line: int | None = None) -> None:
        if line is None:
            line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None)
        where = "/".join(str(p) for p in path) or "(ruleset)"
        self.items.append(clean(f"{self.source}{'' if line is None else f':{line}'}: {where}: {message}"))

    def raise_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            raise RulesetError(self.items[0], self.items)
        shown = self.items[:MAX_LISTED_PROBLEMS]
        more = len(self.items) - len(shown)
        raise RulesetError(
            f"{len(self.items)} problems:\n  " + "\n  ".join(shown) + (f"\n  ... and {more} more" if more else ""),
            self.items,
        )


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_nodes(root: yaml.Node, problems: _Problems) -> dict[_Path, int]:
    """Refuse aliases (each node is visited once: an alias bomb costs its text's length, never its expansion),
    merge keys, non-string and duplicate keys; the line of every path, for messages."""
    lines = problems.lines
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, _Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            problems.add(path, "YAML aliases (*name) are not allowed in a ruleset; write the value out")
            continue
        seen.add(id(node))
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            children: list[tuple[yaml.Node, _Path]] = []
            for key, value in node.value:
                line = key.start_mark.line + 1
                if id(key) in seen:
                    problems.add(path, f"line {line}: YAML aliases (*name) are not allowed in a ruleset")
                    continue
                seen.add(id(key))
                if key.tag == _MERGE_TAG:
                    problems.add(path, f"line {line}: merge keys (<<) are not allowed in a ruleset")
                    continue
                if not isinstance(key, yaml.ScalarNode) or key.tag != _STR_TAG:
                    problems.add(path, f"line {line}: keys must be plain strings, not {key.tag.rsplit(':', 1)[-1]}")
                    continue
                name = str(key.value)
                if name in first:
                    problems.add(
                        (*path, name),
                        f"duplicate key {name!r} (first at line {first[name]}); "
                        "the second would silently replace the first",
                        line,
                    )
                    continue
                first[name] = line
                lines.setdefault((*path, name), line)
                children.append((value, (*path, name)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(item, (*path, i)) for i, item in enumerate(node.value)]))
    return lines


def _parse(text: str, source: str) -> tuple[Any, dict[_Path, int]]:
    """The YAML document (safe loader, no aliases, no duplicate keys) and the line of each path in it."""
    # libyaml's safe loader when present (several times faster); never a loader that runs code
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    problems = _Problems(source, {})
    try:
        root = loader.get_single_node()
        if root is None:
            raise RulesetError(clean(f"{source}: the ruleset is empty"))
        lines = _check_nodes(root, problems)
        problems.raise_any()
        return loader.construct_document(root), lines
    except yaml.YAMLError as exc:
        detail = "\n  ".join(clean(line) for line in str(exc).splitlines())
        raise RulesetError(f"{clean(source)}: not valid YAML: {detail}") from None
    except (ValueError, RecursionError) as exc:  # e.g. a date 2024-13-45; nesting too deep to parse
        raise RulesetError(clean(f"{source}: not valid YAML: {type(exc).__name__}: {exc}")) from None
    finally:
        loader.dispose()


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values are not allowed in a ruleset")


def _as_json(value: Any) -> str:
    """JSON text of parsed YAML: the models then validate it strictly (JSON has no bool that is also an int)."""
    return json.dumps(value, default=_plain, allow_nan=False, ensure_ascii=False)


def _message(error: Any) -> str:
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def load_ruleset(path: Path | None = None, *, allow_partial: bool = False) -> Ruleset:
    if path is None:
        text = resources.files("inclusive_check.rulesets").joinpath(DEFAULT_RULESET).read_text("utf-8")
        return load_ruleset_text(text, DEFAULT_RULESET, allow_partial=allow_partial)
    try:
        text = read_input_text(path, "ruleset")
    except InputFileError as exc:
        raise RulesetError(clean(str(exc))) from None
    return load_ruleset_text(text, str(path), allow_partial=allow_partial)


def _packaged_raw() -> Any:
    text = resources.files("inclusive_check.rulesets").joinpath(DEFAULT_RULESET).read_text("utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def with_legacy_policy(raw: Any) -> Any:
    """A parsed ruleset written before severity and strengths were ruleset data, with them filled in.

    They were then the code's: the severity table and each rule module's strength, which the packaged
    ruleset states unchanged. So a stored run's ruleset keeps reading as it did. Anything else is left as is.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), dict):
        return raw
    packaged = _packaged_raw()
    out = {**raw, "severity": raw.get("severity", packaged["severity"])}
    out["rules"] = {
        rule_id: (
            {"strength": packaged["rules"][canonical(rule_id)]["strength"], **entry}
            if isinstance(entry, dict) and canonical(rule_id) in packaged["rules"]
            else entry
        )
        for rule_id, entry in raw["rules"].items()
    }
    return out


def load_stored_ruleset(text: str, source: str) -> Ruleset:
    """The ruleset a run stored, read as the run used it (a partial one too: its run said so). One written
    before severity and strengths were ruleset data is read with the values the code then had."""
    try:
        return load_ruleset_text(text, source, allow_partial=True)
    except RulesetError:
        raw, _ = _parse(text, source)
        if isinstance(raw, dict) and "severity" in raw:
            raise
        upgraded = yaml.safe_dump(with_legacy_policy(raw), allow_unicode=True, sort_keys=False)
        try:
            ruleset = load_ruleset_text(upgraded, source, allow_partial=True)
        except RulesetError:
            raise RulesetError(
                f"{source}: a ruleset from before severity and strengths were ruleset data, "
                "and not valid with them filled in"
            ) from None
        return Ruleset(ruleset.data, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), ruleset.omissions)


def load_ruleset_text(text: str, source: str, *, allow_partial: bool = False) -> Ruleset:
    """Parse and validate a ruleset; raise RulesetError listing every problem with its path and line.

    ``allow_partial`` lets a ruleset leave out mandatory rules of the guidance (or the solvency gate as a
    blocking rule); the Ruleset then names what it leaves out in ``omissions``.
    """
    raw, lines = _parse(text, source)
    problems = _Problems(source, lines)
    try:
        payload = _as_json(raw)
    except (TypeError, ValueError) as exc:
        problems.add((), f"{exc} (only strings, numbers, booleans, dates, lists and mappings; numbers finite)")
        problems.raise_any()
        raise AssertionError("unreachable") from None
    try:
        data = RulesetFile.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.add(tuple(error["loc"]), _message(error))
        problems.raise_any()
        raise AssertionError("unreachable") from None
    _check_bounds(data, (), problems)
    _check_severity(data, problems)
    _check_rules(data, problems)
    _check_scoring(data, problems)
    if not problems.items:
        data = _current_ids(data)
        _check_policy_in_force(Ruleset(data, text, ""), problems)
    omissions = _omissions(data)
    if omissions and not allow_partial:
        problems.add(
            ("rules",),
            f"the ruleset leaves out {'; '.join(omissions)}: a ruleset that drops a mandatory "
            "duty of the guidance loads only with --allow-partial-ruleset",
        )
    problems.raise_any()
    return Ruleset(data, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), tuple(omissions))


def _check_typed(model: type[BaseModel], param: Parameter, where: _Path, problems: _Problems) -> None:
    """Each dated value of a policy parameter, validated strictly against its model, every problem located."""
    for i, v in enumerate(param.values):
        at: _Path = (*where, "values", i, "value")
        try:
            model.model_validate_json(_as_json(v.value), strict=True)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                problems.add((*at, *error["loc"]), _message(error))


def _check_severity(data: RulesetFile, problems: _Problems) -> None:
    _check_typed(SeverityTable, data.severity, ("severity",), problems)


def _check_rules(data: RulesetFile, problems: _Problems) -> None:
    for rule_id, entry in data.rules.items():
        try:
            rule = get_rule(rule_id)
        except UnknownRule as exc:
            problems.add(("rules", rule_id), f"unknown rule{exc.hint}")
            continue
        if rule_id in ALIASES and rule.ID in data.rules:
            problems.add(
                ("rules", rule_id),
                f"{rule_id} is the retired ID of {rule.ID}, which the ruleset also names; keep {rule.ID} only",
            )
        fields = rule.Params.model_fields
        for name in entry.params:
            if name not in fields:
                problems.add(("rules", rule_id, "params", name), f"unknown parameter of {rule.ID}")
        for i, v in enumerate(entry.strength.values):
            if v.value not in STRENGTHS:
                problems.add(
                    ("rules", rule_id, "strength", "values", i),
                    f"strength must be one of {', '.join(STRENGTHS)}, not {v.value!r}",
                )
        if entry.severity is not None:
            _check_typed(SeverityOverride, entry.severity, ("rules", rule_id, "severity"), problems)
        if entry.deactivated is not None:
            for i, v in enumerate(entry.deactivated.values):
                if not isinstance(v.value, str) or not v.value.strip():
                    problems.add(
                        ("rules", rule_id, "deactivated", "values", i, "value"),
                        "the reason the rule is deactivated is missing (a non-empty text)",
                    )
        missing = sorted(set(fields) - set(entry.params))
        if missing:
            problems.add(("rules", rule_id), f"parameters missing: {', '.join(missing)}")
        for name, param in entry.params.items():
            if name not in fields:
                continue
            for i, v in enumerate(param.values):
                where: _Path = ("rules", rule_id, "params", name, "values", i)
                if v.value is None:
                    if v.until is None:
                        problems.add(where, "value is missing")
                    continue
                _check_value(rule, name, v.value, (*where, "value"), problems)


def _check_value(rule: RuleModule, name: str, value: Any, where: _Path, problems: _Problems) -> None:
    """A parameter's value, validated strictly against its field of the rule's Params (as JSON: no bool for a
    number, no float for an integer), then as the engine will bind it."""
    validator = rule.Params.__pydantic_validator__
    try:
        validator.validate_json(_as_json({name: value}), strict=True)
    except ValidationError as exc:
        errors = [e for e in exc.errors(include_url=False) if e["loc"][:1] == (name,)]
        for error in errors:
            problems.add((*where, *error["loc"][1:]), _message(error))
        if errors:
            return
    try:
        bound = validator.validate_assignment(rule.Params.model_construct(), name, value)
    except ValidationError as exc:
        problems.add(where, _message(exc.errors(include_url=False)[0]))
        return
    _check_bounds(getattr(bound, name, None), where, problems)


def _check_bounds(value: Any, where: _Path, problems: _Problems) -> None:
    """Every date within the era (an ``until`` may be 9999-12-31) and every number within ±10^15 (bounds.py)."""
    for path, reason in out_of_bounds(value, where):
        problems.add(path, reason)


def _check_scoring(data: RulesetFile, problems: _Problems) -> None:
    weights = data.scoring.strength_weights
    for strength in ("mandatory", "principle", "encouraged"):
        if not weights.of(strength) > 0:
            problems.add(
                ("scoring", "strength_weights", strength), f"must be greater than 0, not {weights.of(strength)}"
            )
    if weights.flag < 0:
        problems.add(("scoring", "strength_weights", "flag"), f"must be 0 or more, not {weights.flag}")
    for i, rule_id in enumerate(data.scoring.blocking_rules):
        try:
            get_rule(rule_id)
        except UnknownRule as exc:
            problems.add(("scoring", "blocking_rules", i), f"unknown rule {rule_id}{exc.hint}")


def _current_ids(data: RulesetFile) -> RulesetFile:
    """The ruleset with every retired rule ID (``rules.ALIASES``) read as the rule's current ID."""
    if not any(rule_id in ALIASES for rule_id in [*data.rules, *data.scoring.blocking_rules]):
        return data
    scoring = data.scoring.model_copy(update={"blocking_rules": [canonical(r) for r in data.scoring.blocking_rules]})
    return data.model_copy(update={"rules": {canonical(k): v for k, v in data.rules.items()}, "scoring": scoring})


def _check_policy_in_force(ruleset: Ruleset, problems: _Problems) -> None:
    """Wherever a rule is in force (and not deactivated), a strength and a severity table must be too: a
    finding is never filed without them."""
    for rule in ruleset.rules():
        entry = ruleset.entry(rule.ID)
        for segment in ruleset.segments(rule):
            if segment.params is None or segment.start is None:
                continue
            if entry.strength.at(segment.start) is None:
                problems.add(
                    ("rules", rule.ID, "strength"),
                    f"no strength in force on {segment.start}, where {rule.ID} is in force",
                )
            if ruleset.data.severity.at(segment.start) is None:
                problems.add(
                    ("severity",), f"no severity table in force on {segment.start}, where {rule.ID} is in force"
                )


@lru_cache(maxsize=1)
def guidance_mandatory() -> tuple[str, ...]:
    """The rules the packaged ruleset reads as mandatory (on any date): the guidance's duties that a ruleset
    may leave out only as a partial ruleset. Strength is ruleset data, so the packaged ruleset is the reference."""
    raw = _packaged_raw()
    stated = {
        canonical(rule_id): [v.get("value") for v in entry["strength"]["values"]]
        for rule_id, entry in raw["rules"].items()
    }
    return tuple(r.ID for r in registry.ALL_RULES if "mandatory" in stated.get(r.ID, []))


def _omissions(data: RulesetFile) -> list[str]:
    """What the ruleset leaves out of the guidance's mandatory duties (empty: nothing)."""
    out = []
    missing = [rule_id for rule_id in guidance_mandatory() if rule_id not in data.rules]
    if missing:
        out.append(f"mandatory rule(s) {', '.join(missing)}")
    for rule_id, what in REQUIRED_BLOCKING.items():
        if rule_id not in data.scoring.blocking_rules:
            out.append(f"{rule_id} ({what}) from scoring/blocking_rules")
    return out
