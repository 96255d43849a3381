"""Regional supplements to the rules (overlays): a ruleset file that ``extends`` another for an authority and the
insurers or regions it supervises (the pattern of national-authority overlays over a base taxonomy).

An overlay sets, for rules of its base, its own dated and cited values: parameters (``params``), a rule switched
on (``in_force``) or off (``deactivated``) from a date, its ``strength`` or its own ``severity``. Loading one
yields one effective ruleset: the base with each overlay value in force from its first ``from`` (the base's values
before that date stay, cut off the day before), and an ``overlay`` section naming the authorities, the scope, the
base (id, version, SHA-256) and each value the overlay set (``Entry``). The effective ruleset's text is what a
run stores, so the engine, ``whatif``, ``ruleset diff`` and ``run --reproduce`` take it like any ruleset, and the
authority behind a finding is read from the run's ruleset text alone (``authority_of``).

Validation is strict and located in the overlay file: an unknown field, rule or parameter, a rule the base does
not have, a value outside what the rule accepts (the base's domain), a missing citation, and an overlay that
extends itself through others (a cycle) are each reported with their path and line (exit 3 from the commands; see
docs/overlays.md).
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from .inputs import InputFileError, read_input_text
from .overlay_models import Authority, OverlaySection, Scope
from .rules import UnknownRule
from .rules import get as get_rule
from .rules.base import STRENGTHS
from .ruleset import DEFAULT_RULESET, Ruleset, RulesetError, load_ruleset_text
from .ruleset_checks import _check_typed, _check_value
from .ruleset_models import Parameter, SeverityOverride
from .ruleset_parse import _as_json, _message, _parse, _Path, _Problems
from .safetext import clean

PACKAGED = ("packaged", "nfra-2024-inclusive")
ATTRIBUTES = ("in_force", "strength", "severity", "deactivated")


class _Strict(BaseModel):
    model_config = {"extra": "forbid", "frozen": True, "populate_by_name": True}


class OverlayRule(_Strict):
    """What an overlay sets for one rule of its base; each value dated and cited."""

    in_force: Parameter | None = None
    strength: Parameter | None = None
    severity: Parameter | None = None
    deactivated: Parameter | None = None
    params: dict[str, Parameter] = Field(default_factory=dict)


class OverlayFile(_Strict):
    extends: str = Field(min_length=1, description="`packaged`, the packaged ruleset's id, or a file path")
    id: str
    version: str
    title: str
    reviewed_to: date
    authority: Authority
    scope: Scope
    note: str | None = None
    rules: dict[str, OverlayRule] = Field(default_factory=dict)


class _Written(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def is_overlay(text: str) -> bool:
    """Whether a ruleset text is an overlay (a mapping with ``extends`` at the top)."""
    try:
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    return isinstance(raw, dict) and "extends" in raw


def load_any(path: Path | None, *, allow_partial: bool = False) -> Ruleset:
    """A ruleset file or an overlay file (the packaged ruleset for None), as one effective ruleset."""
    if path is None:
        return load_ruleset_text(_packaged_text(), DEFAULT_RULESET, allow_partial=allow_partial)
    text = _read(path)
    if is_overlay(text):
        return load_overlay_text(text, str(path), path.parent, allow_partial=allow_partial)
    return load_ruleset_text(text, str(path), allow_partial=allow_partial)


def _read(path: Path) -> str:
    try:  # a regular file within the ruleset limit (docs/inputs.md), like every input
        return read_input_text(path, "ruleset")
    except InputFileError as exc:
        raise RulesetError(clean(str(exc))) from None


def _packaged_text() -> str:
    return resources.files("inclusive_check.rulesets").joinpath(DEFAULT_RULESET).read_text("utf-8")


def _base(name: str, where: Path, problems: _Problems, seen: tuple[str, ...], allow_partial: bool) -> Ruleset | None:
    if name in PACKAGED:
        return load_ruleset_text(_packaged_text(), DEFAULT_RULESET, allow_partial=allow_partial)
    path = (where / name).resolve()
    if str(path) in seen:
        chain = " -> ".join([*seen, str(path)])
        problems.add(("extends",), f"the overlay extends itself through {chain}: a cycle")
        return None
    if not path.is_file():
        problems.add(("extends",), f"no ruleset {name} (looked for {path}); give `packaged` or a file path")
        return None
    text = _read(path)
    try:
        if is_overlay(text):
            return load_overlay_text(text, str(path), path.parent, allow_partial=allow_partial, _seen=seen)
        return load_ruleset_text(text, str(path), allow_partial=allow_partial)
    except RulesetError as exc:
        problems.add(("extends",), f"the ruleset it extends is not valid: {exc}")
        return None


def load_overlay_text(
    text: str, source: str, where: Path, *, allow_partial: bool = False, _seen: tuple[str, ...] = ()
) -> Ruleset:
    """An overlay file's text validated and merged over its base into one effective ruleset; RulesetError lists
    every problem with its path and line in the overlay file."""
    raw, lines = _parse(text, source)
    problems = _Problems(source, lines)
    try:
        overlay = OverlayFile.model_validate_json(_as_json(raw), strict=True)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            for error in exc.errors(include_url=False):
                problems.add(tuple(error["loc"]), _message(error))
        else:
            problems.add((), f"{exc} (only strings, numbers, booleans, dates, lists and mappings)")
        problems.raise_any()
        raise AssertionError("unreachable") from None
    me = str(Path(source).resolve())
    base = _base(overlay.extends, where, problems, (*_seen, me), allow_partial)
    problems.raise_any()
    assert base is not None
    _check_entries(overlay, base, problems)
    problems.raise_any()
    merged = _merge(overlay, base)
    effective = yaml.dump(merged, Dumper=_Written, allow_unicode=True, sort_keys=False)
    try:
        return load_ruleset_text(effective, f"{source} (merged over {base.id} {base.version})", allow_partial=True)
    except RulesetError as exc:
        raise RulesetError(f"{source}: the overlay merged over its base is not valid: {exc}", exc.problems) from None


def _check_entries(overlay: OverlayFile, base: Ruleset, problems: _Problems) -> None:
    for rule_id, entry in overlay.rules.items():
        where: _Path = ("rules", rule_id)
        try:
            rule = get_rule(rule_id)
        except UnknownRule as exc:
            problems.add(where, f"unknown rule{exc.hint}")
            continue
        if rule.ID not in base.data.rules:
            problems.add(where, f"the ruleset it extends ({base.id} {base.version}) has no rule {rule.ID}")
            continue
        for name, param in entry.params.items():
            if name not in rule.Params.model_fields:
                problems.add((*where, "params", name), f"unknown parameter of {rule.ID}")
                continue
            for i, v in enumerate(param.values):
                if v.value is None and v.until is None:
                    problems.add((*where, "params", name, "values", i), "value is missing")
                elif v.value is not None:
                    _check_value(rule, name, v.value, (*where, "params", name, "values", i, "value"), problems)
        if entry.strength is not None:
            for i, v in enumerate(entry.strength.values):
                if v.value not in STRENGTHS:
                    problems.add((*where, "strength", "values", i), f"strength must be one of {', '.join(STRENGTHS)}")
        if entry.severity is not None:
            _check_typed(SeverityOverride, entry.severity, (*where, "severity"), problems)
        if entry.deactivated is not None:
            for i, v in enumerate(entry.deactivated.values):
                if not isinstance(v.value, str) or not v.value.strip():
                    problems.add((*where, "deactivated", "values", i, "value"), "the reason is missing")


def _dump(param: Parameter) -> dict[str, Any]:
    return param.model_dump(mode="python", by_alias=True, exclude_none=True)


def _over(base: Parameter | None, mine: Parameter, authority: str) -> dict[str, Any]:
    """The base's values before the overlay's first date (the one in force then cut off the day before), then the
    overlay's; the overlay's citation, and the base's named in the note."""
    first = mine.values[0].start
    kept = []
    for v in base.values if base is not None else []:
        if v.start >= first:
            break
        value = v.model_dump(mode="python", by_alias=True, exclude_none=True)
        if v.until is None or v.until >= first:
            value["until"] = first - timedelta(days=1)
        kept.append(value)
    out = _dump(mine)
    out["values"] = [*kept, *out["values"]]
    before = f"; before {first}: {base.citation}" if base is not None and kept else ""
    out["note"] = f"{authority} from {first}{before}" + (f". {mine.note}" if mine.note else "")
    return out


def _merge(overlay: OverlayFile, base: Ruleset) -> dict[str, Any]:
    raw = yaml.load(base.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    ours = overlay.authority.id
    earlier = base.data.overlay
    entries = [e.model_dump(mode="python", by_alias=True) for e in (earlier.entries if earlier else [])]
    for rule_id, entry in overlay.rules.items():
        rule_id = get_rule(rule_id).ID
        target = raw["rules"][rule_id]
        for name in ATTRIBUTES:
            mine = getattr(entry, name)
            if mine is not None:
                target[name] = _over(getattr(base.entry(rule_id), name), mine, ours)
                entries.append(
                    {
                        "path": f"rules/{rule_id}/{name}",
                        "rule_id": rule_id,
                        "from": mine.values[0].start,
                        "authority": ours,
                    }
                )
        for name, mine in entry.params.items():
            target.setdefault("params", {})[name] = _over(base.entry(rule_id).params.get(name), mine, ours)
            entries.append(
                {
                    "path": f"rules/{rule_id}/params/{name}",
                    "rule_id": rule_id,
                    "from": mine.values[0].start,
                    "authority": ours,
                }
            )
    authorities = [a.model_dump(mode="python") for a in (earlier.authorities if earlier else [])]
    section = OverlaySection.model_validate(
        {
            "authorities": [*authorities, overlay.authority.model_dump(mode="python")],
            "scope": overlay.scope.model_dump(mode="python", exclude_none=True),
            "extends": {"id": base.id, "version": base.version, "sha256": base.sha256},
            "entries": entries,
            "note": overlay.note,
        }
    )
    raw.update(
        {
            "id": overlay.id,
            "version": overlay.version,
            "title": overlay.title,
            "reviewed_to": overlay.reviewed_to,
            "overlay": section.model_dump(mode="python", by_alias=True, exclude_none=True),
        }
    )
    return dict(raw)


def national(ruleset: Ruleset) -> Authority:
    """The authority of the base ruleset's own rules: the issuer of its source."""
    issuer = ruleset.data.source.issuer
    en, _, zh = issuer.partition(" (")
    return Authority(id="NFRA", en=en or issuer, zh=zh.rstrip(")") or issuer, citation=ruleset.data.source.title)


def authority_of(ruleset: Ruleset, rule_id: str, on: date | None) -> Authority:
    """The authority whose value produced a rule's finding on binding date ``on``: the latest overlay entry for
    the rule in force by then, else the base ruleset's issuer. None for ``on``: any entry for the rule."""
    section = ruleset.data.overlay
    if section is None:
        return national(ruleset)
    chosen = None
    for entry in section.entries:
        mine = entry.rule_id == rule_id and (on is None or entry.start <= on)
        if mine and (chosen is None or entry.start >= chosen.start):
            chosen = entry
    if chosen is None:
        return national(ruleset)
    return next(a for a in section.authorities if a.id == chosen.authority)


def in_scope(scope: Scope, insurer: str, regions: list[str]) -> bool:
    """Whether an insurer (its code, the GB/T 2260 codes of the regions it reports) is in an overlay's scope."""
    if not scope.insurers and not scope.regions:
        return True
    if insurer in scope.insurers:
        return True
    return any(region.startswith(_prefix(code)) for code in scope.regions for region in regions)


def _prefix(code: str) -> str:
    """A GB/T 2260 code's prefix: 330000 covers 33xxxx, 330200 covers 3302xx."""
    trimmed = code
    while trimmed.endswith("00") and len(trimmed) > 2:
        trimmed = trimmed[:-2]
    return trimmed
