"""The ``overlay`` section of an effective ruleset: which authority's supplement it carries, whom it covers, the
ruleset it extends, and which dated values each authority set (see ``overlay.py`` and docs/overlays.md).

A ruleset loaded from an overlay file is one effective ruleset (the base's rules with the overlay's values merged
in); this section is stored with it in every run's ruleset text, so that the authority behind each finding can be
read back from the run alone.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Authority(_Model):
    """A supervisory authority: an id (e.g. NFRA-NINGBO), its name in English and Chinese, and what it rests on."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]{1,39}$")
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    citation: str = Field(min_length=1)


class Scope(_Model):
    """Whom an overlay's authority supervises: insurers by code and regions by GB/T 2260 code (a region covers
    its prefectures and counties). An insurer is in scope when it is listed or reports business in a listed
    region; a run with an overlay judges only documents in scope. Both empty: every document."""

    citation: str = Field(min_length=1)
    insurers: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    note: str | None = None


class Extends(_Model):
    """The ruleset an overlay extends, as it was when the overlay was loaded."""

    id: str
    version: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Entry(_Model):
    """One dated value an authority set: ``path`` in the ruleset (rules/ID/params/NAME, rules/ID/in_force, ...)
    from ``from``; the rule's findings on binding dates from then on are that authority's."""

    path: str
    rule_id: str
    start: date = Field(alias="from")
    authority: str


class OverlaySection(_Model):
    authorities: list[Authority] = Field(min_length=1, description="the base's authorities first, then this one's")
    scope: Scope
    extends: Extends
    entries: list[Entry] = Field(default_factory=list)
    note: str | None = None
