"""``ruleset diff``: what two rulesets state differently, section by section.

Every field of the ruleset file is compared, so that a section added to the file is covered without a change
here: the ruleset's own fields (id, version, title, source, reviewed_to), the severity table, each rule (its
in-force dates, strength, own severity, deactivation and every parameter, with their dated values and
citations), and each field of every other section (``scoring``, ``market``, and the ``overlay`` of a regional
supplement: its authority, scope and base). The command exits 1 when anything differs, 0 when nothing does.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from . import rules as registry
from .contract.outputs import RulesetChange, RulesetDiff, RulesetRef
from .ruleset import Ruleset
from .ruleset_models import Parameter

# The ruleset's own scalar fields, compared whole.
OWN_FIELDS = ("id", "version", "title", "reviewed_to", "source")
# Fields compared in their own way (dated policy, rule by rule).
DATED_FIELDS = ("severity", "rules")


def _values(param: Parameter | None) -> list[dict[str, Any]] | None:
    if param is None:
        return None
    return [v.model_dump(mode="json", by_alias=True, exclude_none=True) for v in param.values]


def _param_change(
    path: str, rule_id: str | None, kind: str, a: Parameter | None, b: Parameter | None
) -> RulesetChange | None:
    if a == b:
        return None
    return RulesetChange(
        path=path,
        rule_id=rule_id,
        kind=kind,
        before=_values(a),
        after=_values(b),
        citation_before=None if a is None else a.citation,
        citation_after=None if b is None else b.citation,
    )


def _json(value: Any) -> Any:
    """A model or a plain value in its JSON form."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.loads(json.dumps(value, default=str))


def _field_name(model: type[BaseModel], name: str) -> str:
    alias = model.model_fields[name].alias
    return alias or name


def _section_changes(section: str, a: Any, b: Any) -> list[RulesetChange]:
    """Each field of a section (scoring, market, overlay) that differs; the whole section when one ruleset has it
    and the other has not."""
    kind = section if section in ("scoring", "market", "overlay") else "ruleset"
    if a == b:
        return []
    if a is None or b is None or not isinstance(a, BaseModel) or type(a) is not type(b):
        present = a if a is not None else b
        return [
            RulesetChange(
                path=section,
                rule_id=None,
                kind=kind,
                before=None if a is None else _json(a),
                after=None if b is None else _json(b),
                citation_before=getattr(a, "citation", None),
                citation_after=getattr(b, "citation", None) if present is not None else None,
            )
        ]
    out = []
    for name in type(a).model_fields:
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            out.append(
                RulesetChange(
                    path=f"{section}/{_field_name(type(a), name)}",
                    rule_id=None,
                    kind=kind,
                    before=_json(before),
                    after=_json(after),
                    citation_before=getattr(a, "citation", None),
                    citation_after=getattr(b, "citation", None),
                )
            )
    return out


def _rule_changes(a: Ruleset, b: Ruleset) -> list[RulesetChange | None]:
    changes: list[RulesetChange | None] = []
    order = {rule.ID: n for n, rule in enumerate(registry.ALL_RULES)}
    for rule_id in sorted(a.data.rules.keys() | b.data.rules.keys(), key=lambda r: (order.get(r, len(order)), r)):
        x, y = a.data.rules.get(rule_id), b.data.rules.get(rule_id)
        if x is None or y is None:
            changes.append(
                RulesetChange(
                    path=f"rules/{rule_id}",
                    rule_id=rule_id,
                    kind="rule",
                    before=None if x is None else _values(x.in_force),
                    after=None if y is None else _values(y.in_force),
                    citation_before=None if x is None else x.in_force.citation,
                    citation_after=None if y is None else y.in_force.citation,
                )
            )
            continue
        where = f"rules/{rule_id}"
        for name in ("in_force", "strength", "severity", "deactivated"):
            changes.append(_param_change(f"{where}/{name}", rule_id, name, getattr(x, name), getattr(y, name)))
        for name in sorted(x.params.keys() | y.params.keys()):
            changes.append(
                _param_change(f"{where}/params/{name}", rule_id, "parameter", x.params.get(name), y.params.get(name))
            )
    return changes


def diff_rulesets(a: Ruleset, b: Ruleset) -> RulesetDiff:
    """What ``b`` states differently from ``a``, in every section of the ruleset (see the module's text)."""
    changes: list[RulesetChange | None] = []
    for name in OWN_FIELDS:
        mine, theirs = getattr(a.data, name, None), getattr(b.data, name, None)
        if mine != theirs:
            changes.append(
                RulesetChange(
                    path=name,
                    rule_id=None,
                    kind="ruleset",
                    before=_json(mine),
                    after=_json(theirs),
                    citation_before=None,
                    citation_after=None,
                )
            )
    changes.append(_param_change("severity", None, "severity_table", a.data.severity, b.data.severity))
    changes += _rule_changes(a, b)
    model = type(a.data)
    for name in model.model_fields:
        if name in OWN_FIELDS or name in DATED_FIELDS:
            continue
        changes += _section_changes(_field_name(model, name), getattr(a.data, name, None), getattr(b.data, name, None))
    return RulesetDiff(
        before=RulesetRef(id=a.id, version=a.version, sha256=a.sha256),
        after=RulesetRef(id=b.id, version=b.version, sha256=b.sha256),
        changes=[c for c in changes if c is not None],
    )
