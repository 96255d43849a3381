"""GB/T 2260 administrative divisions at province and prefecture level: which six-digit codes are real, and
their names. The list ships as package data (``data/divisions.json``; its README gives source and licence)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def divisions() -> dict[str, str]:
    """code -> Chinese name, for the 31 provinces (``xx0000``) and their prefecture-level divisions (``xxxx00``)."""
    text = resources.files("inclusive_check").joinpath("data/divisions.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def province_of(code: str) -> str:
    """The province a province- or prefecture-level code lies in (``440100`` -> ``440000``)."""
    return code[:2] + "0000"


def is_province(code: str) -> bool:
    return code.endswith("0000")


def name(code: str) -> str:
    """The division's Chinese name, or the code itself when it is not in the list."""
    return divisions().get(code, code)
