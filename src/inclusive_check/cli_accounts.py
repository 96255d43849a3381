"""`inclusive-check tokens create|list|revoke` and `inclusive-check users list|disable|enable|set-password`: the
portal's credentials over their lifecycle (portal/credentials.py). Registered on cli.py's `users` and `tokens`
groups by ``register``; this module imports nothing of cli.py (no import circle)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from .bounds import MAX_ID
from .safetext import clean

_EXIT_USAGE, _EXIT_INVALID, _EXIT_ENVIRONMENT = 2, 3, 4


class _Refused(click.ClickException):
    exit_code = _EXIT_USAGE

    def format_message(self) -> str:
        return clean(self.message)


class _InvalidConfig(click.ClickException):
    exit_code = _EXIT_INVALID


class _PortalMissing(click.ClickException):
    exit_code = _EXIT_ENVIRONMENT


def _credentials() -> Any:
    try:
        from .portal import credentials
    except ImportError as exc:
        raise _PortalMissing(
            f"the portal needs its extra ({exc.name} is missing): pip install 'inclusive-check[portal]'"
        ) from None
    return credentials


def _engine(ctx: click.Context) -> Any:
    from .store.db import open_store

    return open_store(ctx.obj["db_url"])  # a DatabaseError is the environment's: the top group says so, exit 4


def _config(path: str | None) -> Any:
    from .portal.config import ConfigError, load_config

    try:
        return load_config(Path(path) if path else None)
    except ConfigError as exc:
        raise _InvalidConfig(clean(f"invalid portal configuration: {exc}")) from None


def _refusing(call: Callable[[], Any]) -> Any:
    from .portal.service import Conflict, NotFound, Unprocessable

    try:
        return call()
    except (NotFound, Unprocessable, Conflict) as exc:
        raise _Refused(str(exc)) from None


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ", timespec="minutes")


def _password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def register(users: click.Group, tokens: click.Group, db_option: Callable[[Any], Any]) -> None:
    """Add the lifecycle commands to cli.py's groups (``db_option``: its ``--db`` after the command)."""

    @tokens.command("create")
    @db_option
    @click.argument("user")
    @click.option("--name", "token_name", metavar="TEXT", help="What the token is for (shown by `tokens list`).")
    @click.option(
        "--days",
        type=click.IntRange(1, 3650),
        help="Lifetime in days (default: token_days of the configuration, 90; at most its token_max_days, 365).",
    )
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Portal configuration (TOML).")
    @click.pass_context
    def tokens_create(
        ctx: click.Context, user: str, token_name: str | None, days: int | None, config_path: str | None
    ) -> None:
        """Create an API token for USER and print it (only its hash is stored: keep it now)."""
        credentials = _credentials()
        config = _config(config_path)
        click.echo(_refusing(lambda: credentials.create_token(_engine(ctx), user, config, name=token_name, days=days)))

    @tokens.command("list")
    @db_option
    @click.option("--user", metavar="NAME", help="Only this user's tokens.")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.pass_context
    def tokens_list(ctx: click.Context, user: str | None, fmt: str) -> None:
        """Every API token: id, user, name, state (active, expired, revoked), created, expires, last used."""
        items = _credentials().list_tokens(_engine(ctx), user)
        at = datetime.now(UTC).replace(tzinfo=None)
        if fmt == "json":
            click.echo(json.dumps([x.as_dict(at) for x in items], ensure_ascii=False, indent=2))
            return
        click.echo("id\tuser\tname\tstate\tcreated\texpires\tlast used")
        for x in items:
            row = [str(x.id), x.user, x.name or "-", x.state(at), *map(_when, (x.created_at, x.expires_at))]
            click.echo(clean("\t".join([*row, _when(x.last_used_at)])))

    @tokens.command("revoke")
    @db_option
    @click.argument("token_id", type=click.IntRange(1, MAX_ID), metavar="ID")
    @click.pass_context
    def tokens_revoke(ctx: click.Context, token_id: int) -> None:
        """Revoke token ID (from `tokens list`) at once; it is kept, marked revoked, for the record."""
        info = _refusing(lambda: _credentials().revoke_token(_engine(ctx), token_id))
        click.echo(clean(f"revoked token {token_id} of {info.user}"))

    @users.command("list")
    @db_option
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    @click.pass_context
    def users_list(ctx: click.Context, fmt: str) -> None:
        """Every portal account: name, role, insurer, created, disabled since."""
        items = _credentials().list_users(_engine(ctx))
        if fmt == "json":
            click.echo(json.dumps([x.as_dict() for x in items], ensure_ascii=False, indent=2))
            return
        click.echo("name\trole\tinsurer\tcreated\tdisabled")
        for x in items:
            row = [x.name, x.role, x.insurer or "-", _when(x.created_at), _when(x.disabled_at)]
            click.echo(clean("\t".join(row)))

    def _switch(disabled: bool) -> Any:
        verb = "disable" if disabled else "enable"

        @users.command(verb)
        @db_option
        @click.argument("name")
        @click.pass_context
        def switch(ctx: click.Context, name: str) -> None:
            changed = _refusing(lambda: _credentials().set_disabled(_engine(ctx), name, disabled))
            click.echo(clean(f"{verb}d {name}" if changed else f"{name} was already {verb}d"))

        switch.help = (
            "Disable user NAME at once: no login; its sessions end and its tokens are revoked now."
            if disabled
            else "Enable user NAME again (its revoked tokens stay revoked: create new ones)."
        )
        return switch

    _switch(True)
    _switch(False)

    @users.command("set-password")
    @db_option
    @click.argument("name")
    @click.pass_context
    def users_set_password(ctx: click.Context, name: str) -> None:
        """Set NAME's password (asked twice on a terminal, else stdin's first line); its sessions end."""
        password = _password()
        _refusing(lambda: _credentials().set_password(_engine(ctx), name, password))
        click.echo(clean(f"password of {name} set; its sessions ended"))
