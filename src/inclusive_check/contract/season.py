"""The filing season's two data files: the register of supervised insurers and the filing calendar.

Both are YAML or JSON, validated against their published schemas (``schemas/insurers.schema.json``,
``schemas/calendar.schema.json``; ``inclusive-check schema insurers|calendar``) and then for what a schema
cannot say (a code or a period given twice, a due kind that does not fit the period, an extension for a kind
that is not due or earlier than the date it extends). Every problem is located (JSON Pointer, line and
column); a file with any problem yields nothing. Storing them is ``store.season``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .load import Problem

# A register or calendar of thousands of insurers is well under a MiB; larger is not one of ours.
DUE_KINDS = ("quarterly_submission", "annual_submission", "product_filings")


class SeasonFileError(Exception):
    """The register or calendar file is not valid; ``problems`` are located."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.where()}: {p.pointer}: {p.message}" for p in problems))
        self.problems = problems


def _digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class RegisteredInsurer:
    code: str
    name_zh: str
    name_en: str
    group: str
    ownership: str
    size_class: str
    files: str  # quarterly, annual or both

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": {"zh": self.name_zh, "en": self.name_en},
            "group": self.group,
            "ownership": self.ownership,
            "size_class": self.size_class,
            "files": self.files,
        }

    def digest(self) -> str:
        """Identity of the content: importing the same insurer again stores no new version."""
        return _digest(self.as_dict())

    def files_kind(self, kind: str) -> bool:
        """Whether it must file the submission ``kind`` (quarterly_submission or annual_submission)."""
        wanted = {"quarterly_submission": "quarterly", "annual_submission": "annual"}.get(kind)
        return wanted is not None and self.files in (wanted, "both")


@dataclass(frozen=True)
class Extension:
    insurer: str
    kind: str
    due: date
    reference: str

    def as_dict(self) -> dict[str, str]:
        return {"insurer": self.insurer, "kind": self.kind, "due": self.due.isoformat(), "reference": self.reference}


@dataclass(frozen=True)
class CalendarPeriod:
    period: str
    opens: date
    due: dict[str, date]  # kind -> due date (inclusive)
    extensions: tuple[Extension, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "opens": self.opens.isoformat(),
            "due": {kind: day.isoformat() for kind, day in sorted(self.due.items())},
            "extensions": [x.as_dict() for x in self.extensions],
        }

    def digest(self) -> str:
        return _digest(self.as_dict())

    def due_for(self, insurer: str, kind: str) -> date | None:
        """When ``kind`` is due from ``insurer`` (its extension, if it was granted one), or None: not due."""
        if kind not in self.due:
            return None
        granted = [x.due for x in self.extensions if x.insurer == insurer and x.kind == kind]
        return max(granted) if granted else self.due[kind]

    @staticmethod
    def from_dict(record: dict[str, Any]) -> CalendarPeriod:
        return CalendarPeriod(
            period=record["period"],
            opens=date.fromisoformat(record["opens"]),
            due={kind: date.fromisoformat(day) for kind, day in record["due"].items()},
            extensions=tuple(
                Extension(x["insurer"], x["kind"], date.fromisoformat(x["due"]), x["reference"])
                for x in record.get("extensions") or ()
            ),
        )


@cache
def schema(kind: str) -> dict[str, Any]:
    from .load import schema_text

    loaded: dict[str, Any] = json.loads(schema_text(kind))
    return loaded


def _parse(text: str, source: str, kind: str) -> tuple[Any, list[tuple[str, str]]]:
    """The data of ``text`` and the schema's messages; a YAML/JSON syntax error is raised located."""
    import jsonschema
    import yaml

    from .load import Problem, YamlLoader

    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        raise SeasonFileError([Problem.not_yaml(source, exc)]) from None
    validator = jsonschema.Draft202012Validator(schema(kind), format_checker=jsonschema.FormatChecker())
    messages = [("".join(f"/{p}" for p in e.absolute_path), e.message) for e in validator.iter_errors(data)]
    return data, messages


def _raise_located(source: str, text: str, messages: list[tuple[str, str]]) -> None:
    from .load import locate_messages

    if messages:
        stripped = text.lstrip()
        is_yaml = not stripped.startswith(("{", "["))
        raise SeasonFileError(locate_messages(source, text, is_yaml, messages))


def parse_register(text: str, source: str) -> tuple[RegisteredInsurer, ...]:
    """The insurers of a register file's text; ``SeasonFileError`` lists every problem, located in ``source``."""
    data, messages = _parse(text, source, "insurers")
    if not messages:
        seen: dict[str, int] = {}
        for i, item in enumerate(data["insurers"]):
            if item["code"] in seen:
                messages.append(
                    (f"/insurers/{i}/code", f"{item['code']} already listed at /insurers/{seen[item['code']]}")
                )
            seen.setdefault(item["code"], i)
    _raise_located(source, text, messages)
    return tuple(
        RegisteredInsurer(
            code=x["code"],
            name_zh=x["name"]["zh"],
            name_en=x["name"]["en"],
            group=x["group"],
            ownership=x["ownership"],
            size_class=x["size_class"],
            files=x["files"],
        )
        for x in data["insurers"]
    )


def _period_messages(i: int, item: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = f"/periods/{i}"
    quarter = "-Q" in item["period"]
    wrong = "annual_submission" if quarter else "quarterly_submission"
    if wrong in item["due"]:
        what = "a quarter" if quarter else "a year"
        out.append((f"{at}/due/{wrong}", f"{item['period']} is {what}: no {wrong.replace('_', ' ')} is due for it"))
    opens = date.fromisoformat(item["opens"])
    for kind, day in item["due"].items():
        if date.fromisoformat(day) < opens:
            out.append((f"{at}/due/{kind}", f"due {day} is before the period opens ({item['opens']})"))
    for j, x in enumerate(item.get("extensions") or ()):
        if x["kind"] not in item["due"]:
            out.append((f"{at}/extensions/{j}/kind", f"{x['kind']} is not due for {item['period']}: nothing to extend"))
        elif date.fromisoformat(x["due"]) < date.fromisoformat(item["due"][x["kind"]]):
            out.append(
                (
                    f"{at}/extensions/{j}/due",
                    f"an extension to {x['due']} is earlier than the due date {item['due'][x['kind']]}",
                )
            )
    return out


def parse_calendar(text: str, source: str) -> tuple[CalendarPeriod, ...]:
    """The periods of a calendar file's text; ``SeasonFileError`` lists every problem, located in ``source``."""
    data, messages = _parse(text, source, "calendar")
    if not messages:
        seen: dict[str, int] = {}
        for i, item in enumerate(data["periods"]):
            if item["period"] in seen:
                messages.append(
                    (f"/periods/{i}/period", f"{item['period']} already listed at /periods/{seen[item['period']]}")
                )
            seen.setdefault(item["period"], i)
            messages.extend(_period_messages(i, item))
    _raise_located(source, text, messages)
    return tuple(CalendarPeriod.from_dict(item) for item in data["periods"])


def read_season_file(path: Path, kind: str) -> str:
    """The text of a register (``kind`` register) or calendar file, opened as every input is (inputs.read_input:
    a regular file within its kind's limit, UTF-8); a file that cannot be read is a located problem."""
    from ..inputs import InputFileError, read_input_text
    from .load import Problem

    try:
        return read_input_text(path, kind)
    except InputFileError as exc:
        raise SeasonFileError([Problem(exc.path, "", exc.reason)]) from None
