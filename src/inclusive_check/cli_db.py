"""`inclusive-check db upgrade|downgrade|current`: the database schema, by Alembic migrations."""

from __future__ import annotations

from typing import Any

import click

from .cli_common import (
    DomainError,
    EnvironmentProblem,
    _db_option,
)
from .cli_types import REVISION
from .i18n import Code, render

# --- store: db, ingest, run, queries ---------------------------------------------------------------


@click.group()
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
    click.echo(render("cli.db_at_url", "en", revision=Code(_current(engine)), url=Code(shown_url(engine))))


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
    click.echo(render("cli.db_at", "en", revision=Code(_current(engine))))


@db.command("current")
@_db_option
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest one this version knows."""
    from .store.db import DatabaseError, NoDatabase, head, make_engine

    try:
        engine = make_engine(ctx.obj["db_url"], read_only=True)
    except NoDatabase:
        click.echo(render("cli.db_empty", "en", head=Code(head())))
        return
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None
    click.echo(render("cli.db_current", "en", current=Code(_current(engine)), head=Code(head())))


def _current(engine: Any) -> str:
    from .store.db import DatabaseError, current

    try:
        return current(engine) or "empty (no schema)"
    except DatabaseError as exc:
        raise EnvironmentProblem(str(exc)) from None


COMMANDS = (db,)  # registered on the group by cli.py
