"""Market monitoring commands (registered by cli.py): ``market`` (with ``--public`` and ``--targets``),
``reference import|history`` and ``targets import|history``. Wiring only; market*.py compute, reports/market*.py
render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .cli_common import (
    EXIT_INVALID,
    DomainError,
    _as_printed,
    _check_period,
    _db_option,
    _emit_json,
    _engine,
    _exit,
    _load_ruleset,
    _outputs_of,
    _print_problems,
    _reader,
    _ruleset_option,
    current_lang,
)
from .i18n import Code, Message, render
from .safetext import clean as _clean

MARKET_FORMATS = ("text", "json", "csv", "xlsx", "html")
_market_outputs = _outputs_of(MARKET_FORMATS)


@click.command()
@_db_option
@click.option(
    "--period",
    callback=_check_period,
    help="Only this period, as `run --period`: a year (2025: its annual and its quarterly submissions) or a "
    "quarter (2025-Q4).",
)
@click.option(
    "--by",
    type=click.Choice(["region", "prefecture", "line", "category", "ownership", "insurer"]),
    default="region",
    show_default=True,
    help="region: provinces (prefectures added in) and the separately listed cities (flagged, also inside their "
    "province); prefecture: every prefecture reported; line: the inclusive products' lines; category: item 9's "
    "institution groups (ruleset); ownership: state-owned or not; insurer: each insurer.",
)
@click.option("--insurer", help="Only this insurer's rows and peer positions (its trend with --by insurer).")
@click.option("--targets", "with_targets", is_flag=True, help="Also show each stored target's value and gap.")
@click.option(
    "--public",
    is_flag=True,
    help="The public view: aggregates naming no insurer, small or dominated cells withheld (ruleset "
    "market.disclosure) with complementary suppression; text, json, csv or html.",
)
@click.option("--format", "fmt", type=click.Choice(MARKET_FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    callback=_market_outputs,
    metavar="FORMAT=PATH",
    help="Also write FORMAT to PATH (repeatable), exactly as --format FORMAT prints it; xlsx is written this way only.",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@_ruleset_option
@click.pass_context
def market(
    ctx: click.Context,
    period: str | None,
    by: str,
    insurer: str | None,
    with_targets: bool,
    public: bool,
    fmt: str,
    outputs: list[tuple[str, str]],
    lang: str,
    ruleset_path: str | None,
) -> None:
    """Item 18's market picture over the stored submissions: figures and scores per region, prefecture, line,
    institution group, ownership or insurer and per period (annual and quarterly apart), the market's trend,
    year-on-year panels, the region x line cross-tab, depth and density beside the whole market's, and each
    insurer's percentile among its period's peers. Scores are each submission's from the latest run that scored
    it; a region's or a line's weigh by the ruleset's market.row_weight."""
    from .market import MarketError
    from .market import market as market_of
    from .reports import market as views

    ruleset = _load_ruleset(ruleset_path)
    if fmt == "xlsx" and "xlsx" not in {f for f, _ in outputs}:
        raise DomainError(Message("cli.xlsx_to_file"))
    if public and (insurer or with_targets or by != "region" or "xlsx" in {fmt, *(f for f, _ in outputs)}):
        raise DomainError(Message("cli.public_options"))
    reader = _reader(ctx)
    if period and "-Q" in period:
        _note_left_out(reader, period, insurer, public)
    with reader.connect() as conn:
        try:
            if public:
                from .market_public import public_market

                result: Any = public_market(conn, ruleset, period)
            else:
                result = market_of(conn, ruleset, by, period, insurer, with_targets)
        except MarketError as exc:
            raise DomainError(str(exc)) from None

    def render(f: str) -> str:
        from .contract.outputs import dump_json

        if public:
            from .reports import market_public as pviews

            return {
                "json": lambda: dump_json(result),
                "text": lambda: pviews.public_text(result, lang),
                "csv": lambda: pviews.public_csv(result),
                "html": lambda: pviews.public_html(result, lang),
            }[f]()
        return {
            "json": lambda: dump_json(result),
            "text": lambda: views.market_text(result, lang),
            "csv": lambda: views.market_csv(result),
            "html": lambda: views.market_html(result, lang),
        }[f]()

    def write(f: str, path: str) -> None:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if f == "xlsx":
                target.write_bytes(views.market_xlsx(result))
            else:
                target.write_text(_as_printed(render(f)), encoding="utf-8")
        except OSError as exc:
            why = Code(exc.strerror or str(exc))
            raise DomainError(Message("cli.cannot_write", where=Code(path), why=why)) from None

    for f, path in outputs:
        write(f, path)
    if fmt != "xlsx":
        click.echo(render(fmt).rstrip("\n"))


def _note_left_out(engine: Any, period: str, insurer: str | None, public: bool) -> None:
    """As `run --period`: a quarter leaves out the annual documents that reach beyond it; say so on stderr (how
    many only, in the public view)."""
    from .store.queries import straddling

    left_out = straddling(engine, period, insurer)
    if left_out:
        named = "" if public else ": " + _clean(", ".join(left_out[:10]) + (" ..." if len(left_out) > 10 else ""))
        year = Code(period[:4])
        note = Message("cli.market_leaves_out", period=Code(period), n=len(left_out), named=Code(named), year=year)
        click.echo(note.text(current_lang()), err=True)


# --- reference figures and targets --------------------------------------------------------------------------


def _import(ctx: click.Context, kind: str, path: str, fmt: str) -> None:
    from .contract.reference import ReferenceFileError, load_file
    from .reports import views
    from .store.reference import import_entries

    try:
        entries = load_file(Path(path), kind)
    except ReferenceFileError as exc:
        lang = current_lang()
        _print_problems(views.validation([], exc.problems, lang), fmt, lang=lang)
        _exit(EXIT_INVALID)
    counts = import_entries(_engine(ctx), kind, entries, path)
    if fmt == "json":
        _emit_json({"kind": kind, "values": len(entries), **counts})
    else:
        click.echo(render("cli.reference_imported", "en", kind=Code(kind), values=len(entries), **counts))


def _history(ctx: click.Context, kind: str, fmt: str) -> None:
    from .reports.views import table
    from .store.reference import history

    with _reader(ctx).connect() as conn:
        rows = history(conn, kind)
    records = [
        {
            "region": r.region,
            "year": int(r.year),
            "indicator": r.indicator,
            "value": str(r.value),
            "source" if kind == "reference" else "citation": r.text,
            "version": int(r.version),
            "latest": bool(r.is_latest),
            "file": r.file,
            "imported_at": r.imported_at.isoformat(timespec="seconds"),
        }
        for r in rows
    ]
    if fmt == "json":
        _emit_json(records)
    elif records:
        click.echo(table(records, list(records[0])))
    else:
        click.echo(render("cli.none_stored", current_lang(), kind=Code(kind)))


_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@click.group()
def reference() -> None:
    """Reference figures per region and year (population, GDP, the whole market's premium income), with sources."""


@reference.command("import")
@_db_option
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@_FORMAT
@click.pass_context
def reference_import(ctx: click.Context, path: str, fmt: str) -> None:
    """Validate and store reference figures (`inclusive-check schema reference`); a changed value is a new version."""
    _import(ctx, "reference", path, fmt)


@reference.command("history")
@_db_option
@_FORMAT
@click.pass_context
def reference_history(ctx: click.Context, fmt: str) -> None:
    """Every stored version of every reference figure."""
    _history(ctx, "reference", fmt)


@click.group()
def targets() -> None:
    """Targets per region, indicator and year, each citing the plan that sets it (`market --targets`)."""


@targets.command("import")
@_db_option
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@_FORMAT
@click.pass_context
def targets_import(ctx: click.Context, path: str, fmt: str) -> None:
    """Validate and store targets (`inclusive-check schema targets`); a changed target is a new version."""
    _import(ctx, "targets", path, fmt)


@targets.command("history")
@_db_option
@_FORMAT
@click.pass_context
def targets_history(ctx: click.Context, fmt: str) -> None:
    """Every stored version of every target."""
    _history(ctx, "targets", fmt)


COMMANDS = (market, reference, targets)  # registered on the group by cli.py
