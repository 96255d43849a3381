"""What every HTML page of the reports shares: the template environment and text in one language or both.

Below ``html`` (the audit report) and ``market`` (its market section, and pages of their own), so that neither
imports the other's module to render (no import circle)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape


def environment() -> Environment:
    return Environment(
        loader=PackageLoader("inclusive_check.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Bilingual:
    """Renders a {en, zh} pair in the chosen language, or both (each in a span the switcher shows or hides)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def pair(self, value: dict[str, str], sep: str = " ") -> Markup:
        if self.lang != "both":
            return Markup(escape(value[self.lang]))
        return Markup(
            f'<span class="l-en" lang="en">{escape(value["en"])}</span>{sep}'
            f'<span class="l-zh" lang="zh-CN">{escape(value["zh"])}</span>'
        )
