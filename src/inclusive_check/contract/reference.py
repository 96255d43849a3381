"""Reference figures and targets files (``inclusive-check reference import`` and ``targets import``): parsed
and validated against their published schemas (``schemas/reference.schema.json``, ``schemas/targets.schema.json``),
every problem located. Storing them, with history, is ``store.reference``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .regions import divisions

REFERENCE_INDICATORS = ("population", "gdp_cny", "market_premium_cny")
RATIO_TARGETS = frozenset({"market_depth", "inclusive_depth"})


class ReferenceFileError(Exception):
    """The file is not valid; ``problems`` are located (contract.load.Problem)."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__("; ".join(f"{p.where()}: {p.pointer}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One value: a reference figure (``key`` its indicator, ``year``) or a target (``key`` its indicator)."""

    region: str
    year: int
    key: str
    value: Decimal
    text: str  # the source of a reference figure, the citation of a target


def _parse(text: str, source: str, kind: str) -> Any:
    import jsonschema
    import yaml

    from .load import Problem, YamlLoader, locate_messages, schema_text

    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        raise ReferenceFileError([Problem.not_yaml(source, exc)]) from None
    validator = jsonschema.Draft202012Validator(json.loads(schema_text(kind)))
    messages = [("".join(f"/{p}" for p in e.absolute_path), e.message) for e in validator.iter_errors(data)]
    if not messages:
        items = data["values" if kind == "reference" else "targets"]
        seen: dict[tuple[Any, ...], int] = {}
        for i, item in enumerate(items):
            where = f"/{'values' if kind == 'reference' else 'targets'}/{i}"
            if item["region"] not in divisions():
                messages.append((f"{where}/region", f"{item['region']} is not a GB/T 2260 province or prefecture"))
            key = (item["region"], item["year"], item.get("indicator"))
            if key in seen:
                messages.append((where, f"the same region and year{'' if kind == 'reference' else ' and indicator'} "
                                 f"as {where.rsplit('/', 1)[0]}/{seen[key]}"))  # fmt: skip
            seen.setdefault(key, i)
            if kind == "targets" and item["indicator"] in RATIO_TARGETS and Decimal(str(item["value"])) >= 1:
                messages.append((f"{where}/value", "a depth is a ratio of GDP (0.035 for 3.5%), below 1"))
    if messages:
        raise ReferenceFileError(locate_messages(source, text, not text.lstrip().startswith("{"), messages))
    return data


def parse_reference(text: str, source: str) -> list[Entry]:
    """The reference figures of a file's text, one entry per region, year and indicator given."""
    data = _parse(text, source, "reference")
    return [
        Entry(v["region"], v["year"], name, Decimal(str(v[name]["value"])), v[name]["source"])
        for v in data["values"]
        for name in REFERENCE_INDICATORS
        if name in v
    ]


def parse_targets(text: str, source: str) -> list[Entry]:
    data = _parse(text, source, "targets")
    return [
        Entry(t["region"], t["year"], t["indicator"], Decimal(str(t["value"])), t["citation"]) for t in data["targets"]
    ]


def load_file(path: Path, kind: str) -> list[Entry]:
    """The entries of a reference (``kind`` reference) or targets file; unreadable is a located error too."""
    from ..inputs import InputFileError, read_input_text
    from .load import Problem

    try:
        text = read_input_text(path, kind)  # a regular file within its limit (docs/inputs.md)
    except InputFileError as exc:
        raise ReferenceFileError([Problem(exc.path, "", exc.reason)]) from None
    return parse_reference(text, str(path)) if kind == "reference" else parse_targets(text, str(path))
