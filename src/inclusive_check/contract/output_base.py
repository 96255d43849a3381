"""What every published output shape shares: the frozen, closed model base, a text in both languages and a
ruleset's identity (outputs.py and market_outputs.py build on them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, with_config
from typing_extensions import TypedDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)


@with_config(ConfigDict(extra="forbid"))
class LangText(TypedDict):
    """One text in English and Chinese."""

    en: str
    zh: str


class RulesetRef(_Model):
    id: str
    version: str
    sha256: str
