"""The filing portal from the command line: `serve`, `users add`, and the `users` and `tokens` groups."""

from __future__ import annotations

import sys

import click

from . import cli_accounts, cli_notify
from .cli_common import (
    DomainError,
    EnvironmentProblem,
    InvalidInput,
    _db_option,
    _engine,
)
from .safetext import clean as _clean

# --- the filing portal (docs/portal.md) -------------------------------------------------------------------


def _portal_missing(exc: ImportError) -> DomainError:
    return EnvironmentProblem(
        f"the portal needs its extra ({exc.name} is missing): pip install fastapi uvicorn argon2-cffi python-multipart"
    )


@click.command()
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


@click.group()
def users() -> None:
    """Portal accounts: filers (bound to an insurer) and supervisors."""


@users.command("add")
@_db_option
@click.argument("name")
@click.option("--role", type=click.Choice(["filer", "supervisor"]), required=True)
@click.option("--insurer", metavar="CODE", help="The insurer a filer files for (filers only).")
@click.option("--email", metavar="ADDRESS", help="Where its notifications are e-mailed (none: the inbox only).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Its notifications' language (default: both).")
@click.pass_context
def users_add(
    ctx: click.Context, name: str, role: str, insurer: str | None, email: str | None, lang: str | None
) -> None:
    """Add a portal account; the password is asked for twice on a terminal, else read from stdin's first line."""
    try:
        from .portal import service
        from .portal.notify_config import valid_address
    except ImportError as exc:
        raise _portal_missing(exc) from None
    if email is not None and not valid_address(email):
        raise click.BadParameter(f"not one e-mail address (name@example.org): {email!r:.80}", param_hint="--email")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        service.create_user(_engine(ctx), name, role, insurer, password)
    except (service.Unprocessable, service.Conflict) as exc:
        raise DomainError(str(exc)) from None
    if email is not None or lang is not None:
        cli_notify.set_contact(ctx, name, email, lang)
    click.echo(f"added {role} {_clean(name)}" + (f" for insurer {_clean(insurer)}" if insurer else ""))


@click.group()
def tokens() -> None:
    """API bearer tokens for the portal's machine clients."""


cli_accounts.register(users, tokens, _db_option)  # tokens create|list|revoke, users list|disable|...
cli_notify.register_users(users)  # users set-contact (e-mail address and language of notifications)


COMMANDS = (
    serve,
    users,
    tokens,
)  # registered on the group by cli.py
