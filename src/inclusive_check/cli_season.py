"""The filing season's commands: `insurers import`, `calendar import` (the register and the calendar as data, with
history) and `board` (every insurer expected for a period and its status). Registered by cli.py; the shared
helpers (database, exit codes, problem printing) are cli_common's."""

from __future__ import annotations

from typing import Any

import click

from .cli_common import (
    EXIT_INVALID,
    FORMATS,
    DomainError,
    _db_option,
    _emit_json,
    _engine,
    _exit,
    _print_problems,
    _reader,
    current_lang,
)
from .i18n import N_, Code, Message, render

# The board's statuses (store.board.STATUSES), spelled out so that --help imports no SQL.
STATUS_CHOICES = ("not_filed", "has_errors", "awaiting_signature", "signed", "late", "returned", "accepted")


def _read(path: str, kind: str, parse: Any, fmt: str) -> Any:
    """The parsed register or calendar; a file that is not valid is printed located, exit 3, nothing stored."""
    from pathlib import Path

    from .contract.season import SeasonFileError, read_season_file
    from .reports import views

    try:
        return parse(read_season_file(Path(path), kind), path)
    except SeasonFileError as exc:
        lang = current_lang()
        _print_problems(views.validation([], exc.problems, lang), fmt, lang=lang)
        click.echo(render("cli.nothing_stored", lang), err=True)
        _exit(EXIT_INVALID)


def _counted(what: str, total: int, counts: dict[str, int], fmt: str) -> None:
    """An import's counts; ``what``: the message id of what was imported."""
    if fmt == "json":
        _emit_json({"total": total, **counts})
        return
    click.echo(render("cli.imported", "en", total=total, what=Message(what), **counts))


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
    from .contract.season import parse_register
    from .store.season import import_register

    items = _read(path, "register", parse_register, fmt)
    _counted(N_("cli.what.insurers"), len(items), import_register(_engine(ctx), items, path), fmt)


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
    from .contract.season import parse_calendar
    from .store.season import import_calendar

    items = _read(path, "calendar", parse_calendar, fmt)
    _counted(N_("cli.what.periods"), len(items), import_calendar(_engine(ctx), items, path), fmt)


def _period(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .periods import PERIOD

    if not PERIOD.match(value):
        raise click.BadParameter(render("cli.not_a_period", current_lang(), value=Code(repr(value))))
    return value


@click.command()
@_db_option
@click.option("--period", required=True, callback=_period, help="The period: 2025 (annual) or 2025-Q4 (quarterly).")
@click.option("--status", "wanted", type=click.Choice(STATUS_CHOICES), help="Only insurers in this status.")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "csv")), default="text", show_default=True)
@click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Judge lateness on this date (default: today)."
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.pass_context
def board(ctx: click.Context, period: str, wanted: str | None, fmt: str, as_of: Any, lang: str) -> None:
    """Every insurer the register expects for PERIOD (by the calendar) with its filing status, revision, score,
    signed time and due date (extensions honoured), and the count per status. Late: due and not signed by the due
    date. The portal's supervisor board is the same query."""
    from datetime import date

    from .store.board import board_csv, counts, season_board

    with _reader(ctx).connect() as conn:
        rows = season_board(conn, period, as_of.date() if as_of else date.today())
    if rows is None:
        raise DomainError(Message("cli.period_not_in_calendar", period=Code(period)))
    totals = counts(rows)
    rows = [r for r in rows if wanted is None or r["status"] == wanted]
    if fmt == "json":
        _emit_json({"period": period, "counts": totals, "insurers": rows})
    elif fmt == "csv":
        click.echo(board_csv(rows), nl=False)
    else:
        click.echo(_board_text(period, rows, totals, lang))


def _board_text(period: str, rows: list[dict[str, Any]], totals: dict[str, int], lang: str) -> str:
    from .reports.views import table

    shown = [
        {
            "insurer": r["insurer"],
            "name": r["name_zh"] if lang == "zh" else r["name_en"],
            "status": r["status"] + (" (late)" if r["late"] and r["status"] != "late" else ""),
            "revision": r["sequence"] or "-",
            "score": r["compliance"] or "-",
            "signed": r["signed_at"].strftime("%Y-%m-%d %H:%M") if r["signed_at"] else "-",
            "due": r["due"].isoformat() + (f" (extension {r['extension']})" if r["extension"] else ""),
        }
        for r in rows
    ]
    head = f"board {period}: " + ", ".join(f"{status} {n}" for status, n in totals.items())
    if not shown:
        return head + "\nno insurer in this status"
    return head + "\n" + table(shown, ["insurer", "name", "status", "revision", "score", "signed", "due"])


SEASON_COMMANDS = (insurers, calendar, board)
