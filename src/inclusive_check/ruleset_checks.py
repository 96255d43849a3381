"""A parsed ruleset checked against the rule registry and the bounds: each rule known (a retired ID read as the
current one), each parameter of its rule's ``Params`` and valid for it, strengths and severity overrides valid,
weights positive, blocking rules known. Each check adds located problems; ``ruleset.load_ruleset_text`` runs them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from .bounds import out_of_bounds
from .rules import ALIASES, RuleModule, UnknownRule, canonical
from .rules import get as get_rule
from .rules.base import STRENGTHS
from .ruleset_models import Parameter, RulesetFile, SeverityOverride, SeverityTable
from .ruleset_parse import _as_json, _message, _Path, _Problems


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
