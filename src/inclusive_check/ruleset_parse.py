"""Reading a ruleset's text: YAML parsed safely (no aliases, merge keys, duplicate or non-string keys, refused
before anything is built), the line of every path for messages, and ``RulesetError`` with every problem located.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml

from .safetext import clean

MAX_LISTED_PROBLEMS = 20
_Path = tuple[str | int, ...]


class RulesetError(Exception):
    """The ruleset file is not valid; the message says where (``problems``: each one, with its path and line)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


class _Problems:
    """Problems of one ruleset, each as ``SOURCE:LINE: path/in/ruleset: message``."""

    def __init__(self, source: str, lines: dict[_Path, int]) -> None:
        self.source = source
        self.lines = lines
        self.items: list[str] = []

    def add(self, path: _Path, message: str, line: int | None = None) -> None:
        if line is None:
            line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None)
        where = "/".join(str(p) for p in path) or "(ruleset)"
        self.items.append(clean(f"{self.source}{'' if line is None else f':{line}'}: {where}: {message}"))

    def raise_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            raise RulesetError(self.items[0], self.items)
        shown = self.items[:MAX_LISTED_PROBLEMS]
        more = len(self.items) - len(shown)
        raise RulesetError(
            f"{len(self.items)} problems:\n  " + "\n  ".join(shown) + (f"\n  ... and {more} more" if more else ""),
            self.items,
        )


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_nodes(root: yaml.Node, problems: _Problems) -> dict[_Path, int]:
    """Refuse aliases (each node is visited once: an alias bomb costs its text's length, never its expansion),
    merge keys, non-string and duplicate keys; the line of every path, for messages."""
    lines = problems.lines
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, _Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            problems.add(path, "YAML aliases (*name) are not allowed in a ruleset; write the value out")
            continue
        seen.add(id(node))
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            children: list[tuple[yaml.Node, _Path]] = []
            for key, value in node.value:
                line = key.start_mark.line + 1
                if id(key) in seen:
                    problems.add(path, f"line {line}: YAML aliases (*name) are not allowed in a ruleset")
                    continue
                seen.add(id(key))
                if key.tag == _MERGE_TAG:
                    problems.add(path, f"line {line}: merge keys (<<) are not allowed in a ruleset")
                    continue
                if not isinstance(key, yaml.ScalarNode) or key.tag != _STR_TAG:
                    problems.add(path, f"line {line}: keys must be plain strings, not {key.tag.rsplit(':', 1)[-1]}")
                    continue
                name = str(key.value)
                if name in first:
                    problems.add(
                        (*path, name),
                        f"duplicate key {name!r} (first at line {first[name]}); "
                        "the second would silently replace the first",
                        line,
                    )
                    continue
                first[name] = line
                lines.setdefault((*path, name), line)
                children.append((value, (*path, name)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(item, (*path, i)) for i, item in enumerate(node.value)]))
    return lines


def _parse(text: str, source: str) -> tuple[Any, dict[_Path, int]]:
    """The YAML document (safe loader, no aliases, no duplicate keys) and the line of each path in it."""
    # libyaml's safe loader when present (several times faster); never a loader that runs code
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    problems = _Problems(source, {})
    try:
        root = loader.get_single_node()
        if root is None:
            raise RulesetError(clean(f"{source}: the ruleset is empty"))
        lines = _check_nodes(root, problems)
        problems.raise_any()
        return loader.construct_document(root), lines
    except yaml.YAMLError as exc:
        detail = "\n  ".join(clean(line) for line in str(exc).splitlines())
        raise RulesetError(f"{clean(source)}: not valid YAML: {detail}") from None
    except (ValueError, RecursionError) as exc:  # e.g. a date 2024-13-45; nesting too deep to parse
        raise RulesetError(clean(f"{source}: not valid YAML: {type(exc).__name__}: {exc}")) from None
    finally:
        loader.dispose()


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values are not allowed in a ruleset")


def _as_json(value: Any) -> str:
    """JSON text of parsed YAML: the models then validate it strictly (JSON has no bool that is also an int)."""
    return json.dumps(value, default=_plain, allow_nan=False, ensure_ascii=False)


def _message(error: Any) -> str:
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")
