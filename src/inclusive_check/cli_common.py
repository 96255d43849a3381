"""What every command module of the command line shares: exit codes, the domain errors, the group class,
the --db option, and the options and helpers of the commands that judge and report. Imports nothing of the
command modules (cli.py and cli_*.py import it), so there is no import circle."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .cli_types import DAY
from .i18n import LANGS, Code, Message, render
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


def current_lang() -> str:
    """The ``--lang`` of the command being run (or of a group above it); English when it has none."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        lang = ctx.params.get("lang")
        if lang in LANGS:
            return str(lang)
        ctx = ctx.parent
    return "en"


class DomainError(click.ClickException):
    """An error a user can cause: printed plainly, with exit code 2 (usage). Control characters that came in with
    data are shown escaped, line by line (the message's own line breaks stay). A catalogue ``Message`` is rendered
    in the command's ``--lang``; plain text (from modules not yet on the catalogue) is shown as given."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str | Message) -> None:
        self.lang = current_lang()
        super().__init__(message.text(self.lang) if isinstance(message, Message) else message)

    def format_message(self) -> str:
        return "\n".join(_clean(line) for line in self.message.split("\n"))

    def show(self, file: Any = None) -> None:
        click.echo(render("cli.error", self.lang, message=Code(self.format_message())), err=True)


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
        super().__init__(render("cli.interrupted", current_lang()))


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
                message = Message("cli.bad_output", value=Code(repr(value)), formats=[Code(f) for f in formats])
                raise click.BadParameter(message.text(current_lang()), ctx, param)
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
            where = Code(f"--output {fmt}={path}")
            raise DomainError(Message("cli.cannot_write", where=where, why=Code(exc.strerror or str(exc)))) from None


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

    from .contract.dispensations import DispensationError
    from .dispensations import load_dispensations
    from .reports import views

    try:
        return load_dispensations(Path(path), ruleset)
    except DispensationError as exc:
        lang = current_lang()
        _print_problems(views.validation([], exc.problems, lang), fmt, lang=lang)
        _exit(EXIT_INVALID)


def _load_ruleset(path: str | None) -> Any:
    from pathlib import Path

    from .overlay import load_any  # a ruleset or an overlay over one (docs/overlays.md)
    from .ruleset import RulesetError

    allow_partial = bool(click.get_current_context().meta.get("allow_partial_ruleset"))
    try:
        ruleset = load_any(Path(path) if path else None, allow_partial=allow_partial)
    except RulesetError as exc:
        raise InvalidInput(Message("cli.invalid_ruleset", detail=Code(str(exc)))) from None  # escaped by the loader
    if ruleset.partial_warning:
        click.echo(render("cli.warning", current_lang(), message=Code(_clean(ruleset.partial_warning))), err=True)
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
        raise DomainError(Message("cli.nothing_to_check", detail=Code(str(exc)))) from None
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
    validation: Validation,
    fmt: str,
    outputs: list[tuple[str, str]] | None = None,
    base_dir: str | None = None,
    lang: str = "en",
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
        click.echo(problems_text(validation, lang), err=True)


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


def _check_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .periods import PERIOD

    if value is not None and not PERIOD.match(value):
        raise click.BadParameter(render("cli.bad_period", current_lang(), value=Code(repr(value))), ctx, param)
    return value
