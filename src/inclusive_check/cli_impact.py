"""Impact analysis: `whatif`, `ruleset diff` and the reproduction behind `run --reproduce`."""

from __future__ import annotations

from typing import Any, NoReturn

import click

from .cli_common import (
    EXIT_FINDINGS,
    EXIT_OK,
    FORMATS,
    DomainError,
    RuleBug,
    _check_period,
    _db_option,
    _emit_json,
    _engine,
    _exit,
    _load_ruleset,
    _outputs_of,
    _reader,
    _remember_partial,
    _write_outputs,
)
from .cli_types import DAY, RUN_ID, run_id_of
from .gcpause import paused_gc
from .i18n import Code, Message

# --- impact analysis: whatif, ruleset diff, run --reproduce ------------------------------------------------

WHATIF_FORMATS = ("text", "json", "csv", "html")


_whatif_outputs = _outputs_of(WHATIF_FORMATS)


@click.command()
@_db_option
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="RULE.NAME=VALUE",
    help="A changed policy value (repeatable): a rule's parameter (IC10-KPI-WEIGHT.min_weight=0.06), strength "
    "(RULE.strength=encouraged), own severity (RULE.severity.fail=warning), in-force date (RULE.in_force=2026-01-01) "
    "or deactivation (RULE.deactivated=REASON), or the severity table (severity.fail.principle=warning).",
)
@click.option(
    "--from",
    "effective_from",
    type=DAY,
    default=None,
    help="The date the --set values apply from (default: the earliest binding date of the run's documents, "
    "so that they apply to all of them).",
)
@click.option(
    "--ruleset",
    "ruleset_path",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Replay this ruleset or overlay (e.g. a new version) instead of the run's own; --set applies on top.",
)
@click.option(
    "--allow-partial-ruleset",
    is_flag=True,
    expose_value=False,
    callback=_remember_partial,
    help="Load a --ruleset that leaves out mandatory rules of the guidance.",
)
@click.option(
    "--run",
    "run_id",
    type=RUN_ID,
    help="The run whose documents are evaluated (default: the latest `run`, not a portal upload's).",
)
@click.option(
    "--period", callback=_check_period, help="Only the run's documents whose period lies within this year or quarter."
)
@click.option("--format", "fmt", type=click.Choice(WHATIF_FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="FORMAT=PATH",
    callback=_whatif_outputs,
    help=f"Also write FORMAT ({', '.join(WHATIF_FORMATS)}) to PATH; repeatable.",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.pass_context
@paused_gc()
def whatif(
    ctx: click.Context,
    settings: tuple[str, ...],
    effective_from: Any,
    ruleset_path: str | None,
    run_id: int | None,
    period: str | None,
    fmt: str,
    outputs: list[tuple[str, str]],
    lang: str,
) -> None:
    """What a changed policy would do to the stored documents of a run: findings that newly fail, newly pass or
    change, score changes, and one market sentence per rule. Nothing is stored (the evaluation is rolled back).

    Exit 0 whatever flips; 2 for an unknown rule or parameter (the closest names are given) or a value the ruleset
    refuses; 3 for a --ruleset file that is not valid."""
    from .engine import RuleCrash
    from .impact import what_if
    from .impact_runs import ImpactError, base_run
    from .impact_settings import apply_settings, parse_setting
    from .reports.impact import whatif_csv, whatif_html, whatif_text

    if not settings and ruleset_path is None:
        raise DomainError(Message("cli.whatif_no_changes"))
    engine = _engine(ctx)
    try:
        base = base_run(engine, run_id)
        target = _load_ruleset(ruleset_path) if ruleset_path is not None else base.ruleset
        start = effective_from.date() if effective_from is not None else (base.first_binding or base.as_of)
        if settings:
            target = apply_settings(target, [parse_setting(s) for s in settings], start)
        result = what_if(engine, base, target, period, start if settings else None)
    except ImpactError as exc:
        raise DomainError(str(exc)) from None
    except RuleCrash as exc:
        raise RuleBug(str(exc)) from None

    def render(f: str) -> str:
        from .contract.outputs import dump_json

        if f == "json":
            return dump_json(result)
        return {
            "text": lambda: whatif_text(result, lang),
            "csv": lambda: whatif_csv(result),
            "html": lambda: whatif_html(result, "both"),
        }[f]()

    _write_outputs(outputs, render)
    if fmt == "json":
        _emit_json(result)
    else:
        click.echo(render(fmt).rstrip("\n"))


@click.group("ruleset")
def ruleset_group() -> None:
    """Rulesets as data: compare two versions."""


@ruleset_group.command("diff")
@_db_option
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option(
    "--allow-partial-ruleset",
    is_flag=True,
    expose_value=False,
    callback=_remember_partial,
    help="Load rulesets that leave out mandatory rules of the guidance.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def ruleset_diff(ctx: click.Context, first: str, second: str, fmt: str) -> None:
    """What ruleset B states differently from A in every section: parameters (dated values), strengths,
    severities, in-force dates, deactivations, scoring, market and overlay, with citations. A and B are ruleset
    files, `packaged` or `run:ID` (the ruleset stored with a run). Like diff: exit 0 equal, 1 differ, 2/3 bad input."""
    from .impact_diff import diff_rulesets
    from .reports.impact import ruleset_diff_text

    diff = diff_rulesets(_named_ruleset(ctx, first), _named_ruleset(ctx, second))
    _emit_json(diff) if fmt == "json" else click.echo(ruleset_diff_text(diff))
    _exit(EXIT_FINDINGS if diff.changes else EXIT_OK)


def _named_ruleset(ctx: click.Context, name: str) -> Any:
    if name == "packaged":
        return _load_ruleset(None)
    if name.startswith("run:"):
        from .impact_runs import ImpactError, base_run

        try:
            return base_run(_reader(ctx), run_id_of(name[4:])).ruleset
        except ValueError as exc:
            raise DomainError(Message("cli.bad_run_ref", name=Code(name), detail=Code(str(exc)))) from None
        except ImpactError as exc:
            raise DomainError(str(exc)) from None
    return _load_ruleset(name)


def _reproduce(ctx: click.Context, run_id: int, fmt: str, lang: str, conflicting: list[str]) -> NoReturn:
    from .engine import RuleCrash
    from .impact_runs import ImpactError, base_run
    from .reports.impact import reproduction_text
    from .reproduce import reproduce

    if conflicting:
        raise DomainError(Message("cli.reproduce_conflict", options=[Code(c) for c in conflicting]))
    if fmt not in FORMATS:
        raise DomainError(Message("cli.reproduce_format", fmt=Code(fmt)))
    engine = _engine(ctx)
    try:
        result = reproduce(engine, base_run(engine, run_id))
    except ImpactError as exc:
        raise DomainError(str(exc)) from None
    except RuleCrash as exc:
        raise RuleBug(str(exc)) from None
    if fmt == "json":
        _emit_json(result)
    else:
        click.echo(reproduction_text(result, lang))
    _exit(EXIT_OK if result.identical else EXIT_FINDINGS)


COMMANDS = (
    whatif,
    ruleset_group,
)  # registered on the group by cli.py
