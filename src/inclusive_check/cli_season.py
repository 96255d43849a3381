"""The filing season's commands: `insurers import`, `calendar import` (the register and the calendar as data, with
history) and `board` (every insurer expected for a period and its status). Registered by cli.py; the shared
helpers (database, exit codes, problem printing) are cli.py's, imported when a command runs."""

from __future__ import annotations

from typing import Any

import click

FORMATS = ("text", "json")


def _db_after_command(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:  # as cli.py's --db after a command: it wins over the one before it
        ctx.find_root().obj["db_url"] = value


def _db_option(f: Any) -> Any:
    return click.option(
        "--db",
        metavar="URL",
        expose_value=False,
        callback=_db_after_command,
        help="Database URL, as the --db before the command (which it overrides).",
    )(f)


def _read(path: str, parse: Any, fmt: str) -> Any:
    """The parsed register or calendar; a file that is not valid is printed located, exit 3, nothing stored."""
    from pathlib import Path

    from .cli import EXIT_INVALID, _exit, _print_problems
    from .contract.season import SeasonFileError, read_season_file
    from .reports import views

    try:
        return parse(read_season_file(Path(path)), path)
    except SeasonFileError as exc:
        _print_problems(views.validation([], exc.problems), fmt)
        click.echo("nothing was stored", err=True)
        _exit(EXIT_INVALID)


def _counted(what: str, total: int, counts: dict[str, int], fmt: str) -> None:
    from .cli import _emit_json

    if fmt == "json":
        _emit_json({"total": total, **counts})
        return
    click.echo(
        f"{total} {what}: {counts['new']} new, {counts['changed']} changed (new version), "
        f"{counts['unchanged']} unchanged"
    )


@click.group()
def insurers() -> None:
    """The register of supervised insurers: who must file quarterly, annually or both."""


@insurers.command("import")
@_db_option
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def insurers_import(ctx: click.Context, path: str, fmt: str) -> None:
    """Validate and store the register (YAML or JSON; `inclusive-check schema insurers`), keeping history: a
    changed insurer is a new version. An invalid file stores nothing (exit 3)."""
    from .cli import _engine
    from .contract.season import parse_register
    from .store.season import import_register

    items = _read(path, parse_register, fmt)
    _counted("insurer(s)", len(items), import_register(_engine(ctx), items, path), fmt)


@click.group()
def calendar() -> None:
    """The filing calendar: periods, what is due by when, and extensions granted to one insurer."""


@calendar.command("import")
@_db_option
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def calendar_import(ctx: click.Context, path: str, fmt: str) -> None:
    """Validate and store the calendar (YAML or JSON; `inclusive-check schema calendar`), keeping history: a
    changed period is a new version. An invalid file stores nothing (exit 3)."""
    from .cli import _engine
    from .contract.season import parse_calendar
    from .store.season import import_calendar

    items = _read(path, parse_calendar, fmt)
    _counted("period(s)", len(items), import_calendar(_engine(ctx), items, path), fmt)


SEASON_COMMANDS = (insurers, calendar)
