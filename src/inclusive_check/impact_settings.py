"""A what-if's ``--set TARGET=VALUE`` settings: parsed, and applied to a ruleset from a date (a rule's parameter,
strength, severity, in-force date or deactivation, or a cell of the severity table), the result validated as any
ruleset is.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import yaml

from . import rules as registry
from .bounds import era_problem
from .impact_runs import ImpactError
from .ruleset import Ruleset, RulesetError, load_ruleset_text, with_legacy_policy


@dataclass(frozen=True)
class Setting:
    """One ``--set TARGET=VALUE``: a rule's parameter, strength, severity, in-force date or deactivation, or a cell
    of the ruleset's severity table."""

    target: str
    value: Any


ATTRIBUTES = ("strength", "in_force", "deactivated", "severity.fail", "severity.indeterminate")


def parse_setting(text: str) -> Setting:
    target, sep, value = text.partition("=")
    if not sep or not target.strip() or "." not in target:
        raise ImpactError(
            f"--set {text!r}: expected RULE.NAME=VALUE (a parameter, strength, severity.fail, in_force or "
            "deactivated of a rule) or severity.STATUS.STRENGTH=VALUE"
        )
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return Setting(target.strip(), parsed)


def _closest(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(close)}?" if close else f"; one of {', '.join(names)}"


def _dated(param: dict[str, Any], start: date, value: Any, cell: Sequence[str] = ()) -> None:
    """Insert a dated ``value`` from ``start`` (``cell``: set only that cell of the mapping in force then): earlier
    values stay (one in force on ``start`` ends the day before), values dated later are replaced."""
    values = param.setdefault("values", [])
    current = None
    for v in values:
        if v["from"] <= start and (v.get("until") is None or v["until"] >= start):
            current = v.get("value")
    kept = [dict(v) for v in values if v["from"] < start]
    if kept and kept[-1].get("until") is not None and kept[-1]["until"] >= start:
        kept[-1]["until"] = start - timedelta(days=1)
    param["values"] = [*kept, {"from": start, "value": _with(current, cell, value) if cell else value}]


def _with(current: Any, path: Sequence[str], value: Any) -> Any:
    out = json.loads(json.dumps(current, default=str)) if isinstance(current, dict) else {}
    node = out
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value
    return out


class _Written(yaml.SafeDumper):
    """Writes every value out: a ruleset refuses YAML aliases, which the dumper would make for a repeated date."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def apply_settings(base: Ruleset, settings: Sequence[Setting], start: date) -> Ruleset:
    """``base`` with each setting applied from ``start``, validated as any ruleset is (its version marked
    ``+what-if``)."""
    if reason := next(
        filter(None, map(era_problem, [start, *(x.value for x in settings if isinstance(x.value, date))])), None
    ):
        raise ImpactError(f"--set/--from: {reason}")
    raw = with_legacy_policy(yaml.load(base.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    rules_by_id = {registry.canonical(key): key for key in raw["rules"]}
    for setting in settings:
        head, _, rest = setting.target.partition(".")
        if head == "severity":
            parts = rest.split(".")
            if len(parts) != 2 or parts[0] not in ("fail", "indeterminate"):
                raise ImpactError(
                    f"--set {setting.target}: the severity table is set as severity.STATUS.STRENGTH "
                    "(STATUS fail or indeterminate)"
                )
            _dated(raw["severity"], start, setting.value, parts)
            continue
        rule_id = registry.canonical(head.upper())
        if rule_id not in rules_by_id:
            raise ImpactError(
                f"--set {setting.target}: no rule {head} in the ruleset {base.id} {base.version}"
                + _closest(head.upper(), sorted(rules_by_id))
            )
        entry = raw["rules"][rules_by_id[rule_id]]
        params = entry.setdefault("params", {})
        if rest in params:
            _dated(params[rest], start, setting.value)
        elif rest == "strength":
            _dated(entry["strength"], start, setting.value)
        elif rest in ("severity.fail", "severity.indeterminate"):
            status = rest.split(".")[1]
            override = entry.setdefault("severity", {"citation": "what-if (--set)", "values": []})
            _dated(override, start, setting.value, [status])
        elif rest == "in_force":
            if not isinstance(setting.value, date):
                raise ImpactError(f"--set {setting.target}: in_force takes a date (YYYY-MM-DD), not {setting.value!r}")
            entry["in_force"]["values"] = [{"from": setting.value}]
        elif rest == "deactivated":
            deactivated = entry.setdefault("deactivated", {"citation": "what-if (--set)", "values": []})
            _dated(deactivated, start, setting.value)
        else:
            raise ImpactError(
                f"--set {setting.target}: {rule_id} has no parameter {rest!r}"
                + _closest(rest, [*sorted(params), *ATTRIBUTES])
            )
    raw["version"] = f"{raw.get('version')}+what-if"
    text = yaml.dump(raw, Dumper=_Written, allow_unicode=True, sort_keys=False)
    try:
        return load_ruleset_text(text, "what-if ruleset", allow_partial=True)
    except RulesetError as exc:  # its lines are of a text no one wrote: say where by path only
        raise ImpactError(
            f"the what-if ruleset is not valid: {re.sub(r'what-if ruleset:[0-9]+: ', '', str(exc))}"
        ) from None
