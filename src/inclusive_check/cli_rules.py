"""`inclusive-check rules list|show|matrix`: the rules, their parameters and the traceability matrix."""

from __future__ import annotations

from typing import Any

import click

from .cli_common import (
    FORMATS,
    DomainError,
    _as_of,
    _emit_json,
    _load_ruleset,
    _ruleset_option,
)
from .cli_types import DAY
from .i18n import Code, Message

# --- rules -----------------------------------------------------------------------------------------


@click.group()
def rules() -> None:
    """The rules: list them, show one with its parameters and citations, or the guidance traceability matrix."""


@rules.command("list")
@_ruleset_option
@click.option(
    "--as-of",
    type=DAY,
    default=None,
    help="Show each rule's strength as the ruleset states it on this date (default: today).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
def rules_list(ruleset_path: str | None, as_of: Any, fmt: str, lang: str) -> None:
    """Every rule: ID, guidance item, strength (ruleset data, on --as-of) and what it requires."""
    from .reports.views import rules_text
    from .rule_facts import rules_json

    items = rules_json(_load_ruleset(ruleset_path), lang, _as_of(as_of))
    if fmt == "json":
        _emit_json(items)
    elif items:
        click.echo(rules_text(items, lang))


@rules.command("show")
@click.argument("rule_id")
@_ruleset_option
@click.option(
    "--as-of",
    type=DAY,
    default=None,
    help="Show the parameter values in force on this date (default: today).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the text output (json carries both titles).",
)
def rules_show(rule_id: str, ruleset_path: str | None, as_of: Any, fmt: str, lang: str) -> None:
    """One rule: title, guidance item, strength, parameters with citations and dates, and examples."""
    from . import rules as registry
    from .reports.views import rule_text
    from .rule_facts import rule_json

    ruleset = _load_ruleset(ruleset_path)
    try:
        rule = registry.get(rule_id.upper())
    except registry.UnknownRule as exc:
        typed = Code(repr(rule_id.upper()))
        if exc.closest:
            close = [Code(rule) for rule in exc.closest]
            raise DomainError(Message("cli.unknown_rule_close", rule=typed, close=close)) from None
        raise DomainError(Message("cli.unknown_rule", rule=typed)) from None
    if rule not in ruleset.rules():
        raise DomainError(
            Message("cli.rule_not_in_ruleset", rule=Code(rule.ID), ruleset=Code(f"{ruleset.id} {ruleset.version}"))
        )
    shown = rule_json(ruleset, rule, _as_of(as_of))
    if fmt == "json":
        _emit_json(shown)
    else:
        click.echo(rule_text(shown, lang))


@rules.command("matrix")
@_ruleset_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the text output (json and markdown carry both paraphrases).",
)
def rules_matrix(ruleset_path: str | None, fmt: str, lang: str) -> None:
    """Each obligation-bearing sentence of the guidance: the rules that encode it, or why none can."""
    from .reports.matrix import render_markdown, render_text
    from .rules import NOT_ENCODED
    from .traceability import load_traceability, matrix

    ruleset = _load_ruleset(ruleset_path)
    source = ruleset.data.source.model_dump(mode="json")
    data = matrix(load_traceability(), [r.ID for r in ruleset.rules()], NOT_ENCODED, source)
    if fmt == "json":
        _emit_json(data)
    else:
        click.echo(render_markdown(data) if fmt == "markdown" else render_text(data, lang))


COMMANDS = (rules,)  # registered on the group by cli.py
