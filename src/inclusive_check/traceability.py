"""Sentence-level traceability: which rule encodes each obligation-bearing sentence of the guidance.

The data is ``traceability.yaml``, shipped with the package: one entry per sentence of items 4-20
(a sentence whose clauses differ in force is split into parts) and one per item for items 1-3, each
with a paraphrase of ours and the rules that encode it, what of the scoring measures it, or why a
submission cannot show it. ``rules matrix`` shows ``matrix`` as JSON, or as text or a Markdown table
(``reports.matrix``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DATA = "traceability.yaml"
# Where the sources and our interpretations are explained, inside the repository.
BASIS = "docs/regulatory-basis.md"

Marker = Literal["要", "应", "不得", "原则上", "鼓励", "支持", "引导", "推动", "推进", "可", "none"]
SentenceStrength = Literal["mandatory", "principle", "encouraged", "permission", "supervisor_duty", "statement"]
Addressee = Literal["insurer", "regulator", "industry", "others"]
MATRIX_FORMATS = ("text", "json", "markdown")


class TraceabilityError(Exception):
    """The traceability data is not valid; the message says where."""


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: int = Field(ge=1, le=20)
    sentence: int | None = Field(default=None, ge=1)  # None: an item-level entry (items 1-3 only)
    part: str | None = Field(default=None, pattern=r"^[a-z]$")
    heading: bool = False
    marker: Marker
    strength: SentenceStrength
    addressee: Addressee
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    rules: tuple[str, ...] = ()
    scored: str | None = None
    not_checkable: str | None = None
    reading: str | None = None  # why a rule is stronger or weaker than the sentence's own wording
    note: str | None = None  # what of the sentence the rules do not observe
    partly: str | None = None  # the rules judge only some of the sentence's duties: which are left, and why

    @model_validator(mode="after")
    def _one_basis(self) -> Entry:
        given = [name for name in ("rules", "scored", "not_checkable") if getattr(self, name)]
        if len(given) != 1:
            has = ", ".join(given) or "none"
            raise ValueError(f"item {self.ref}: needs exactly one of rules, scored, not_checkable (has {has})")
        if self.partly and not self.rules:
            raise ValueError(f"item {self.ref}: only a sentence with rules can be partly covered by them")
        if self.sentence is None and (self.item > 3 or self.part or self.heading):
            raise ValueError(f"item {self.item}: only items 1-3 may be listed without a sentence number")
        if self.heading and (self.sentence != 1 or self.part):
            raise ValueError(f"item {self.ref}: a heading is sentence 1, without parts")
        return self

    @property
    def ref(self) -> str:
        """The citation: item, item.sentence or item.sentence plus part, e.g. 10.4b."""
        if self.sentence is None:
            return str(self.item)
        return f"{self.item}.{self.sentence}{self.part or ''}"


class Traceability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: tuple[Entry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Traceability:
        refs = [e.ref for e in self.entries]
        duplicates = sorted({r for r in refs if refs.count(r) > 1})
        if duplicates:
            raise ValueError(f"entries listed twice: {', '.join(duplicates)}")
        missing = sorted(set(range(1, 21)) - {e.item for e in self.entries})
        if missing:
            raise ValueError(f"items with no entry: {missing}")
        for item in range(4, 21):
            numbers = sorted({e.sentence or 0 for e in self.entries if e.item == item})
            if numbers != list(range(1, len(numbers) + 1)):
                raise ValueError(f"item {item}: sentences {numbers} are not numbered 1..n")
            for n in numbers:
                parts = sorted(e.part or "" for e in self.entries if e.item == item and e.sentence == n)
                if parts != [""] and parts != [chr(ord("a") + i) for i in range(len(parts))]:
                    raise ValueError(f"item {item}.{n}: parts {parts} are not a, b, c...")
        return self

    def rule_ids(self) -> set[str]:
        return {rule_id for e in self.entries for rule_id in e.rules}


def load_traceability_text(text: str, source: str = DATA) -> Traceability:
    try:
        raw = yaml.safe_load(text)
        return Traceability.model_validate(raw)
    except yaml.YAMLError as exc:
        raise TraceabilityError(f"{source}: not YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "/".join(str(p) for p in first["loc"])
        raise TraceabilityError(f"{source}: {where}: {first['msg']}") from None


@functools.cache
def load_traceability() -> Traceability:
    """The traceability shipped with the package."""
    return load_traceability_text(resources.files("inclusive_check").joinpath(DATA).read_text("utf-8"))


def matrix(
    trace: Traceability, in_ruleset: Iterable[str], not_encoded: Mapping[int, str], source: Mapping[str, Any]
) -> dict[str, Any]:
    """The matrix as data: the guidance, items 1-20 rolled up, and one row per sentence."""
    active = set(in_ruleset)
    sentences = [
        {
            "ref": e.ref,
            "item": e.item,
            "sentence": e.sentence,
            "part": e.part,
            "heading": e.heading,
            "marker": e.marker,
            "strength": e.strength,
            "addressee": e.addressee,
            "paraphrase": {"en": e.en, "zh": e.zh},
            "rules": list(e.rules),
            "rules_not_in_ruleset": [r for r in e.rules if r not in active],
            "scored": e.scored,
            "not_checkable": e.not_checkable,
            "reading": e.reading,
            "note": e.note,
            "partly": e.partly,
            "coverage": ("partial" if e.partly else "full") if e.rules else None,
        }
        for e in trace.entries
    ]
    items = []
    for item in range(1, 21):
        mine = [e for e in trace.entries if e.item == item]
        rules = list(dict.fromkeys(r for e in mine for r in e.rules if r in active))
        scored = next((e.scored for e in mine if e.scored), None)
        items.append(
            {
                "item": item,
                "rules": rules,
                "scored": scored,
                "reason": None if rules else not_encoded.get(item, "no rule of this ruleset encodes it"),
            }
        )
    return {
        "guidance": dict(source),
        "basis": BASIS,
        "paraphrases": "ours, not the guidance's wording; sentences are cited by item and number, "
        "the item's heading being sentence 1",
        "items": items,
        "sentences": sentences,
    }
