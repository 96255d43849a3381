"""The command line. Commands are thin: parse options, call one function, render, choose the exit code.

Heavy imports (SQLAlchemy, pydantic, jsonschema) happen inside the commands that need them, so
that ``inclusive-check --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__, cli_accounts, cli_findings
from .cli_types import DAY, REVISION, RUN_ID, run_id_of
from .gcpause import paused_gc
from .safetext import clean as _clean

if TYPE_CHECKING:
    from .contract.dispensations import Dispensation
    from .contract.outputs import Validation
    from .ruleset import Ruleset

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INVALID, EXIT_ENVIRONMENT = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT), as shells report it
FORMATS = ("text", "json")
# Formats of `check` and `run` (stdout's --format and --output FORMAT=PATH); the same as
# reports.RESULT_FORMATS, spelled out here so that --help imports nothing.
RESULT_FORMATS = ("text", "json", "junit", "sarif", "github")
REPORT_FORMATS = ("html", "xlsx", "csv")  # cli_outputs.REPORT_OUTPUTS: `report`'s, also written by --output


class DomainError(click.ClickException):
    """An error a user can cause: printed plainly, with exit code 2 (usage). Control characters that came in with
    data are shown escaped, line by line (the message's own line breaks stay)."""

    exit_code = EXIT_USAGE

    def format_message(self) -> str:
        return "\n".join(_clean(line) for line in self.message.split("\n"))


class InvalidInput(DomainError):
    """Input that is not valid (documents, rulesets, dispensation files): exit code 3."""

    exit_code = EXIT_INVALID


class EnvironmentProblem(DomainError):
    """The database or the machine is not usable (unreachable, locked, full, read-only, damaged, wrong schema):
    not the input's fault and not a bug. Exit code 4."""

    exit_code = EXIT_ENVIRONMENT


class Interrupted(click.ClickException):
    exit_code = EXIT_INTERRUPTED

    def __init__(self) -> None:
        super().__init__("interrupted; each file or run is one transaction: nothing half-done was stored")


def _environment_problem(exc: BaseException) -> str | None:
    """A plain message when ``exc`` is a database or machine fault (see ``store.db.fault_message``)."""
    if isinstance(exc, click.ClickException | click.exceptions.Exit | click.Abort):
        return None
    from .store.db import fault_message

    return fault_message(exc)


class _Commands(click.Group):
    """The top-level group: a database or machine fault anywhere in a command becomes a plain message, exit 4."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None
        except Exception as exc:
            message = _environment_problem(exc)
            if message is None:
                raise
            raise EnvironmentProblem(message) from None


class RuleBug(DomainError):
    """A rule crashed: a bug in the rule, reported with its ID. Exit code 70 (internal software error)."""

    exit_code = 70


def _emit_json(payload: Any) -> None:
    """Print JSON: a published output (a pydantic model, see contract/outputs.py, serialised by the one function
    that also writes it to --output files) or a plain payload."""
    if hasattr(payload, "model_dump"):
        from .contract.outputs import dump_json

        click.echo(dump_json(payload))
        return
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _exit(code: int) -> NoReturn:
    sys.exit(code)


def _db_after_command(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:  # given after the command: it wins over the one before it and the environment
        ctx.find_root().obj["db_url"] = value


def _db_option(f: Any) -> Any:
    """``--db`` accepted after the command too (`inclusive-check runs --db URL`), as before it."""
    return click.option(
        "--db",
        metavar="URL",
        expose_value=False,
        callback=_db_after_command,
        help="Database URL, as the --db before the command (which it overrides).",
    )(f)


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
@paused_gc()  # the command's work: many objects, no cycles (see gcpause)
def validate(paths: tuple[str, ...], fmt: str, max_file_mib: int) -> None:
    """Validate submission and product-filing documents (JSON or YAML files, or folders of them)."""
    from .contract.load import expand_paths, load_file
    from .reports import views

    results = [load_file(path, max_file_mib * 2**20) for path in expand_paths(paths)]
    if not results:
        raise DomainError("no .json, .yaml or .yml documents found in the given paths")
    report = views.validation(results)
    if fmt == "json":
        _emit_json(report)
    else:
        click.echo(views.validation_text(report))
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


# --- shared options and helpers ------------------------------------------------------------------


def _report_options(f: Any) -> Any:
    f = click.option(
        "--base-dir",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        help="Folder that sarif, junit and github name files relative to (default: the root of the git "
        "repository holding the working directory, else the working directory).",
    )(f)
    f = click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        expose_value=False,
        callback=_remember_color,
        help="Colour the text view: auto colours a terminal unless NO_COLOR is set (never a pipe or a file).",
    )(f)
    f = click.option("--show-passes", is_flag=True, help="List passing and not-applicable checks too (text).")(f)
    f = click.option("--exit-zero", is_flag=True, help="Always exit 0 when the input was valid (demo, dashboards).")(f)
    f = click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)(f)
    f = click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info"]),
        default="error",
        show_default=True,
        help="Exit 1 when an open finding is at or above this severity.",
    )(f)
    f = click.option(
        "--output",
        "outputs",
        multiple=True,
        metavar="FORMAT=PATH",
        callback=_parse_outputs,
        help=f"Also write FORMAT ({', '.join(RESULT_FORMATS + REPORT_FORMATS)}: the reports of `report`) to PATH; "
        "repeatable, e.g. --output sarif=out.sarif --output html=report.html.",
    )(f)
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(RESULT_FORMATS),
        default="text",
        show_default=True,
        help="What stdout shows: junit and sarif for CI tools, github for workflow annotations.",
    )(f)
    return f


def _remember_color(ctx: click.Context, param: click.Parameter, value: str) -> None:
    ctx.meta["color"] = value


def _outputs_of(formats: tuple[str, ...]) -> Any:
    """The callback of an ``--output FORMAT=PATH`` option (repeatable) whose FORMAT is one of ``formats``."""

    def parse(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str]]:
        outputs = []
        for value in values:
            fmt, sep, path = value.partition("=")
            if not sep or not path or fmt not in formats:
                raise click.BadParameter(
                    f"{value!r}: expected FORMAT=PATH with FORMAT one of {', '.join(formats)}", ctx, param
                )
            outputs.append((fmt, path))
        return outputs

    return parse


_parse_outputs = _outputs_of(RESULT_FORMATS + REPORT_FORMATS)


def _write_outputs(outputs: list[tuple[str, str]], render: Any) -> None:
    """Write ``render(fmt)`` to each --output PATH (parent folders are created), exactly as stdout shows it."""
    from pathlib import Path

    for fmt, path in outputs:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_as_printed(render(fmt)), encoding="utf-8")
        except OSError as exc:
            raise DomainError(f"cannot write --output {fmt}={path}: {exc.strerror or exc}") from None


def _as_printed(text: str) -> str:
    """An output as stdout and --output files both carry it: ending in exactly one newline."""
    return text.rstrip("\n") + "\n"


def _ruleset_option(f: Any) -> Any:
    f = click.option(
        "--allow-partial-ruleset",
        is_flag=True,
        expose_value=False,
        callback=_remember_partial,
        help="Load a ruleset that leaves out mandatory rules of the guidance (every output then "
        "carries a PARTIAL RULESET warning).",
    )(f)
    return click.option(
        "--ruleset",
        "ruleset_path",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help="Ruleset YAML, or an overlay that extends one (docs/overlays.md); default: the packaged ruleset.",
    )(f)


def _remember_partial(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta["allow_partial_ruleset"] = value


def _expiry_option(f: Any) -> Any:
    return click.option(
        "--expiry-warning-days",
        type=click.IntRange(min=0),
        default=90,
        show_default=True,
        help="Mark dispensations that expire within this many days of the run's as-of date.",
    )(f)


def _as_of_option(f: Any) -> Any:
    f = _expiry_option(f)
    f = click.option(
        "--dispensations",
        "dispensations_path",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help="Dispensations (YAML/JSON) for principle rules; see `schema dispensations`.",
    )(f)
    return click.option(
        "--as-of",
        type=DAY,
        default=None,
        help="Judge dispensation expiry on this date (default: today).",
    )(f)


def _load_dispensations(path: str, fmt: str, ruleset: Ruleset | None = None) -> tuple[Dispensation, ...]:
    """The dispensations of the file at ``path``, checked against ``ruleset``; a file that is not valid is
    printed in ``fmt``, exit 3."""
    from pathlib import Path

    from .contract.dispensations import DispensationError, load_dispensations
    from .reports import views

    try:
        return load_dispensations(Path(path), ruleset)
    except DispensationError as exc:
        _print_problems(views.validation([], exc.problems), fmt)
        _exit(EXIT_INVALID)


def _load_ruleset(path: str | None) -> Any:
    from pathlib import Path

    from .overlay import load_any  # a ruleset or an overlay over one (docs/overlays.md)
    from .ruleset import RulesetError

    allow_partial = bool(click.get_current_context().meta.get("allow_partial_ruleset"))
    try:
        ruleset = load_any(Path(path) if path else None, allow_partial=allow_partial)
    except RulesetError as exc:
        raise InvalidInput(f"invalid ruleset: {exc}") from None  # escaped by the loader
    if ruleset.partial_warning:
        click.echo(f"warning: {_clean(ruleset.partial_warning)}", err=True)
    return ruleset


def _as_of(value: Any) -> Any:
    from datetime import date

    return value.date() if value is not None else date.today()


def _engine(ctx: click.Context) -> Any:
    """The database for a writing command: created or migrated when needed."""
    from .store.db import DatabaseError, open_store

    try:
        return open_store(ctx.obj["db_url"])
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None


def _refuse_missing_database(ctx: click.Context) -> None:
    """A command that only reads what is stored (run) says so, exit 2, rather than create an empty SQLite file."""
    from .store.db import DatabaseError, NoDatabase, make_engine

    try:
        make_engine(ctx.obj["db_url"], read_only=True).dispose()
    except NoDatabase as exc:
        raise DomainError(f"nothing to check: {exc}; no run was stored") from None
    except DatabaseError:
        return  # a URL that is not usable: the writer's engine says why (exit 4)


def _reader(ctx: click.Context) -> Any:
    """The database for a reading command: never created, migrated or written (a read-only file serves)."""
    from .store.db import DatabaseError, open_reader

    try:
        return open_reader(ctx.obj["db_url"])
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None


def _print_problems(
    validation: Validation, fmt: str, outputs: list[tuple[str, str]] | None = None, base_dir: str | None = None
) -> None:
    """Input that was not valid (a ``Validation``): nothing was checked."""
    from pathlib import Path

    from .reports import render_problems
    from .reports.views import problems_text

    def render(f: str) -> str:
        return render_problems(f, validation, __version__, Path(base_dir) if base_dir else None)

    _write_outputs([o for o in outputs or [] if o[0] not in REPORT_FORMATS], render)  # reports need findings
    if fmt != "text":  # the same function renders stdout and every --output
        click.echo(_as_printed(render(fmt)), nl=False)
    if fmt != "json":
        click.echo(problems_text(validation), err=True)


def _colour() -> bool:
    """Whether stdout gets colours (``--color``, the terminal, ``NO_COLOR``; see reports.text.colour_wanted)."""
    from .reports.text import colour_wanted

    return colour_wanted(click.get_current_context().meta.get("color", "auto"), sys.stdout)


def _finish(
    results: Any,
    fmt: str,
    fail_on: str,
    lang: str,
    exit_zero: bool,
    show_passes: bool,
    outputs: list[tuple[str, str]] | None = None,
    base_dir: str | None = None,
) -> None:
    """Render to stdout and to each --output with one function (a format's content does not depend on where it
    goes), then exit by --fail-on.

    The results carry each finding's line and column (``run_results(..., locate=True)``): every format that
    points at lines reads them there.
    """
    from pathlib import Path

    from .cli_outputs import split, write_reports
    from .engine import SEVERITY_RANK
    from .reports import render_results
    from .results import worst_severity

    outputs, reports = split(outputs or [])
    root = Path(base_dir) if base_dir else None

    def render(f: str) -> str:
        return render_results(f, results, lang, show_passes, fail_on=fail_on, base_dir=root)

    _write_outputs(outputs, render)
    write_reports(results, reports)
    if fmt == "text" and _colour():
        from .reports.partial import add_problems
        from .reports.text import print_styled, render_styled

        print_styled(render_styled(results, lang, show_passes), sys.stdout)
        if results.validation is not None:
            click.echo(add_problems("text", "", results, __version__, Path.cwd(), lang).lstrip("\n"))
    else:
        click.echo(_as_printed(render(fmt)), nl=False)
    if results.validation is not None and results.validation.invalid:
        _exit(EXIT_INVALID)  # every valid file was judged above; the others are listed with their problems
    worst = worst_severity(results)
    failed = worst is not None and SEVERITY_RANK[worst] >= SEVERITY_RANK[fail_on]
    _exit(EXIT_FINDINGS if failed and not exit_zero else EXIT_OK)


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
        raise DomainError("no .json, .yaml or .yml documents found in the given paths")
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
        _print_problems(views.validation([*loaded, *contexts]), fmt, outputs, base_dir)
        _exit(EXIT_INVALID)
    results = with_validation(outcome.results, [*loaded, *contexts])
    _finish(results, fmt, fail_on, lang, exit_zero, show_passes, outputs, base_dir)


def _given_contexts(insurer_paths: tuple[str, ...], max_file_mib: int) -> list[Any]:
    """The documents of every --insurer file or folder (a folder of several insurers' submissions is the
    context of a repository holding their filings)."""
    from .contract.load import expand_paths, load_file

    files = list(expand_paths(insurer_paths))
    if not files:
        raise DomainError(f"--insurer {' '.join(insurer_paths)}: no .json, .yaml or .yml documents found")
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


# --- store: db, ingest, run, queries ---------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema migrations (Alembic, shipped with the package)."""


@db.command("upgrade")
@_db_option
@click.argument("revision", default="head", type=REVISION)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default head)."""
    from .store.db import DatabaseError, make_engine, shown_url, upgrade

    try:
        engine = make_engine(ctx.obj["db_url"])
        upgrade(engine, revision)
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None
    except ValueError as exc:  # store.db.BadRevision: no target from where the database is
        raise DomainError(str(exc)) from None
    click.echo(f"database at {_current(engine)} ({shown_url(engine)})")


@db.command("downgrade")
@_db_option
@click.argument("revision", type=REVISION)
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database down to REVISION (e.g. base, or -1)."""
    from .store.db import DatabaseError, downgrade, make_engine

    try:
        engine = make_engine(ctx.obj["db_url"])
        downgrade(engine, revision)
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None
    except ValueError as exc:  # store.db.BadRevision: no target from where the database is
        raise DomainError(str(exc)) from None
    click.echo(f"database at {_current(engine)}")


@db.command("current")
@_db_option
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest one this version knows."""
    from .store.db import DatabaseError, NoDatabase, head, make_engine

    try:
        engine = make_engine(ctx.obj["db_url"], read_only=True)
    except NoDatabase:
        click.echo(f"current: empty (no schema) - no database file yet\nhead:    {head()}")
        return
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None
    click.echo(f"current: {_current(engine)}\nhead:    {head()}")


def _current(engine: Any) -> str:
    from .store.db import DatabaseError, current

    try:
        return current(engine) or "empty (no schema)"
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None


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
        raise DomainError("no .json, .yaml or .yml documents found in the given paths")
    engine = _engine(ctx)
    with progress(len(files), "ingest", enabled=fmt == "text") as advance:
        report = ingest_paths(engine, files, max_file_mib * 2**20, on_file=advance)
    if fmt == "json":
        _emit_json(views.ingest_json(report))
    else:
        click.echo(views.ingest_text(report))
    _exit(EXIT_INVALID if report.quarantined else EXIT_OK)


def _check_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .periods import PERIOD

    if value is not None and not PERIOD.match(value):
        raise click.BadParameter(f"{value!r}: expected a year (2025) or a quarter (2025-Q4)", ctx, param)
    return value


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
        shown = ", ".join(left_out[:10]) + (f" and {len(left_out) - 10} more" if len(left_out) > 10 else "")
        click.echo(
            f"note: --period {period} leaves out {len(left_out)} document(s) whose period reaches beyond it: "
            f"{_clean(shown)}; a run takes a document whose whole period lies within --period "
            f"(--period {period[:4]} takes these)",
            err=True,
        )
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
            "nothing to check: no stored document matches"
            + "".join(f" {name} {value}" for name, value in (("--insurer", insurer), ("--period", period)) if value)
            + "; no run was stored. `inclusive-check submissions` lists what is stored; `ingest` stores more"
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
        click.echo(f"run {run_id}")
    _finish(results, fmt, fail_on, lang, exit_zero, show_passes, outputs, base_dir)


# --- rules -----------------------------------------------------------------------------------------


@cli.group()
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
    from .reports.views import rules_json, rules_text

    items = rules_json(_load_ruleset(ruleset_path), lang, _as_of(as_of))
    if fmt == "json":
        _emit_json(items)
    elif items:
        click.echo(rules_text(items))


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
def rules_show(rule_id: str, ruleset_path: str | None, as_of: Any, fmt: str) -> None:
    """One rule: title, guidance item, strength, parameters with citations and dates, and examples."""
    from . import rules as registry
    from .reports.views import rule_json, rule_text

    ruleset = _load_ruleset(ruleset_path)
    try:
        rule = registry.get(rule_id.upper())
    except registry.UnknownRule as exc:
        raise DomainError(str(exc)) from None
    if rule not in ruleset.rules():
        raise DomainError(f"rule {rule.ID} is not in the ruleset {ruleset.id} {ruleset.version}")
    shown = rule_json(ruleset, rule, _as_of(as_of))
    if fmt == "json":
        _emit_json(shown)
    else:
        click.echo(rule_text(shown))


@rules.command("matrix")
@_ruleset_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the paraphrases in text output (json and markdown carry both).",
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


# --- impact analysis: whatif, ruleset diff, run --reproduce ------------------------------------------------

WHATIF_FORMATS = ("text", "json", "csv", "html")


_whatif_outputs = _outputs_of(WHATIF_FORMATS)


@cli.command()
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
    from .impact import ImpactError, apply_settings, base_run, parse_setting, what_if
    from .reports.impact import whatif_csv, whatif_html, whatif_text

    if not settings and ruleset_path is None:
        raise DomainError("give the changes: --set RULE.NAME=VALUE (repeatable) and/or --ruleset FILE")
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


@cli.group("ruleset")
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
        from .impact import ImpactError, base_run

        try:
            return base_run(_reader(ctx), run_id_of(name[4:])).ruleset
        except ValueError as exc:
            raise DomainError(f"{name}: expected run:ID with a run id, e.g. run:3 ({exc})") from None
        except ImpactError as exc:
            raise DomainError(str(exc)) from None
    return _load_ruleset(name)


def _reproduce(ctx: click.Context, run_id: int, fmt: str, lang: str, conflicting: list[str]) -> NoReturn:
    from .engine import RuleCrash
    from .impact import ImpactError, base_run
    from .reports.impact import reproduction_text
    from .reproduce import reproduce

    if conflicting:
        raise DomainError(f"--reproduce takes everything from the stored run; leave out {', '.join(conflicting)}")
    if fmt not in FORMATS:
        raise DomainError(f"--reproduce prints text or json, not {fmt}")
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


# --- the filing portal (docs/portal.md) -------------------------------------------------------------------


def _portal_missing(exc: ImportError) -> DomainError:
    return EnvironmentProblem(
        f"the portal needs its extra ({exc.name} is missing): pip install fastapi uvicorn argon2-cffi python-multipart"
    )


@cli.command()
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Portal configuration (TOML: session hours and limits; see docs/portal.md).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, config_path: str | None) -> None:
    """Run the filing portal: insurers upload, answer findings and sign; supervisors review (docs/portal.md)."""
    import os
    from pathlib import Path

    try:
        import uvicorn

        from .portal.app import CONFIG_ENV
        from .portal.config import ConfigError, load_config
    except ImportError as exc:
        raise _portal_missing(exc) from None
    try:
        load_config(Path(config_path) if config_path else None)
    except ConfigError as exc:
        raise InvalidInput(f"invalid portal configuration: {exc}") from None
    engine = _engine(ctx)  # migrate once here, not in every worker
    engine.dispose()
    if ctx.obj["db_url"]:
        os.environ["INCLUSIVE_CHECK_DATABASE_URL"] = ctx.obj["db_url"]
    if config_path:
        os.environ[CONFIG_ENV] = str(Path(config_path).resolve())
    uvicorn.run(
        "inclusive_check.portal.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
    )


@cli.group()
def users() -> None:
    """Portal accounts: filers (bound to an insurer) and supervisors."""


@users.command("add")
@_db_option
@click.argument("name")
@click.option("--role", type=click.Choice(["filer", "supervisor"]), required=True)
@click.option("--insurer", metavar="CODE", help="The insurer a filer files for (filers only).")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, insurer: str | None) -> None:
    """Add a portal account; the password is asked for twice on a terminal, else read from stdin's first line."""
    try:
        from .portal import service
    except ImportError as exc:
        raise _portal_missing(exc) from None
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        service.create_user(_engine(ctx), name, role, insurer, password)
    except (service.Unprocessable, service.Conflict) as exc:
        raise DomainError(str(exc)) from None
    click.echo(f"added {role} {_clean(name)}" + (f" for insurer {_clean(insurer)}" if insurer else ""))


@cli.group()
def tokens() -> None:
    """API bearer tokens for the portal's machine clients."""


cli_accounts.register(users, tokens, _db_option)  # tokens create|list|revoke, users list|disable|...


from . import cli_market  # noqa: E402, F401  (market, reference and targets commands)
from .cli_season import SEASON_COMMANDS  # noqa: E402  (the filing season's commands)

for _command in SEASON_COMMANDS:
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
            click.echo(f"Error: {message}", err=True)
            sys.exit(EXIT_ENVIRONMENT)
        click.echo(
            f"inclusive-check: internal error: {type(exc).__name__}: {_clean(str(exc))}\n"
            "This is a bug; rerun with INCLUSIVE_CHECK_DEBUG=1 for details and report it.",
            err=True,
        )
        sys.exit(70)
