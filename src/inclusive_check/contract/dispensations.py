"""Dispensation files: parsed and validated into frozen ``Dispensation`` values, problems located.

A dispensation names one principle (原则上) rule, one insurer, optionally a subject (a JSON Pointer; it
covers that node and everything under it, never a neighbour such as /products/10 for /products/1)
and a period, with the reason, the approver, the supervisor's reference and an inclusive expiry
date. Its published schema is ``schemas/dispensations.schema.json``: every length limit there is the
stored column's (``store/tables.py``, the dispensations table), so that the database is never first to say no.
Storing them is ``store.dispensations``; applying them in a run is ``engine.apply_dispensations``.

A rule's strength is ruleset data: a dispensation may name a rule the ruleset reads as principle on some
date, and waives only the failures filed under that strength. A dispensation that names a retired rule ID
(``rules.ALIASES``) applies to the rule under its current ID. The rules and the ruleset are above the
contract, so what a dispensation's rule is checked against comes in as data (``RuleTerms``), which
``inclusive_check.dispensations`` makes from the rule registry and a ruleset.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..inputs import InputFileError, read_input_text

if TYPE_CHECKING:  # the contract's models load only where a file is parsed
    from .load import Problem


class DispensationError(Exception):
    """The dispensation file is not valid; ``problems`` are located."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.where()}: {p.pointer}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Dispensation:
    id: str
    rule: str
    insurer: str
    reason: str
    approved_by: str
    reference: str
    expires: date
    subject: str | None = None
    period: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """As in the file (``expires`` an ISO date): what a run records of the dispensation it applied."""
        return {
            "id": self.id,
            "rule": self.rule,
            "insurer": self.insurer,
            "subject": self.subject,
            "period": self.period,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "reference": self.reference,
            "expires": self.expires.isoformat(),
        }

    def digest(self) -> str:
        """Identity of the content: importing the same dispensation again stores no new version."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of a dispensation file (``inclusive-check schema dispensations``)."""
    from .load import schema_text

    loaded: dict[str, Any] = json.loads(schema_text("dispensations"))
    return loaded


@dataclass(frozen=True)
class RuleTerms:
    """What the rule a dispensation names is checked against, given by the caller."""

    # A rule ID (a retired one too) -> the rule's current ID; for no such rule, a LookupError whose message says
    # so and names the closest IDs.
    resolve: Callable[[str], str]
    # Each rule of the ruleset -> the strengths the ruleset gives it on any date.
    strengths: Mapping[str, set[str]]


_UNDERSTOOD = {"type", "pattern", "minLength", "maxLength", "format"}


@cache
def _item_checks() -> dict[str, tuple[bool, Any, int, int, bool]] | None:
    """Each item property's (nullable, pattern, min, max, is a date) from the published schema, or None when it
    uses a keyword this quick check does not know (then the schema validator alone decides)."""
    items = schema()["properties"]["dispensations"]["items"]
    checks = {}
    for name, spec in items["properties"].items():
        if set(spec) - _UNDERSTOOD or spec.get("format", "date") != "date":
            return None
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if set(kinds) - {"string", "null"}:
            return None
        pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
        checks[name] = (
            "null" in kinds,
            pattern,
            spec.get("minLength", 0),
            spec.get("maxLength", 10**9),
            "format" in spec,
        )
    return checks


def _plainly_valid(data: Any) -> bool:
    """True when ``data`` certainly holds to the schema: every check the schema makes, made in plain Python.
    False means "ask the schema validator" (which then gives the located messages)."""
    checks = _item_checks()
    items = data.get("dispensations") if isinstance(data, dict) and set(data) == {"dispensations"} else None
    if checks is None or not isinstance(items, list):
        return False
    required = set(schema()["properties"]["dispensations"]["items"]["required"])
    for item in items:
        if not isinstance(item, dict) or not required <= set(item) or not set(item) <= set(checks):
            return False
        for key, value in item.items():
            nullable, pattern, low, high, is_date = checks[key]
            if value is None and nullable:
                continue
            if not isinstance(value, str) or not low <= len(value) <= high:
                return False
            if (pattern is not None and not pattern.search(value)) or (is_date and not _is_date(value)):
                return False
    return True


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _out_of_range(item: dict[str, Any]) -> list[tuple[str, str]]:
    """An expiry outside the era (bounds.py) and a subject that is not a JSON Pointer into a document: a ``~`` not
    followed by 0 or 1 (RFC 6901), or a ``.``/``..`` step (a pointer has no parent step: it would match nothing)."""
    from ..bounds import era_problem

    out = []
    try:
        reason = era_problem(date.fromisoformat(item["expires"]))
    except ValueError as exc:
        reason = f"not a date: {exc}"
    if reason:
        out.append(("expires", reason))
    subject = item.get("subject") or ""
    for token in subject.split("/")[1:]:
        if re.search(r"~(?![01])", token):
            out.append(("subject", f"{_clip(token)!r}: '~' must be followed by 0 (for ~) or 1 (for /) in a pointer"))
            break
        if token in (".", ".."):
            out.append(("subject", f"{token!r} is not a step of a JSON Pointer (no parent step); write the path out"))
            break
    return out


def _clip(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:37]}..."


def read_dispensations(text: str, source: str, terms: RuleTerms) -> tuple[Dispensation, ...]:
    """The dispensations of a file's text, each naming a known rule that the ruleset of ``terms`` reads as
    principle (原则上); ``DispensationError`` lists every problem, located in ``source``."""
    import jsonschema
    import yaml

    from . import fastyaml
    from .load import Problem, locate_messages

    try:
        data = fastyaml.load(text)
    except yaml.YAMLError as exc:
        raise DispensationError([Problem.not_yaml(source, exc)]) from None
    messages: list[tuple[str, str]] = []
    if not _plainly_valid(data):  # the schema's own messages, only for a file that has a problem (10,000: ~2 s)
        validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
        for error in validator.iter_errors(data):
            messages.append(("".join(f"/{p}" for p in error.absolute_path), error.message))
    if not messages:
        strengths = terms.strengths
        seen: dict[str, int] = {}
        for i, item in enumerate(data["dispensations"]):
            try:
                rule_id: str | None = terms.resolve(item["rule"])
            except LookupError as exc:
                messages.append((f"/dispensations/{i}/rule", str(exc)))
                rule_id = None
            if rule_id is not None and rule_id not in strengths:
                messages.append((f"/dispensations/{i}/rule", f"{rule_id} is not in the ruleset"))
            elif rule_id is not None and "principle" not in strengths[rule_id]:
                messages.append(
                    (
                        f"/dispensations/{i}/rule",
                        f"{item['rule']} is a {' and '.join(sorted(strengths[rule_id]))} rule; only "
                        "principle (原则上) rules can be dispensed",
                    )
                )
            messages.extend((f"/dispensations/{i}/{key}", why) for key, why in _out_of_range(item))
            if item["id"] in seen:
                messages.append(
                    (f"/dispensations/{i}/id", f"id {item['id']} already used by /dispensations/{seen[item['id']]}")
                )
            seen.setdefault(item["id"], i)
    if messages:
        raise DispensationError(locate_messages(source, text, True, messages))
    return tuple(
        Dispensation(
            id=d["id"],
            rule=terms.resolve(d["rule"]),
            insurer=d["insurer"],
            reason=d["reason"],
            approved_by=d["approved_by"],
            reference=d["reference"],
            expires=date.fromisoformat(d["expires"]),
            subject=d.get("subject") or None,
            period=d.get("period") or None,
        )
        for d in data["dispensations"]
    )


def read_dispensation_file(path: Path, terms: RuleTerms) -> tuple[Dispensation, ...]:
    """The dispensations of a file; an unreadable file is a located ``DispensationError`` too."""
    from .load import Problem

    try:
        text = read_input_text(path, "dispensations")
    except InputFileError as exc:
        raise DispensationError([Problem(exc.path, "", exc.reason)]) from None
    return read_dispensations(text, str(path), terms)
