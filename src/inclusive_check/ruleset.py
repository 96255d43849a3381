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
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import rules as registry
from .inputs import InputFileError, read_input_text
from .rules import RuleModule, canonical
from .rules.base import STATUSES
from .ruleset_checks import _check_bounds, _check_rules, _check_scoring, _check_severity, _current_ids
from .ruleset_models import JUDGED, POLICY, RuleEntry, RulesetFile, SeverityOverride, SeverityTable
from .ruleset_parse import RulesetError, _as_json, _message, _parse, _Problems
from .safetext import clean

# What other modules read from here: a Ruleset and its loading, and (re-exported) the models a Ruleset holds and
# the error loading raises. The models live in ruleset_models.py, parsing in ruleset_parse.py, the checks against
# the rule registry in ruleset_checks.py.
__all__ = [
    "DEFAULT_RULESET",
    "REQUIRED_BLOCKING",
    "RuleEntry",
    "Ruleset",
    "RulesetError",
    "RulesetFile",
    "Segment",
    "guidance_mandatory",
    "load_ruleset",
    "load_ruleset_text",
    "load_stored_ruleset",
    "with_legacy_policy",
]

DEFAULT_RULESET = "nfra-2024-inclusive.yaml"


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
