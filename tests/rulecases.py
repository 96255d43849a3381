"""Loading and running the data-driven rule cases in tests/cases/<RULE_ID>.yaml.

A case file::

    rule: IC10-KPI-WEIGHT
    cases:
      test_pass_exactly_5_percent:
        patch: {/governance/inclusive_kpi_weight: 0.05}     # JSON Pointer -> new value; ~ deletes
        findings:                                          # every finding of this rule, in order
          - {status: pass, severity: info, subject: /governance/inclusive_kpi_weight, actual: "5%", margin: "0"}

Optional keys: ``document: filing`` (start from the base filing instead of the base submission),
``context: submission`` with ``context_patch`` (an insurer context for a filing),
``ruleset_patch`` (JSON Pointer -> value on the ruleset YAML) and ``as_of``.
Numbers in cases are exact decimals, as in documents.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from inclusive_check.contract.load import Loaded, YamlLoader, parse_bytes
from inclusive_check.ruleset import Ruleset, load_ruleset_text

CASES = Path(__file__).parent / "cases"
BASE = CASES / "_base"
RULESET_FILE = Path(__file__).resolve().parent.parent / "rulesets" / "nfra-2024-inclusive.yaml"
COMPARED = ("status", "severity", "subject", "key", "expected", "actual", "margin", "dispensation")
ALWAYS = ("status", "severity", "subject", "key")


@dataclass
class Case:
    rule: str
    name: str
    document: str = "submission"
    patch: dict[str, Any] = field(default_factory=dict)
    context: str | None = None
    context_patch: dict[str, Any] = field(default_factory=dict)
    ruleset_patch: dict[str, Any] = field(default_factory=dict)
    as_of: date = date(2026, 1, 1)
    findings: list[dict[str, Any]] = field(default_factory=list)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text("utf-8"), Loader=YamlLoader)


def load_cases() -> list[Case]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        data = _load_yaml(path)
        assert data["rule"] == path.stem, f"{path.name}: rule {data['rule']} must match the file name"
        for name, spec in data["cases"].items():
            assert name.startswith(("test_pass_", "test_fail_", "test_na_", "test_indeterminate_", "test_waived_")), (
                f"{path.name}: case {name} must start with test_pass_/test_fail_/test_na_/test_indeterminate_"
            )
            spec = dict(spec)
            if "as_of" in spec:
                spec["as_of"] = date.fromisoformat(str(spec["as_of"]))
            out.append(Case(rule=data["rule"], name=name, **spec))
    return out


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def apply_patch(doc: Any, patch: dict[str, Any]) -> Any:
    doc = copy.deepcopy(doc)
    for pointer, value in patch.items():
        *parents, last = _tokens(pointer)
        target = doc
        for token in parents:
            target = target[int(token)] if isinstance(target, list) else target[token]
        if isinstance(target, list):
            if last == "-" or last == str(len(target)):  # past the end: append (as JSON Patch's add does)
                target.append(value)
            elif value == "~delete":
                del target[int(last)]
            else:
                target[int(last)] = value
        elif value == "~delete":
            del target[last]
        else:
            target[last] = value
    return doc


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))
_DEC = re.compile(r'"__DEC__([^"]+)"')


def to_json(doc: Any) -> bytes:
    """JSON with exact decimals (json.dumps cannot write a Decimal as a number)."""
    text = json.dumps(doc, ensure_ascii=False, default=lambda d: f"__DEC__{d}" if isinstance(d, Decimal) else str(d))
    return _DEC.sub(r"\1", text).encode("utf-8")


def base(kind: str) -> Any:
    return json.loads((BASE / f"{kind}.json").read_text("utf-8"), parse_float=Decimal)


def build(case: Case) -> tuple[list[Loaded], Loaded | None, Ruleset]:
    doc = apply_patch(base(case.document), case.patch)
    loaded = parse_bytes(to_json(doc), f"{case.name}.json")
    assert loaded.ok, [p.as_dict() for p in loaded.problems]
    context = None
    if case.context:
        context = parse_bytes(to_json(apply_patch(base(case.context), case.context_patch)), "context.json")
        assert context.ok, [p.as_dict() for p in context.problems]
    ruleset_data = apply_patch(yaml.safe_load(RULESET_FILE.read_text("utf-8")), case.ruleset_patch)
    ruleset = load_ruleset_text(yaml.dump(ruleset_data, Dumper=_Dumper, allow_unicode=True), "case ruleset")
    return [loaded], context, ruleset


def project(findings: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actual findings, cut to the fields each expected finding names (plus the ones always compared)."""
    out = []
    for i, f in enumerate(findings):
        keys = set(ALWAYS) | (set(expected[i]) if i < len(expected) else set(COMPARED))
        out.append({k: f[k] for k in COMPARED if k in keys})
    return out


def normalise(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in expected:
        item = {"key": "", **{k: (str(v) if k == "margin" and v is not None else v) for k, v in e.items()}}
        out.append(item)
    return out
