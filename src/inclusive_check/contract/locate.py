"""Find where things are in a source text: JSON Pointer -> (line, column), 1-based, in Unicode code points.

Two uses. On the error path (``map_json``, ``map_yaml``) clarity wins over speed, and the JSON scanner also
reports what ``json.loads`` cannot locate for us: duplicate keys and NaN/Infinity literals. For findings
(``locate``) the text is a document that was valid when it was checked, and a market's documents are many
and large: only the containers on the way to a wanted pointer are walked in Python, and everything else is
skipped by the standard library's C decoder, so that locating costs about what ``json.loads`` does.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<punct>[{}\[\]:,])|(?P<bad>-?(?:NaN|Infinity))|(?P<lit>[^\s{}\[\]:,"]+))',
    re.DOTALL,
)


# No number of the contract reaches 10**16 (the largest maximum is 10**14): a number at or above it is
# refused as it is read, before anything converts it (1E+9999999 would cost minutes as an int or in a message).
MAX_ADJUSTED_EXPONENT = 15


def absurd_number(literal: str) -> bool:
    """Whether a number literal is 10**16 or more in size (zero, however written, never is)."""
    try:
        value = Decimal(literal)
    except (InvalidOperation, ValueError):
        return False
    return value.is_finite() and not value.is_zero() and value.adjusted() > MAX_ADJUSTED_EXPONENT


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(parts: tuple[str | int, ...] | list[str | int]) -> str:
    return "".join("/" + escape(part) for part in parts)


class LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


@dataclass
class SourceMap:
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    non_finite: list[tuple[str, int, int]] = field(default_factory=list)
    absurd: list[tuple[str, int, int, str]] = field(default_factory=list)  # pointer, line, column, literal

    def find(self, ptr: str) -> tuple[int, int] | None:
        """The position of ``ptr`` or of its nearest ancestor that exists in the source."""
        while True:
            if ptr in self.positions:
                return self.positions[ptr]
            if not ptr:
                return None
            ptr = ptr.rsplit("/", 1)[0]


def _with_ancestors(pointers: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for ptr in pointers:
        while ptr not in out:
            out.add(ptr)
            if not ptr:
                break
            ptr = ptr.rsplit("/", 1)[0]
    return out


def map_json(text: str, wanted: Iterable[str] | None = None) -> SourceMap:
    """Scan JSON text, recording the position of every value; stops quietly at a syntax error.

    ``wanted``: record only these pointers and their ancestors (what ``find`` needs for them), and stop as soon
    as each is found or known absent (its nearest ancestor closed); the duplicate keys, NaN/Infinity and absurd
    numbers lists are then partial. One pass, linear in the text.
    """
    out = SourceMap()
    lines = LineIndex(text)
    keep = None if wanted is None else _with_ancestors(wanted)
    remaining = set() if wanted is None else set(wanted)
    stack: list[list[Any]] = []  # [is_array, the container's pointer, keys seen, index of the current item]
    here = ""  # the pointer of the value the scanner is at
    expecting_key = False
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        start = m.start(m.lastgroup or 0)
        kind = m.lastgroup
        tok = m.group(kind or 0)
        if kind == "punct":
            if tok in "{[":
                if keep is None or here in keep:
                    out.positions.setdefault(here, lines.position(start))
                    if remaining:
                        remaining.discard(here)
                        if not remaining:
                            break
                stack.append([tok == "[", here, set(), 0])
                if tok == "[":
                    here += "/0"
                expecting_key = tok == "{"
            elif tok in "}]":
                if not stack:
                    break
                here = stack.pop()[1]
                expecting_key = False
                if keep is not None and here in keep:  # nothing wanted below here is still to come
                    inside = here + "/"
                    remaining = {ptr for ptr in remaining if not ptr.startswith(inside)}
                    if not remaining:
                        break
            elif tok == ",":
                if stack and stack[-1][0]:
                    frame = stack[-1]
                    frame[3] += 1
                    here = f"{frame[1]}/{frame[3]}"
                else:
                    expecting_key = True
            continue
        if expecting_key and kind == "str" and stack:
            key = json.loads(tok)
            frame = stack[-1]
            here = frame[1] + "/" + escape(key)
            if key in frame[2]:
                out.duplicates.append((here, *lines.position(start)))
            frame[2].add(key)
            expecting_key = False
            continue
        if keep is None or here in keep:
            out.positions.setdefault(here, lines.position(start))
            if remaining:
                remaining.discard(here)
                if not remaining:
                    break
        if kind == "bad" or tok in ("NaN", "Infinity", "-Infinity"):
            out.non_finite.append((here, *lines.position(start)))
        elif (
            kind == "lit"
            and tok[:1] in "-0123456789"
            and (len(tok) > MAX_ADJUSTED_EXPONENT or "e" in tok or "E" in tok)
            and absurd_number(tok)
        ):
            out.absurd.append((here, *lines.position(start), tok))
    return out


_WHITESPACE = re.compile(r"[ \t\n\r]*")
# The standard library's C scanners (not in typeshed): a whole value at an offset, and a string's body.
_SCAN_VALUE: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SCAN_STRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class _Done(Exception):
    """Every wanted pointer is found: the rest of the text need not be read."""


class _Enough(Exception):
    """An element gone straight to has no wanted pointer left in it, and where it ends is not needed."""


def _ancestors(pointer: str) -> Iterable[str]:
    while pointer:
        pointer = pointer.rsplit("/", 1)[0]
        yield pointer


class _Walk:
    """A walk of valid JSON text towards the ``wanted`` pointers, recording the offset of each and of its
    ancestors (``found``, in the order of the text). A value on no wanted pointer's way is skipped whole by the C
    decoder; the walk ends at the last one wanted. ``elements`` (array pointer -> {index: offset}) lets it go
    straight to those elements of an array, which must include its last one (whose end closes the array); it
    leaves each other one as soon as the pointers wanted in it are found."""

    def __init__(self, text: str, wanted: Iterable[str], elements: Mapping[str, Mapping[int, int]]) -> None:
        self.text = text
        self.remaining = set(wanted)
        self.below = _with_ancestors(ptr.rsplit("/", 1)[0] for ptr in self.remaining if ptr)  # walked into
        self.elements = elements
        self.found: dict[str, int] = {}
        self.cut = {f"{array}/{i}" for array, known in elements.items() for i in known if i != max(known)}
        self.pending: dict[str, int] = {}  # container -> wanted pointers in it not found yet (kept for a cut)
        for ptr in self.remaining if self.cut else ():
            for ancestor in _ancestors(ptr):
                self.pending[ancestor] = self.pending.get(ancestor, 0) + 1

    def space(self, pos: int) -> int:
        """The offset of the first character at or after ``pos`` that is not whitespace."""
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, here: str) -> int:
        """Walk the value at ``pos`` (no whitespace before it); the offset after it."""
        text = self.text
        opening = text[pos]  # past the end: IndexError, as for any text cut short
        if here in self.remaining or here in self.below:
            self.found[here] = pos
            if here in self.remaining:
                self.remaining.discard(here)
                if not self.remaining:
                    raise _Done
                for ancestor in _ancestors(here) if self.cut else ():
                    self.pending[ancestor] -= 1
        if here not in self.below or opening not in "{[":
            return _SCAN_VALUE(text, pos)[1]
        closing = "}" if opening == "{" else "]"
        known = self.elements.get(here) if opening == "[" else None
        if known:  # straight to the known elements; the last one's end is the array's
            for index in sorted(known):
                try:
                    pos = self.space(self.value(known[index], f"{here}/{index}"))
                except _Enough:
                    continue
            if text[pos] != closing:
                raise ValueError(f"expected {closing!r} at {pos}")
            return pos + 1
        pos = self.space(pos + 1)
        if text[pos] == closing:
            return pos + 1
        index = 0
        while True:
            if opening == "{":
                key, pos = _SCAN_STRING(text, pos + 1)
                pos = self.space(pos)
                if text[pos] != ":":
                    raise ValueError(f"expected ':' at {pos}")
                pos = self.space(pos + 1)
                child = f"{here}/{escape(key)}"
            else:
                child = f"{here}/{index}"
                index += 1
            pos = self.space(self.value(pos, child))
            if here in self.cut and not self.pending[here]:
                raise _Enough
            if text[pos] == closing:
                return pos + 1
            pos = self.space(pos + 1)  # past the comma

    def run(self) -> dict[str, int]:
        try:
            if self.remaining:
                self.value(self.space(0), "")
        except (_Done, ValueError, IndexError, StopIteration):
            pass  # not valid JSON: what was found before the fault
        return self.found


def offsets(text: str, wanted: Iterable[str]) -> dict[str, int]:
    """The offsets (in characters) of the ``wanted`` pointers in valid JSON text; a pointer not found is left out."""
    wanted = set(wanted)
    return {ptr: offset for ptr, offset in _Walk(text, wanted, {}).run().items() if ptr in wanted}


def map_pointers(
    text: str, wanted: Iterable[str], elements: Mapping[str, Mapping[int, int]] | None = None
) -> SourceMap:
    """The positions of ``wanted`` pointers and of their ancestors in valid JSON text (what ``find`` needs).

    ``elements``: offsets of some elements of an array (``offsets`` of them, stored when the text was ingested),
    the array's last one among them: the walk goes straight to them instead of past every element before.
    Text that is not valid JSON gives what was found before the fault (as ``map_json``, it never raises).
    """
    out = SourceMap()
    line, line_start, last = 1, 0, 0
    for ptr, offset in _Walk(text, wanted, elements or {}).run().items():
        # Offsets ascend: count the lines between each and the one before.
        newlines = text.count("\n", last, offset)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", last, offset) + 1
        out.positions[ptr] = (line, offset - line_start + 1)
        last = offset
    return out


def locate(
    text: str, source: str, wanted: Iterable[str], elements: Mapping[str, Mapping[int, int]] | None = None
) -> SourceMap:
    """Where the ``wanted`` pointers are in a document's text: YAML when its name says so (and it is not JSON in
    a YAML file), JSON otherwise (``elements``: see ``map_pointers``). The one way findings are located."""
    if source.lower().endswith((".yaml", ".yml")) and not text.lstrip().startswith("{"):
        return map_yaml(text)
    return map_pointers(text, wanted, elements)


def map_yaml(text: str) -> SourceMap:
    out = SourceMap()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return out

    seen: set[int] = set()

    def walk(node: yaml.Node, parts: list[str | int]) -> None:
        if id(node) in seen:  # an alias: the same node again; never expand it
            return
        seen.add(id(node))
        out.positions.setdefault(pointer(parts), (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, [*parts, str(key.value)])
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                walk(value, [*parts, i])

    if root is not None:
        walk(root, [])
    return out


NESTING_SHOWN = 200  # a real document nests fewer than 10 levels; where it passes this many is what is shown


def too_deep(text: str, levels: int = NESTING_SHOWN) -> tuple[int, int] | None:
    """The line and column (1-based) where ``text`` opens its ``levels``-th nested [ or { (strings skipped;
    JSON, and YAML's flow style), or None when it never nests that deep."""
    depth, quote, escaped = 0, "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth >= levels:
                return LineIndex(text).position(i)
        elif ch in "]}":
            depth -= 1
    return None
