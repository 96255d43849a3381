"""The command line. Commands are thin: parse options, call one function, render, choose the exit code.

Heavy imports (SQLAlchemy, pydantic, jsonschema) happen inside the commands that need them, so
that ``inclusive-check --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__, cli_findings
from .cli_common import (  # exit codes, errors, shared options and helpers (no import circle)
    EXIT_ENVIRONMENT,
    EXIT_INVALID,
    EXIT_OK,
    FORMATS,
    DomainError,
    RuleBug,
    _as_of,
    _as_of_option,
    _check_period,
    _Commands,
    _db_option,
    _emit_json,
    _engine,
    _environment_problem,
    _exit,
    _expiry_option,
    _finish,
    _load_dispensations,
    _load_ruleset,
    _print_problems,
    _reader,
    _refuse_missing_database,
    _report_options,
    _ruleset_option,
)
from .cli_db import COMMANDS as DB_COMMANDS
from .cli_impact import COMMANDS as IMPACT_COMMANDS
from .cli_impact import _reproduce
from .cli_market import COMMANDS as MARKET_COMMANDS
from .cli_notify import COMMANDS as NOTIFY_COMMANDS
from .cli_portal import COMMANDS as PORTAL_COMMANDS
from .cli_rules import COMMANDS as RULES_COMMANDS
from .cli_season import SEASON_COMMANDS
from .cli_types import RUN_ID
from .gcpause import paused_gc
from .i18n import Code, Message, render
from .safetext import clean as _clean


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="inclusive-check")
@click.option(
    "--db",
    "db_url",
    envvar="INCLUSIVE_CHECK_DATABASE_URL",
    metavar="URL",
    help="Database URL (default: sqlite file ./inclusive-check.db; env INCLUSIVE_CHECK_DATABASE_URL). "
    "PostgreSQL: postgresql+psycopg://user@host/db",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Check insurer submissions and product filings against the 2024 NFRA inclusive-insurance guidance.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error; 3 invalid input;
    4 database or environment problem (unreachable, locked, full, read-only, damaged, wrong schema); 130 Ctrl-C.
    """
    ctx.obj = {"db_url": db_url}


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--max-file-mib",
    type=click.IntRange(1, 4096),
    default=64,
    show_default=True,
    help="Reject files larger than this instead of loading them.",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@paused_gc()  # the command's work: many objects, no cycles (see gcpause)
def validate(paths: tuple[str, ...], fmt: str, max_file_mib: int, lang: str) -> None:
    """Validate submission and product-filing documents (JSON or YAML files, or folders of them)."""
    from .contract.load import expand_paths, load_file
    from .reports import views

    results = [load_file(path, max_file_mib * 2**20) for path in expand_paths(paths)]
    if not results:
        raise DomainError(Message("cli.no_documents"))
    report = views.validation(results, lang=lang)
    if fmt == "json":
        _emit_json(report)
    else:
        click.echo(views.validation_text(report, lang))
    _exit(EXIT_INVALID if report.invalid else EXIT_OK)


OUTPUT_SCHEMAS = ("results", "diff", "validation", "whatif", "ruleset-diff", "reproduction", "market", "public-market")
SCHEMA_KINDS = (
    "submission",
    "product_filing",
    "dispensations",
    "insurers",
    "calendar",
    "ruleset",
    "overlay",
    "reference",
    "targets",
    *OUTPUT_SCHEMAS,
)


@cli.command()
@click.argument("kind", type=click.Choice(SCHEMA_KINDS))
def schema(kind: str) -> None:
    """Print the published JSON Schema (draft 2020-12) of a document kind, the dispensation, reference or targets
    file, a ruleset, an overlay, or an output: results (`--format json` of check, run and findings), diff, validation
    (`validate`, and invalid input to check and run), whatif, ruleset-diff (`ruleset diff`), reproduction
    (`run --reproduce`), market, public-market (`market --public`)."""
    if kind in OUTPUT_SCHEMAS:
        from .contract.outputs import schema_json

        click.echo(schema_json(kind), nl=False)
        return
    if kind in ("ruleset", "overlay"):  # an overlay: a regional supplement that extends a ruleset
        from .ruleset_schema import overlay_schema, ruleset_schema

        _emit_json(ruleset_schema() if kind == "ruleset" else overlay_schema())
        return
    from .contract.load import schema_text

    click.echo(schema_text(kind), nl=False)


@cli.group()
def dispensations() -> None:
    """Supervisor-approved dispensations for principle (原则上) rules."""


@dispensations.command("import")
@_db_option
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.pass_context
def dispensations_import(ctx: click.Context, path: str) -> None:
    """Validate and store dispensations, keeping history; later runs apply the current ones."""
    from .reports.views import dispensations_imported
    from .store.dispensations import import_dispensations

    items = _load_dispensations(path, "text")
    counts = import_dispensations(_engine(ctx), items, path)
    click.echo(dispensations_imported(len(items), counts))


# --- check -----------------------------------------------------------------------------------------


@cli.command()
@_db_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--insurer",
    "insurer_paths",
    type=click.Path(exists=True),
    multiple=True,
    help="Insurer submissions (files or folders; repeatable) as context for product filings (solvency, "
    "size): each filing uses its own insurer's, by insurer code.",
)
@click.option(
    "--max-file-mib",
    type=click.IntRange(1, 4096),
    default=64,
    show_default=True,
    help="Reject files larger than this instead of loading them.",
)
@_ruleset_option
@_as_of_option
@_report_options
@click.pass_context
@paused_gc()  # the command's work: many objects, no cycles (see gcpause)
def check(
    ctx: click.Context,
    paths: tuple[str, ...],
    insurer_paths: tuple[str, ...],
    max_file_mib: int,
    ruleset_path: str | None,
    as_of: Any,
    dispensations_path: str | None,
    expiry_warning_days: int,
    fmt: str,
    fail_on: str,
    lang: str,
    exit_zero: bool,
    show_passes: bool,
    outputs: list[tuple[str, str]],
    base_dir: str | None,
) -> None:
    """Validate, then check and score documents without touching the database; a file that is not valid is listed
    with its problems beside the findings of the others (exit 3).

    Product filings without --insurer use the insurer's latest submission stored in --db, if any.
    """
    from .check import ContextMismatch, check_documents
    from .cli_outputs import with_validation
    from .contract.load import expand_paths, load_file
    from .reports import views

    files = list(expand_paths(paths))
    if not files:
        raise DomainError(Message("cli.no_documents"))
    ruleset = _load_ruleset(ruleset_path)
    dispensations = _load_dispensations(dispensations_path, fmt, ruleset) if dispensations_path is not None else ()
    loaded = [load_file(p, max_file_mib * 2**20) for p in files]
    context = _given_contexts(insurer_paths, max_file_mib) if insurer_paths else _stored_context(ctx, loaded)
    try:
        outcome = check_documents(
            loaded, ruleset, _as_of(as_of), context, dispensations, expiry_warning_days=expiry_warning_days
        )
    except ContextMismatch as exc:
        raise DomainError(str(exc)) from None
    contexts = context if isinstance(context, list) else [context] if context else []
    if outcome.results is None:
        _print_problems(views.validation([*loaded, *contexts], lang=lang), fmt, outputs, base_dir, lang)
        _exit(EXIT_INVALID)
    results = with_validation(outcome.results, [*loaded, *contexts], lang)
    _finish(results, fmt, fail_on, lang, exit_zero, show_passes, outputs, base_dir)


def _given_contexts(insurer_paths: tuple[str, ...], max_file_mib: int) -> list[Any]:
    """The documents of every --insurer file or folder (a folder of several insurers' submissions is the
    context of a repository holding their filings)."""
    from .contract.load import expand_paths, load_file

    files = list(expand_paths(insurer_paths))
    if not files:
        raise DomainError(Message("cli.no_documents_insurer", paths=Code(" ".join(insurer_paths))))
    return [load_file(p, max_file_mib * 2**20) for p in files]


def _stored_context(ctx: click.Context, loaded: list[Any]) -> Any:
    """The latest stored submission of the filings' insurer, when a database has one."""
    import os

    from .contract.load import parse_bytes
    from .contract.models import ProductFiling
    from .store.queries import latest_submission_raw

    codes = {x.document.insurer_code for x in loaded if isinstance(x.document, ProductFiling)}
    has_submission = any(x.document is not None and not isinstance(x.document, ProductFiling) for x in loaded)
    if len(codes) != 1 or has_submission:
        return None
    if not (
        ctx.obj["db_url"] or os.environ.get("INCLUSIVE_CHECK_DATABASE_URL") or os.path.exists("inclusive-check.db")
    ):
        return None
    found = latest_submission_raw(_reader(ctx), codes.pop())
    return None if found is None else parse_bytes(found[1].encode("utf-8"), found[0])


@cli.command()
@_db_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--max-file-mib", type=click.IntRange(1, 4096), default=64, show_default=True)
@click.pass_context
@paused_gc()  # the command's work: many objects, no cycles (see gcpause)
def ingest(ctx: click.Context, paths: tuple[str, ...], fmt: str, max_file_mib: int) -> None:
    """Validate and store documents, one transaction per file; quarantine invalid ones with their reasons.

    Exit 0 when every file was stored (or already was), 3 when any was quarantined.
    """
    from .contract.load import expand_paths
    from .reports import views
    from .store.ingest import ingest_paths
    from .terminal import progress

    files = list(expand_paths(paths))
    if not files:
        raise DomainError(Message("cli.no_documents"))
    engine = _engine(ctx)
    with progress(len(files), "ingest", enabled=fmt == "text") as advance:
        report = ingest_paths(engine, files, max_file_mib * 2**20, on_file=advance)
    if fmt == "json":
        _emit_json(views.ingest_json(report))
    else:
        click.echo(views.ingest_text(report))
    _exit(EXIT_INVALID if report.quarantined else EXIT_OK)


@cli.command("run")
@_db_option
@click.option("--insurer", help="Only this insurer code.")
@click.option(
    "--period",
    callback=_check_period,
    help="Only documents whose period lies within this year (2025: the annual and quarterly 2025 submissions "
    "and the filings filed in 2025) or quarter (2025-Q4: its submissions and filings). Documents that only "
    "overlap it (an annual submission under a quarter) are left out, and named on stderr.",
)
@click.option(
    "--reproduce",
    "reproduce_id",
    type=RUN_ID,
    metavar="RUN",
    help="Evaluate stored run RUN again with its stored ruleset, as-of date, documents and dispensations, store "
    "nothing, and say whether every finding and score is identical (exit 0) or what differs (exit 1).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print the run id, each document's score and the summary, not the findings (text on stdout only; "
    "`findings` and `report` list them later).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Judge every document again. By default a document that an earlier run judged on the same inputs (the "
    "same revision, insurer context, ruleset, tool, and dispensations) keeps that run's findings and score.",
)
@_ruleset_option
@_as_of_option
@_report_options
@click.pass_context
@paused_gc()  # the command's work: many objects, no cycles (see gcpause)
def run_cmd(
    ctx: click.Context,
    insurer: str | None,
    period: str | None,
    reproduce_id: int | None,
    quiet: bool,
    full: bool,
    ruleset_path: str | None,
    as_of: Any,
    dispensations_path: str | None,
    expiry_warning_days: int,
    fmt: str,
    fail_on: str,
    lang: str,
    exit_zero: bool,
    show_passes: bool,
    outputs: list[tuple[str, str]],
    base_dir: str | None,
) -> None:
    """Check the latest revision of each stored document; store findings and scores under a new run.

    Dispensations: those of --dispensations FILE, else the ones stored by `dispensations import`.
    With --reproduce RUN: exit 0 when the run comes out identical, 1 when anything differs.
    """
    from .engine import NothingToCheck, OutOfScope, RuleCrash, Selection, execute_run, steps
    from .results import run_results
    from .store.dispensations import stored_dispensations
    from .store.queries import straddling
    from .terminal import progress

    if reproduce_id is not None:
        conflicts = {
            "--insurer": insurer,
            "--period": period,
            "--ruleset": ruleset_path,
            "--as-of": as_of,
            "--dispensations": dispensations_path,
            "--output": outputs or None,
            "--full": full or None,
            "--quiet": quiet or None,
        }
        _reproduce(ctx, reproduce_id, fmt, lang, [name for name, value in conflicts.items() if value is not None])
    if quiet and (fmt != "text" or outputs or show_passes):
        raise click.UsageError("--quiet prints text on stdout only: not with --format, --output or --show-passes")
    ruleset = _load_ruleset(ruleset_path)
    given = _load_dispensations(dispensations_path, fmt, ruleset) if dispensations_path is not None else None
    _refuse_missing_database(ctx)
    engine = _engine(ctx)
    dispensations = given if given is not None else stored_dispensations(engine)
    left_out = straddling(engine, period, insurer) if period else []
    if period and left_out:
        shown = [Code(_clean(key)) for key in left_out[:10]]
        more = Message("cli.and_more", n=len(left_out) - 10) if len(left_out) > 10 else ""
        note = Message(
            "cli.period_leaves_out", period=Code(period), n=len(left_out), shown=shown, more=more, year=Code(period[:4])
        )
        click.echo(note.text(lang), err=True)
    try:
        selection = Selection(insurer=insurer, period=period)
        with progress(steps(ruleset), "run") as advance:  # on a terminal only (stderr), rule by rule
            run_id = execute_run(engine, ruleset, selection, _as_of(as_of), dispensations, not full, on_step=advance)
    except RuleCrash as exc:
        raise RuleBug(str(exc)) from None
    except OutOfScope as exc:  # an overlay's run, none of whose documents is in its scope
        raise DomainError(str(exc)) from None
    except NothingToCheck:  # the run was rolled back: an empty run never becomes the default of later commands
        raise DomainError(
            Message(
                "cli.no_stored_match",
                given=Code("".join(f" {n} {v}" for n, v in (("--insurer", insurer), ("--period", period)) if v)),
            )
        ) from None
    # A market's passes are many: read them only when some output shows them (every format but text lists them,
    # on stdout and in --output files alike).
    include_passes = show_passes or any(f != "text" for f in (fmt, *(f for f, _ in outputs)))
    with engine.connect() as conn:
        results = run_results(
            conn,
            run_id,
            include_passes=include_passes,
            expiry_warning_days=expiry_warning_days,
            locate=True,
            listed=not quiet,
        )
    if fmt == "text":
        click.echo(render("cli.run_id", lang, id=Code(str(run_id))))
    _finish(results, fmt, fail_on, lang, exit_zero, show_passes, outputs, base_dir)


# --- queries ---------------------------------------------------------------------------------------


@cli.command()
@_db_option
@click.option("--insurer", help="Only this insurer code.")
@click.option("--all-revisions", is_flag=True, help="Include superseded revisions.")
@click.option("--quarantined", is_flag=True, help="List quarantined files with their reasons instead.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def submissions(ctx: click.Context, insurer: str | None, all_revisions: bool, quarantined: bool, fmt: str) -> None:
    """Stored documents (latest revision of each, unless --all-revisions)."""
    from .reports.views import quarantined_text, submissions_text
    from .store.queries import list_quarantine, list_submissions

    engine = _reader(ctx)
    rows = list_quarantine(engine) if quarantined else list_submissions(engine, insurer, all_revisions)
    if fmt == "json":
        _emit_json(rows)
    else:
        click.echo(quarantined_text(rows) if quarantined else submissions_text(rows))


@cli.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def runs(ctx: click.Context, fmt: str) -> None:
    """Stored runs: ruleset, tool version, time, documents checked, how many of them the run judged itself (the
    others it kept from an earlier run, unchanged), and failures."""
    from .reports.views import runs_text
    from .store.queries import list_runs

    rows = list_runs(_reader(ctx))
    if fmt == "json":
        _emit_json(rows)
    else:
        click.echo(runs_text(rows))


cli_findings.register(cli, _db_option)  # findings, diff


# --- reports of stored runs: report, diff -------------------------------------------------------------


@cli.command()
@_db_option
@click.option("--run", "run_id", type=RUN_ID, help="Run id (default: the latest `run`, not a portal upload's).")
@click.option("--insurer", help="Only this insurer code.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "csv", "xlsx"]),
    default="html",
    show_default=True,
    help="html: self-contained audit report; csv/xlsx: one row per finding.",
)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True, help="File to write.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh", "both"]),
    default="both",
    show_default=True,
    help="Language of the HTML report (both: switchable in the page).",
)
@_expiry_option
@click.pass_context
def report(
    ctx: click.Context,
    run_id: int | None,
    insurer: str | None,
    fmt: str,
    output: str,
    lang: str,
    expiry_warning_days: int,
) -> None:
    """Write an HTML, CSV or XLSX report of a stored run, waived findings and dispensations shown apart."""
    from pathlib import Path

    from .reports.stored import HTML_PASSES_UP_TO, ReportError, load_run, write_report
    from .reports.views import report_written

    try:  # HTML: a market's passes are counted per rule by the database, not loaded
        results, closed = load_run(
            _reader(ctx),
            run_id,
            insurer,
            expiry_warning_days,
            passes_up_to=HTML_PASSES_UP_TO if fmt == "html" else None,
        )
        market = _report_market(ctx, insurer) if fmt == "html" else None
        write_report(results, fmt, Path(output), lang, expiry_warning_days, closed, market)
    except ReportError as exc:
        raise DomainError(str(exc)) from None
    click.echo(report_written(fmt, results, output))


def _report_market(ctx: click.Context, insurer: str | None) -> Any:
    """The audit report's market section: by region over every stored period, weights and bands of the packaged
    ruleset; None when nothing is there to show."""
    from .market import MarketError, market

    with _reader(ctx).connect() as conn:
        try:
            return market(conn, _load_ruleset(None), "region", None, insurer, True)  # with any stored targets
        except MarketError:
            return None


# The command modules' commands, on the one group (they import nothing of this module: no import circle).
for _command in (
    *RULES_COMMANDS,
    *IMPACT_COMMANDS,
    *PORTAL_COMMANDS,
    *DB_COMMANDS,
    *MARKET_COMMANDS,
    *SEASON_COMMANDS,
    *NOTIFY_COMMANDS,
):
    cli.add_command(_command)


def main() -> None:
    import os

    try:
        cli(prog_name="inclusive-check")
    except Exception as exc:  # a bug, not bad input: say so plainly; the traceback is for developers
        if os.environ.get("INCLUSIVE_CHECK_DEBUG"):
            raise
        message = _environment_problem(exc)
        if message is not None:  # raised outside a command (e.g. while exiting): still the environment's fault
            click.echo(render("cli.error", "en", message=Code(message)), err=True)
            sys.exit(EXIT_ENVIRONMENT)
        detail = Code(f"{type(exc).__name__}: {_clean(str(exc))}")
        click.echo(render("cli.internal_error", "en", detail=detail), err=True)
        sys.exit(70)
