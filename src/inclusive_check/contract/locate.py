"""Find where things are in a source text: JSON Pointer -> (line, column), 1-based.

Only used on the error path, so it favours clarity over speed. The JSON scanner also reports
what ``json.loads`` cannot locate for us: duplicate keys and NaN/Infinity literals.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[{}\[\]:,])|(?P<bad>-?(?:NaN|Infinity))|(?P<lit>[^\s{}\[\]:,"]+))',
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


def map_json(text: str) -> SourceMap:
    """Scan JSON text, recording the position of every value; stops quietly at a syntax error."""
    out = SourceMap()
    lines = LineIndex(text)
    stack: list[tuple[str, list[str | int], set[str]]] = []  # (kind, path, keys seen)
    path: list[str | int] = []
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
                out.positions.setdefault(pointer(path), lines.position(start))
                stack.append(("obj" if tok == "{" else "arr", list(path), set()))
                if tok == "[":
                    path = [*path, 0]
                expecting_key = tok == "{"
            elif tok in "}]":
                if not stack:
                    break
                _, path, _ = stack.pop()
                expecting_key = False
            elif tok == ",":
                if stack and stack[-1][0] == "arr":
                    last = path[-1]
                    path = [*path[:-1], int(last) + 1]
                else:
                    expecting_key = True
            continue
        if expecting_key and kind == "str" and stack:
            key = json.loads(tok)
            parent = stack[-1]
            line, col = lines.position(start)
            if key in parent[2]:
                out.duplicates.append((pointer(parent[1] + [key]), line, col))
            parent[2].add(key)
            path = parent[1] + [key]
            expecting_key = False
            continue
        line, col = lines.position(start)
        out.positions.setdefault(pointer(path), (line, col))
        if kind == "bad" or tok in ("NaN", "Infinity", "-Infinity"):
            out.non_finite.append((pointer(path), line, col))
        elif kind == "lit" and tok[:1] in "-0123456789" and absurd_number(tok):
            out.absurd.append((pointer(path), line, col, tok))
    return out


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
