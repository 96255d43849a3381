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
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..inputs import InputFileError, limit_of, read_input, shown
from .locate import MAX_ADJUSTED_EXPONENT, NESTING_SHOWN, LineIndex, SourceMap, map_json, map_yaml, pointer, too_deep
from .models import Document, ProductFiling, Submission, written_errors
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
EXCERPT_CHARS = 40  # of a value echoed in a message
_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")


@dataclass(frozen=True)
class Problem:
    source: str
    pointer: str
    message: str
    line: int | None = None
    column: int | None = None

    def where(self) -> str:
        at = f":{self.line}:{self.column}" if self.line is not None else ""
        return f"{self.source}{at}"

    @classmethod
    def not_yaml(cls, source: str, exc: Exception) -> Problem:
        """A file the YAML/JSON parser refused, at the parser's mark where it gives one."""
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return cls(source, "", f"not valid YAML/JSON: {exc}", line, column)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "message": self.message,
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


def _absurd_message(literal: str) -> str:
    return (
        f"the number {excerpt(literal)} is far beyond every range of the contract (no field accepts "
        "10000000000000000 or more); write the value itself"
    )


def excerpt(value: Any, chars: int = EXCERPT_CHARS) -> str:
    """A short, printable echo of a value for a message: long text is cut, lists and objects are counted."""
    if isinstance(value, (list, tuple)):
        return f"an array of {len(value)} item(s)" if len(value) > 5 else _clip(repr(value), chars * 2)
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)" if len(value) > 5 else _clip(repr(value), chars * 2)
    if isinstance(value, str):
        if len(value) <= chars:
            return _printable(repr(value))
        return _printable(repr(value[:chars]))[:-1] + f"…' ({len(value)} characters)"
    if isinstance(value, Decimal):
        return _clip(str(value), chars)
    return _clip(repr(value), chars)


def _clip(text: str, chars: int) -> str:
    text = _printable(text)
    return text if len(text) <= chars else f"{text[:chars]}… ({len(text)} characters)"


def _printable(text: str) -> str:
    """Lone surrogates (never UTF-8) as escapes, so that a message can always be stored and shown."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _short_pointer(ptr: str) -> str:
    """A pointer whose overlong tokens (unknown or duplicate keys) are cut, for display."""
    if len(ptr) <= 200:
        return _printable(ptr)
    return "/".join(tok if len(tok) <= EXCERPT_CHARS else tok[:EXCERPT_CHARS] + "…" for tok in ptr.split("/"))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate()
    return out


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


class YamlLoader(yaml.SafeLoader):
    """Safe YAML: no tags that run code, dates stay text, floats become Decimal, duplicate keys fail."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not allowed in documents", event.start_mark
            )
        return super().compose_node(parent, index)


def _yaml_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return _json_number(text)
    except _Absurd:
        raise yaml.constructor.ConstructorError(None, None, _absurd_message(text), node.start_mark) from None
    except ArithmeticError:
        return Decimal("NaN")  # .nan, .inf: the model rejects non-finite numbers with their pointer


def _yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text.replace("_", "").lstrip("+-")) > MAX_ADJUSTED_EXPONENT + 1:  # never convert a huge integer
        raise yaml.constructor.ConstructorError(None, None, _absurd_message(text), node.start_mark)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


def _yaml_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be text, found {type(key).__name__}", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
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


def _schema_messages(kind: str, data: Any) -> tuple[list[tuple[str, str]], bool]:
    """The first problems the schema finds, and whether it stopped before the end of the document.

    It stops after MAX_PROBLEMS + 1 problems or SCHEMA_WORK keyword checks, whichever comes first.
    """
    out: list[tuple[str, str]] = []
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
            out.append((ptr, _explain(leaf.validator, leaf.instance, leaf.message, leaf.validator_value)))
    return out, stopped


def _explain(validator: Any, instance: Any, message: str, expected: Any = None) -> str:
    if validator == "pattern" and isinstance(instance, str) and "\x00" in instance:
        return (
            f"text must not contain the NUL character (U+0000); found at character {instance.index(chr(0)) + 1} "
            f"of {excerpt(instance)}"
        )
    if validator == "maxLength" and isinstance(instance, str):
        return f"{excerpt(instance)} is too long: {len(instance)} characters, at most {expected}"
    if len(message) > 2 * EXCERPT_CHARS:  # the validator echoes the whole value: echo an excerpt instead
        shown = repr(instance)
        if message.startswith(shown):
            message = excerpt(instance) + message[len(shown) :]
        message = _clip(message, 4 * EXCERPT_CHARS)
    message = _DECIMAL_REPR.sub(r"\1", message)
    if instance is None:
        message = message.replace("None is not", "null is not", 1)
    if validator == "type" and isinstance(instance, str) and instance.strip().endswith("%"):
        return (
            f"{excerpt(instance)} is a percent string; write a number: a *_rate or *_weight as a "
            "decimal fraction (5% is 0.05), a *_pct as the percentage itself (215.3)"
        )
    if validator == "type" and isinstance(instance, str):
        return f"{message}; write the value as a JSON number or boolean, not in quotes"
    return message


def _model_messages(error: ValidationError) -> list[tuple[str, str]]:
    out = []
    for item in written_errors(error.errors(include_url=False))[: MAX_PROBLEMS + 1]:
        loc = [part for part in item["loc"] if not (isinstance(part, str) and "[" in part)]  # union steps
        out.append((pointer(loc), item["msg"]))
    return out


def _semantic(document: Document) -> Iterator[tuple[str, str]]:
    """Checks across fields that JSON Schema cannot express."""
    if isinstance(document, ProductFiling):
        products = [("/product", document.product)]
    else:
        products = [(f"/products/{i}", p) for i, p in enumerate(document.products)]
        seen: dict[str, int] = {}
        for i, p in enumerate(document.products):
            if p.code in seen:
                yield f"/products/{i}/code", f"product code {p.code!r} already used by /products/{seen[p.code]}"
            seen.setdefault(p.code, i)
        quarters: dict[str, int] = {}
        for i, q in enumerate(document.solvency):
            if q.quarter in quarters:
                first = quarters[q.quarter]
                yield f"/solvency/{i}/quarter", f"quarter {q.quarter} already reported at /solvency/{first}"
            quarters.setdefault(q.quarter, i)
        for i, m in enumerate(document.intermediaries):
            if m.agreement_end is not None and m.agreement_end < m.agreement_start:
                yield (
                    f"/intermediaries/{i}/agreement_end",
                    f"agreement ends ({m.agreement_end}) before it starts ({m.agreement_start})",
                )
    for ptr, p in products:
        if p.sale_end is not None and p.sale_end < p.sale_start:
            yield f"{ptr}/sale_end", f"sale ends ({p.sale_end}) before it starts ({p.sale_start})"
    yield from newer_fields(document)
    if isinstance(document, Submission) and document.regions:
        yield from _regions(document)


REGION_FIGURES = (  # a region's figure, and the product field its inclusive portfolio total sums
    ("policies", "policies_in_force"),
    ("insured_persons", "insured_persons"),
    ("premium_cny", "premium_cny"),
    ("claims_paid_cny", "claims_paid_cny"),
)


def _regions(document: Submission) -> Iterator[tuple[str, str]]:
    """Each region a real division, reported once and not inside another reported one; the sums over regions
    within the inclusive portfolio (products that are dedicated or name target groups), figure by figure."""
    regions = document.regions or []
    known = divisions()
    seen: dict[str, int] = {}
    for i, r in enumerate(regions):
        if r.region not in known:
            level = "province" if is_province(r.region) else "prefecture"
            yield (
                f"/regions/{i}/region",
                f"{r.region} is not a GB/T 2260 {level}-level division; give a province (440000) or prefecture "
                "(440100) code in force",
            )
        elif r.region in seen:
            yield f"/regions/{i}/region", f"region {r.region} already reported at /regions/{seen[r.region]}"
        seen.setdefault(r.region, i)
    for i, r in enumerate(regions):
        province = province_of(r.region)
        if r.region in known and not is_province(r.region) and province in seen:
            yield (
                f"/regions/{i}/region",
                f"region {r.region} lies within {province}, also reported at /regions/{seen[province]}; report "
                "each area once, the province or its prefectures",
            )
    inclusive = [p for p in document.products if p.dedicated_inclusive or p.target_groups]
    for figure, product_field in REGION_FIGURES:
        total = sum((getattr(p, product_field) or 0 for p in inclusive), Decimal(0))
        summed = sum((getattr(r, figure) for r in regions), Decimal(0))
        if summed > total:
            yield (
                "/regions",
                f"the regions' {figure} add up to {summed}, more than the inclusive portfolio's {total} (the "
                f"{product_field} of the products that are dedicated or name target groups)",
            )


def parse_bytes(raw: bytes, source: str, suffix: str = ".json") -> Loaded:
    """Parse and validate one document. Never raises for bad input: problems are returned."""
    loaded = Loaded(source=source, raw=raw)

    def fail(ptr: str, message: str, line: int | None = None, column: int | None = None) -> Loaded:
        loaded.problems.append(Problem(source, _short_pointer(ptr), _printable(message), line, column))
        return loaded

    if not raw.strip():
        return fail("", "the file is empty; expected one JSON object (a submission or a product_filing)")
    for bom, name in ((codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            return fail("", f"the file starts with a {name} byte-order mark; save it as UTF-8 without a BOM", 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", "replace")
        line, col = LineIndex(before).position(len(before))
        return fail(
            "",
            f"byte 0x{raw[exc.start]:02x} is not UTF-8; the contract expects UTF-8 "
            "(a GBK- or GB18030-encoded file must be re-saved as UTF-8)",
            line,
            col,
        )

    is_yaml = suffix.lower() in (".yaml", ".yml")
    source_map: SourceMap | None = None
    try:
        if is_yaml:
            data = yaml.load(text, Loader=YamlLoader)
        else:
            data = json.loads(text, parse_float=_json_number, parse_constant=_reject_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        return fail("", f"not valid JSON: {exc.msg}", exc.lineno, exc.colno)
    except (_Duplicate, _NonFinite, _Absurd) as exc:
        source_map = map_json(text)
        found: list[tuple[str, str, int, int]] = [
            *(
                (
                    ptr,
                    f"duplicate key {excerpt(ptr.rsplit('/', 1)[-1])}: each key may appear once in an object",
                    line,
                    col,
                )
                for ptr, line, col in source_map.duplicates
            ),
            *(
                (ptr, "NaN and Infinity are not JSON numbers; give a finite number or null where allowed", line, col)
                for ptr, line, col in source_map.non_finite
            ),
            *((ptr, _absurd_message(literal), line, col) for ptr, line, col, literal in source_map.absurd),
        ]
        for ptr, message, line, col in _capped(found):
            fail(ptr, message, line, col)
        if not loaded.problems:
            fail(
                "",
                _absurd_message(str(exc))
                if isinstance(exc, _Absurd)
                else "not valid JSON: duplicate key or non-finite number",
            )
        return loaded
    except ValueError as exc:  # an integer literal longer than Python converts (over 4300 digits)
        if is_yaml:
            return fail("", f"not a usable number or value: {exc}")
        absurd = map_json(text).absurd
        for ptr, line, col, literal in absurd[:MAX_PROBLEMS]:
            fail(ptr, _absurd_message(literal), line, col)
        return loaded if absurd else fail("", f"not a usable number or value: {exc}")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return fail("", f"not valid YAML: {exc.problem or exc.context}", *where)
    except yaml.YAMLError as exc:
        return fail("", f"not valid YAML: {exc}")
    except RecursionError:
        at = too_deep(text)
        if at is None:
            return fail("", "the document nests too deeply")
        return fail("", f"the document nests too deeply (past {NESTING_SHOWN} levels here)", *at)

    if not isinstance(data, dict):
        shape = "an array" if isinstance(data, list) else f"a {type(data).__name__}"
        return fail("", f"the top level must be an object with a 'kind', found {shape}", 1, 1)
    kind = data.get("kind")
    if kind not in KINDS:
        return _located(
            loaded,
            text,
            is_yaml,
            [("/kind" if "kind" in data else "", f"'kind' must be one of {', '.join(KINDS)}; found {excerpt(kind)}")],
        )
    try:
        document: Document = MODELS[kind].model_validate(data)
    except ValidationError as exc:
        try:
            messages, stopped = _schema_messages(kind, data)
        except ArithmeticError:  # NaN from YAML cannot be compared by the schema validator
            messages, stopped = [], False
        if not messages:  # the schema found nothing (or ran out of work first): the models' own words
            messages = _model_messages(exc)
        if stopped and len(messages) <= MAX_PROBLEMS:
            messages.append(("", _STOPPED))
        return _located(loaded, text, is_yaml, messages)
    semantic = list(itertools.islice(_semantic(document), MAX_PROBLEMS + 1))
    if semantic:
        return _located(loaded, text, is_yaml, semantic)
    loaded.document = document
    return loaded


_STOPPED = (
    f"and maybe more problems: validation stopped early (at most {MAX_PROBLEMS} problems are listed and "
    "a large document is checked only so far); fix these and validate again"
)


def _capped(items: Iterable[tuple[str, str, Any, Any]]) -> list[tuple[str, str, Any, Any]]:
    """The first MAX_PROBLEMS problems, then one line saying that validation stopped there."""
    out = list(itertools.islice(items, MAX_PROBLEMS + 1))
    if len(out) > MAX_PROBLEMS:
        out[MAX_PROBLEMS:] = [
            (
                "",
                f"and more problems of the same kinds: validation stopped after the first "
                f"{MAX_PROBLEMS}; fix these and validate again",
                None,
                None,
            )
        ]
    return out


def locate_messages(source: str, text: str, is_yaml: bool, messages: Iterable[tuple[str, str]]) -> list[Problem]:
    """(pointer, message) pairs as problems with the line and column of each pointer in ``text``.

    At most MAX_PROBLEMS of them, then a line saying validation stopped; overlong keys in pointers are cut.
    """
    capped = _capped((ptr, message, 0, 0) for ptr, message in messages)
    source_map = map_yaml(text) if is_yaml else map_json(text, [ptr for ptr, *_ in capped])
    out = []
    for ptr, message, line, _ in capped:
        at = source_map.find(ptr) if line == 0 and message != _STOPPED else None  # a closing note has no place
        out.append(Problem(source, _short_pointer(ptr), _printable(message), *(at or (None, None))))
    return out


def _located(loaded: Loaded, text: str, is_yaml: bool, messages: Iterable[tuple[str, str]]) -> Loaded:
    loaded.problems.extend(locate_messages(loaded.source, text, is_yaml, messages))
    return loaded


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be shown and stored: bytes that are not UTF-8 become \\xNN escapes."""
    return shown(path)


def read_limited(path: Path, max_bytes: int) -> tuple[bytes | None, str | None]:
    """The document's bytes, or why not (``inputs.read_input``: regular files only, the limit before reading)."""
    try:
        return read_input(path, "document", max_bytes), None
    except InputFileError as exc:
        return None, exc.reason


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Loaded:
    source = display_path(path)
    raw, reason = read_limited(path, max_bytes)
    if raw is None:
        return Loaded(source, problems=[Problem(source, "", reason or "cannot read the file")])
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
