"""The language layer: a message is an id with typed arguments, rendered from a gettext PO catalogue per language.

``render("problem.empty_file", "zh")`` looks the id up in ``locale/zh/LC_MESSAGES/messages.po`` and fills its
``{name}`` placeholders with the arguments, each formatted by its type and the language:

- ``int`` and ``Decimal``: as written, the integer part grouped by thousands (``1,234,567``), in both languages;
- ``date``: ISO 8601 (``2025-06-30``);
- ``Param("intermediary_channels")``: a parameter or field identifier glossed in prose, ``中介渠道范围
  （intermediary_channels）``, from the language's ``glosses.po`` (bare when it has no gloss: English has none);
- ``Item(18)``: a guidance item cited in the one style of the language (``cite``);
- ``Code("440000")``, ``str``: kept exactly as given (codes, JSON Pointers, file paths, values from a file);
- a ``Message``: rendered in the same language (a reason inside a sentence); a list: each item, joined.

A ``Message`` keeps the id and the arguments, so it can be stored as JSON (``as_json``/``from_json``) and
rendered later in any language. The catalogues are read with Babel's PO reader on first use and cached (no
compiled .mo: the PO files are package data, parsing them takes milliseconds and nothing is written anywhere;
see CONTRIBUTING.md for extracting and updating them). This module imports nothing of the package.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("en", "zh")
DOMAIN = "messages"
_NUMERALS = "零一二三四五六七八九"


def N_(msg_id: str) -> str:
    """Marks a message id kept in a table, so that extraction finds it; returns it unchanged."""
    return msg_id


@dataclass(frozen=True)
class Param:
    """A parameter or field identifier shown in prose: glossed per language, the identifier kept."""

    name: str


@dataclass(frozen=True)
class Code:
    """A code, pointer or value from a file: shown exactly as given, never formatted or glossed."""

    text: str


@dataclass(frozen=True)
class Item:
    """A guidance item (1-20), cited in the language's one style."""

    number: int


@dataclass(frozen=True)
class Message:
    """A message id and its typed arguments: stored as JSON, rendered in any language later."""

    id: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, id: str, /, **args: Any) -> None:
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "args", args)

    def text(self, lang: str) -> str:
        return render(self.id, lang, **self.args)

    def __str__(self) -> str:
        return self.text("en")

    def __hash__(self) -> int:
        return hash((self.id, repr(sorted(self.args.items(), key=lambda kv: kv[0]))))

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "args": {k: _encode(v) for k, v in self.args.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        return cls(data["id"], **{k: _decode(v) for k, v in data.get("args", {}).items()})


def _encode(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.as_json()}
    if isinstance(value, Param):
        return {"param": value.name}
    if isinstance(value, Code):
        return {"code": value.text}
    if isinstance(value, Item):
        return {"item": value.number}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value  # str, int, bool, None


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        (kind, inner), *_ = value.items()
        decoders: dict[str, Any] = {
            "message": Message.from_json,
            "param": Param,
            "code": Code,
            "item": Item,
            "decimal": Decimal,
            "date": date.fromisoformat,
        }
        if kind in decoders:
            return decoders[kind](inner)
    return value


@cache
def catalogue(lang: str, domain: str = DOMAIN) -> dict[str, str]:
    """The translated messages of ``lang``, id -> text (fuzzy and empty entries left out); ``domain`` "glosses":
    identifier -> its name in prose."""
    from babel.messages.pofile import read_po

    path = resources.files("inclusive_check").joinpath(f"locale/{lang}/LC_MESSAGES/{domain}.po")
    with path.open("rb") as f:
        cat = read_po(f, locale=lang, domain=domain)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def has(msg_id: str, lang: str = "en") -> bool:
    return msg_id in catalogue(lang if lang in LANGS else "en")


def render(msg_id: str, lang: str, /, **args: Any) -> str:
    """The text of ``msg_id`` in ``lang`` with its arguments formatted for that language. An id the language
    lacks falls back to English, then to the id itself (the catalogue tests keep both complete)."""
    lang = lang if lang in LANGS else "en"
    template = catalogue(lang).get(msg_id) or catalogue("en").get(msg_id) or msg_id
    return _Formatter(lang).vformat(template, (), {k: v for k, v in args.items()})


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        return format_value(value, self.lang) if not format_spec else format(value, format_spec)


def format_value(value: Any, lang: str) -> str:
    """One argument as the language shows it (see the module's docstring)."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, Param):
        return gloss(value.name, lang)
    if isinstance(value, Code):
        return value.text
    if isinstance(value, Item):
        return cite(value.number, lang)
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()  # as JSON writes them
    if isinstance(value, int | Decimal):
        return number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return render("list.separator", lang).join(format_value(v, lang) for v in value)
    return str(value)


def number(value: int | Decimal) -> str:
    """A number as written, its integer part grouped by thousands: 1234567.5 -> 1,234,567.5."""
    if isinstance(value, Decimal) and not value.is_finite():
        return str(value)
    text = str(value)
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("+-")
    whole, dot, rest = text.partition(".")
    if not whole.isdigit():  # an exponent form (1E+3): as written
        return sign + text
    return f"{sign}{int(whole):,}{dot}{rest}"


def gloss(name: str, lang: str) -> str:
    """A parameter or field identifier in prose: ``中介渠道范围（intermediary_channels）`` when the catalogue glosses
    it in ``lang``, the bare identifier when not."""
    text = catalogue(lang if lang in LANGS else "en", "glosses").get(name)
    if not text:
        return name
    return render("i18n.glossed", lang, gloss=text, name=Code(name))


def chinese_numeral(n: int) -> str:
    """1..99 as Chinese numerals, as the guidance numbers its items: 十八, 二十."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens] + "十")
    return head + (_NUMERALS[ones] if ones else "")


def cite(item: int, lang: str) -> str:
    """A guidance item as cited in ``lang``: ``item 18`` and ``第（十八）项`` (the guidance numbers its items
    （一）…（二十）; docs/regulatory-basis.md, "Citations")."""
    return render("cite.item", lang, n=Code(str(item)), numeral=Code(chinese_numeral(item)))
