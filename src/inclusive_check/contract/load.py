"""Bytes -> a typed document, or every problem with its JSON Pointer and, for files, line and column.

The fast path is ``json.loads`` (numbers as ``Decimal``) plus the pydantic models (whose numbers, counts
and dates are validated by compiled code first; see ``models``). Only when the models reject a document
do we run the JSON Schema validator, which explains each problem in terms of the published contract,
and the source scanner, which locates it.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..i18n import N_, Code, Message, Param
from ..inputs import InputFileError, limit_of, read_input, shown
from .explain import (
    EXCERPT_CHARS,
    absurd_message,
    explain,
    json_detail,
    json_type,
    model_messages,
    printable,
    shown_value,
    type_name,
)
from .locate import MAX_ADJUSTED_EXPONENT, NESTING_SHOWN, LineIndex, SourceMap, map_json, map_yaml, pointer, too_deep
from .models import Document, ProductFiling, Submission
from .regions import divisions, is_province, province_of
from .versions import newer_fields

KINDS = ("submission", "product_filing")
MODELS: dict[str, type[Submission] | type[ProductFiling]] = {
    "submission": Submission,
    "product_filing": ProductFiling,
}
DEFAULT_MAX_BYTES = limit_of("document")
DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml")
MAX_PROBLEMS = 100  # per file: validation stops there, so a hostile file costs no more than a bad one


@dataclass(frozen=True)
class Problem:
    source: str
    pointer: str
    message: str  # in English; ``text(lang)`` renders ``msg`` (the id and arguments) in any language
    line: int | None = None
    column: int | None = None
    msg: Message | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls, source: str, ptr: str, message: str | Message, line: int | None = None, col: int | None = None
    ) -> Problem:
        """A problem from a catalogue message (or a plain English text, from modules not yet moved)."""
        msg = message if isinstance(message, Message) else None
        return cls(source, ptr, printable(str(message)), line, col, msg)

    def text(self, lang: str = "en") -> str:
        return printable(self.msg.text(lang)) if self.msg is not None else self.message

    def where(self) -> str:
        at = f":{self.line}:{self.column}" if self.line is not None else ""
        return f"{self.source}{at}"

    @classmethod
    def not_yaml(cls, source: str, exc: Exception) -> Problem:
        """A file the YAML/JSON parser refused, at the parser's mark where it gives one."""
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return cls.of(source, "", Message("problem.not_yaml_json", detail=Code(str(exc))), line, column)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "file": self.source,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "message": self.text(lang),
        }


@dataclass
class Loaded:
    source: str
    raw: bytes = b""
    document: Document | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.problems

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class _Duplicate(ValueError):
    pass


class _NonFinite(ValueError):
    pass


class _Absurd(ValueError):
    pass


def _json_number(literal: str) -> Decimal:
    """A JSON number with a fraction or exponent, as written; refused unread when no field could hold it."""
    value = Decimal(literal)
    if value.adjusted() > MAX_ADJUSTED_EXPONENT:
        if not value.is_zero():
            raise _Absurd(literal)
        return Decimal(0).copy_sign(value)  # 0E+9999999 is zero; never let its exponent travel on
    return value


def _short_pointer(ptr: str) -> str:
    """A pointer whose overlong tokens (unknown or duplicate keys) are cut, for display."""
    if len(ptr) <= 200:
        return printable(ptr)
    return "/".join(tok if len(tok) <= EXCERPT_CHARS else tok[:EXCERPT_CHARS] + "…" for tok in ptr.split("/"))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate()
    return out


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


class _Refused(yaml.constructor.ConstructorError):
    """The YAML loader's own refusal, with its catalogue message (``msg``)."""

    def __init__(self, msg: Message, mark: Any) -> None:
        super().__init__(None, None, str(msg), mark)
        self.msg = msg


class YamlLoader(yaml.SafeLoader):
    """Safe YAML: no tags that run code, dates stay text, floats become Decimal, duplicate keys fail."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Refused(Message("problem.yaml_alias"), event.start_mark)
        return super().compose_node(parent, index)


def _yaml_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return _json_number(text)
    except _Absurd:
        raise _Refused(absurd_message(text), node.start_mark) from None
    except ArithmeticError:
        return Decimal("NaN")  # .nan, .inf: the model rejects non-finite numbers with their pointer


def _yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text.replace("_", "").lstrip("+-")) > MAX_ADJUSTED_EXPONENT + 1:  # never convert a huge integer
        raise _Refused(absurd_message(text), node.start_mark)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


def _yaml_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str):
            raise _Refused(Message("problem.yaml_key_type", found=Code(type(key).__name__)), key_node.start_mark)
        if key in seen:
            raise _Refused(Message("problem.yaml_duplicate_key", key=shown_value(key)), key_node.start_mark)
        seen[key] = loader.construct_object(value_node)
    return seen


YamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)
YamlLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
YamlLoader.add_constructor("tag:yaml.org,2002:map", _yaml_mapping)
YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)  # type: ignore[type-var]


@cache
def schema_text(kind: str) -> str:
    return resources.files(__package__).joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")


class _OutOfWork(Exception):
    """The schema validator's work budget ran out (see ``_schema_messages``)."""


# Keyword checks the schema validator may make explaining one rejected document: a few seconds at most. Python's
# validator costs microseconds per check, so a million valid items around one bad one would cost a minute.
SCHEMA_WORK = 100_000
_work = {"done": 0, "budget": 0}  # budget 0: unmetered (the validator used as a plain validator, in tests)


def _metered(check: Any) -> Any:
    def metered(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if _work["budget"]:
            _work["done"] += 1
            if _work["done"] > _work["budget"]:
                raise _OutOfWork
        return check(validator, value, instance, schema)

    return metered


@cache
def _validator(kind: str) -> Any:
    import jsonschema

    def is_integer(checker: Any, instance: Any) -> bool:  # 37.0 is an integer in JSON Schema, as a Decimal too
        if isinstance(instance, Decimal):
            return instance.is_finite() and instance == instance.to_integral_value()
        return bool(base.TYPE_CHECKER.is_type(instance, "integer"))

    base = jsonschema.Draft202012Validator
    validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        base,
        type_checker=base.TYPE_CHECKER.redefine("integer", is_integer),
        validators={keyword: _metered(check) for keyword, check in base.VALIDATORS.items()},
    )
    schema = json.loads(schema_text(kind))
    return validator(schema, format_checker=jsonschema.FormatChecker())


def _schema_messages(kind: str, data: Any) -> tuple[list[tuple[str, str | Message]], bool]:
    """The first problems the schema finds, and whether it stopped before the end of the document.

    It stops after MAX_PROBLEMS + 1 problems or SCHEMA_WORK keyword checks, whichever comes first.
    """
    out: list[tuple[str, str | Message]] = []
    first: list[Any] = []
    _work.update(done=0, budget=SCHEMA_WORK)
    try:
        for error in _validator(kind).iter_errors(data):
            first.append(error)
            if len(first) > MAX_PROBLEMS:
                break
        stopped = len(first) > MAX_PROBLEMS
    except _OutOfWork:
        stopped = True
    finally:
        _work.update(done=0, budget=0)
    for error in sorted(first, key=lambda e: [(isinstance(part, str), part) for part in e.absolute_path]):
        leaves = [error]
        while leaves and leaves[0].validator in ("oneOf", "anyOf") and leaves[0].context:
            ctx = [e for e in leaves[0].context if e.validator != "type" or e.validator_value != "null"]
            leaves = ctx or leaves[:1]
            if leaves is ctx and all(e.validator not in ("oneOf", "anyOf") for e in ctx):
                break
        for leaf in leaves[:1]:
            ptr = pointer(list(leaf.absolute_path))
            out.append((ptr, explain(leaf)))
    return out, stopped


def _semantic(document: Document) -> Iterator[tuple[str, str | Message]]:
    """Checks across fields that JSON Schema cannot express."""
    if isinstance(document, ProductFiling):
        products = [("/product", document.product)]
    else:
        products = [(f"/products/{i}", p) for i, p in enumerate(document.products)]
        seen: dict[str, int] = {}
        for i, p in enumerate(document.products):
            if p.code in seen:
                yield (
                    f"/products/{i}/code",
                    Message("problem.product_code_twice", code=Code(p.code), at=Code(f"/products/{seen[p.code]}")),
                )
            seen.setdefault(p.code, i)
        quarters: dict[str, int] = {}
        for i, q in enumerate(document.solvency):
            if q.quarter in quarters:
                first = quarters[q.quarter]
                yield (
                    f"/solvency/{i}/quarter",
                    Message("problem.quarter_twice", quarter=Code(q.quarter), at=Code(f"/solvency/{first}")),
                )
            quarters.setdefault(q.quarter, i)
        for i, m in enumerate(document.intermediaries):
            if m.agreement_end is not None and m.agreement_end < m.agreement_start:
                yield (
                    f"/intermediaries/{i}/agreement_end",
                    Message("problem.agreement_ends_early", end=m.agreement_end, start=m.agreement_start),
                )
    for ptr, p in products:
        if p.sale_end is not None and p.sale_end < p.sale_start:
            yield f"{ptr}/sale_end", Message("problem.sale_ends_early", end=p.sale_end, start=p.sale_start)
    yield from newer_fields(document)
    if isinstance(document, Submission) and document.regions:
        yield from _regions(document)


REGION_FIGURES = (  # a region's figure, and the product field its inclusive portfolio total sums
    ("policies", "policies_in_force"),
    ("insured_persons", "insured_persons"),
    ("premium_cny", "premium_cny"),
    ("claims_paid_cny", "claims_paid_cny"),
)


def _regions(document: Submission) -> Iterator[tuple[str, str | Message]]:
    """Each region a real division, reported once and not inside another reported one; the sums over regions
    within the inclusive portfolio (products that are dedicated or name target groups), figure by figure."""
    regions = document.regions or []
    known = divisions()
    seen: dict[str, int] = {}
    for i, r in enumerate(regions):
        if r.region not in known:
            level = N_("problem.region_unknown_province") if is_province(r.region) else N_("problem.region_unknown")
            yield f"/regions/{i}/region", Message(level, region=Code(r.region))
        elif r.region in seen:
            yield (
                f"/regions/{i}/region",
                Message("problem.region_twice", region=Code(r.region), at=Code(f"/regions/{seen[r.region]}")),
            )
        seen.setdefault(r.region, i)
    for i, r in enumerate(regions):
        province = province_of(r.region)
        if r.region in known and not is_province(r.region) and province in seen:
            at = Code(f"/regions/{seen[province]}")
            yield (
                f"/regions/{i}/region",
                Message("problem.region_within", region=Code(r.region), province=Code(province), at=at),
            )
    inclusive = [p for p in document.products if p.dedicated_inclusive or p.target_groups]
    for figure, product_field in REGION_FIGURES:
        total = sum((getattr(p, product_field) or 0 for p in inclusive), Decimal(0))
        summed = sum((getattr(r, figure) for r in regions), Decimal(0))
        if summed > total:
            yield (
                "/regions",
                Message(
                    "problem.regions_over", figure=Param(figure), sum=summed, total=total, field=Param(product_field)
                ),
            )


def parse_bytes(raw: bytes, source: str, suffix: str = ".json") -> Loaded:
    """Parse and validate one document. Never raises for bad input: problems are returned."""
    loaded = Loaded(source=source, raw=raw)

    def fail(ptr: str, message: str | Message, line: int | None = None, column: int | None = None) -> Loaded:
        loaded.problems.append(Problem.of(source, _short_pointer(ptr), message, line, column))
        return loaded

    if not raw.strip():
        return fail("", Message("problem.empty_file"))
    for bom, name in ((codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            return fail("", Message("problem.bom", encoding=Code(name)), 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", "replace")
        line, col = LineIndex(before).position(len(before))
        return fail("", Message("problem.not_utf8", byte=Code(f"0x{raw[exc.start]:02x}")), line, col)

    is_yaml = suffix.lower() in (".yaml", ".yml")
    source_map: SourceMap | None = None
    try:
        if is_yaml:
            data = yaml.load(text, Loader=YamlLoader)
        else:
            data = json.loads(text, parse_float=_json_number, parse_constant=_reject_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        return fail("", Message("problem.not_json", detail=json_detail(exc.msg)), exc.lineno, exc.colno)
    except (_Duplicate, _NonFinite, _Absurd) as exc:
        source_map = map_json(text)
        found: list[tuple[str, str | Message, int, int]] = [
            *(
                (ptr, Message("problem.duplicate_key", key=shown_value(ptr.rsplit("/", 1)[-1])), line, col)
                for ptr, line, col in source_map.duplicates
            ),
            *((ptr, Message("problem.non_finite"), line, col) for ptr, line, col in source_map.non_finite),
            *((ptr, absurd_message(literal), line, col) for ptr, line, col, literal in source_map.absurd),
        ]
        for ptr, message, line, col in _capped(found):
            fail(ptr, message, line, col)
        if not loaded.problems:
            fail(
                "",
                absurd_message(str(exc)) if isinstance(exc, _Absurd) else Message("problem.duplicate_or_non_finite"),
            )
        return loaded
    except ValueError as exc:  # an integer literal longer than Python converts (over 4300 digits)
        if is_yaml:
            return fail("", Message("problem.unusable_value", detail=Code(str(exc))))
        absurd = map_json(text).absurd
        for ptr, line, col, literal in absurd[:MAX_PROBLEMS]:
            fail(ptr, absurd_message(literal), line, col)
        return loaded if absurd else fail("", Message("problem.unusable_value", detail=Code(str(exc))))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (None, None)
        if isinstance(exc, _Refused):
            return fail("", Message("problem.not_yaml", detail=exc.msg), *where)
        return fail("", Message("problem.not_yaml", detail=Code(str(exc.problem or exc.context))), *where)
    except yaml.YAMLError as exc:
        return fail("", Message("problem.not_yaml", detail=Code(str(exc))))
    except RecursionError:
        at = too_deep(text)
        if at is None:
            return fail("", Message("problem.too_deep"))
        return fail("", Message("problem.too_deep_at", levels=NESTING_SHOWN), *at)

    if not isinstance(data, dict):
        shape = type_name("array" if isinstance(data, list) else json_type(data))
        return fail("", Message("problem.top_level", found=shape), 1, 1)
    kind = data.get("kind")
    if kind not in KINDS:
        return _located(
            loaded,
            text,
            is_yaml,
            [
                (
                    "/kind" if "kind" in data else "",
                    Message("problem.kind", kinds=[Code(k) for k in KINDS], found=shown_value(kind)),
                )
            ],
        )
    try:
        document: Document = MODELS[kind].model_validate(data)
    except ValidationError as exc:
        try:
            messages, stopped = _schema_messages(kind, data)
        except ArithmeticError:  # NaN from YAML cannot be compared by the schema validator
            messages, stopped = [], False
        if not messages:  # the schema found nothing (or ran out of work first): the models' own words
            messages = model_messages(exc)
        if stopped and len(messages) <= MAX_PROBLEMS:
            messages.append(("", _STOPPED))
        return _located(loaded, text, is_yaml, messages)
    semantic = list(itertools.islice(_semantic(document), MAX_PROBLEMS + 1))
    if semantic:
        return _located(loaded, text, is_yaml, semantic)
    loaded.document = document
    return loaded


_STOPPED = Message("problem.stopped_early", n=MAX_PROBLEMS)


def _capped(items: Iterable[tuple[str, str | Message, Any, Any]]) -> list[tuple[str, str | Message, Any, Any]]:
    """The first MAX_PROBLEMS problems, then one line saying that validation stopped there."""
    out = list(itertools.islice(items, MAX_PROBLEMS + 1))
    if len(out) > MAX_PROBLEMS:
        out[MAX_PROBLEMS:] = [("", Message("problem.stopped_after", n=MAX_PROBLEMS), None, None)]
    return out


def locate_messages(
    source: str, text: str, is_yaml: bool, messages: Iterable[tuple[str, str | Message]]
) -> list[Problem]:
    """(pointer, message) pairs as problems with the line and column of each pointer in ``text``.

    At most MAX_PROBLEMS of them, then a line saying validation stopped; overlong keys in pointers are cut.
    """
    capped = _capped((ptr, message, 0, 0) for ptr, message in messages)
    source_map = map_yaml(text) if is_yaml else map_json(text, [ptr for ptr, *_ in capped])
    out = []
    for ptr, message, line, _ in capped:
        at = source_map.find(ptr) if line == 0 and message is not _STOPPED else None  # a closing note has no place
        out.append(Problem.of(source, _short_pointer(ptr), message, *(at or (None, None))))
    return out


def _located(loaded: Loaded, text: str, is_yaml: bool, messages: Iterable[tuple[str, str | Message]]) -> Loaded:
    loaded.problems.extend(locate_messages(loaded.source, text, is_yaml, messages))
    return loaded


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be shown and stored: bytes that are not UTF-8 become \\xNN escapes."""
    return shown(path)


def read_limited(path: Path, max_bytes: int) -> tuple[bytes | None, Message | None]:
    """The document's bytes, or why not (``inputs.read_input``: regular files only, the limit before reading)."""
    try:
        return read_input(path, "document", max_bytes), None
    except InputFileError as exc:
        return None, exc.msg


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Loaded:
    source = display_path(path)
    raw, reason = read_limited(path, max_bytes)
    if raw is None:
        return Loaded(source, problems=[Problem.of(source, "", reason or Message("problem.unreadable"))])
    return parse_bytes(raw, source, path.suffix)


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files as given; folders walked in sorted order for *.json, *.yaml and *.yml (of any file type)."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                # a FIFO or device link named like a document is yielded too: loading it says why it is refused
                if found.suffix.lower() in DOCUMENT_SUFFIXES and not found.is_dir():
                    yield found
        else:
            yield path
