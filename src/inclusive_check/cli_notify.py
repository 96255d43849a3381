"""`inclusive-check notify send|status` and `users set-contact`: the portal's notifications from the command line
(docs/portal.md, "Notifications"). Registered by cli.py (``COMMANDS``) and on cli_portal's `users` group
(``register_users``); the SMTP work is portal/notify_mail.py's.

Exit codes of `notify send`: 0 every message due was accepted by the SMTP server (or none was due); 4 some could
not be delivered now (server unreachable or refusing; they are retried later with backoff, and given up after
`max_attempts`), or the database is not usable; 3 the configuration file is not valid; 2 a bad option or no SMTP
server given."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from .cli_common import (
    EXIT_ENVIRONMENT,
    FORMATS,
    DomainError,
    InvalidInput,
    _db_option,
    _emit_json,
    _engine,
    _exit,
)
from .cli_types import DAY
from .safetext import clean


def _config(path: str | None) -> Any:
    from pathlib import Path

    from .portal.config import ConfigError, load_config

    try:
        return load_config(Path(path) if path else None)
    except ConfigError as exc:
        raise InvalidInput(f"invalid portal configuration: {exc}") from None


@click.group()
def notify() -> None:
    """Notifications of the filing portal: revisions received, signed, returned, accepted, dispensations decided,
    due dates near and passed; by e-mail and in each account's inbox."""


@notify.command("send")
@_db_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True), help="Portal TOML ([notify]).")
@click.option("--smtp", metavar="HOST:PORT", help="The SMTP server (overrides [notify] host and port).")
@click.option("--from", "sender", metavar="ADDRESS", help="The From address (overrides [notify] from).")
@click.option("--starttls/--no-starttls", default=None, help="Upgrade the connection with STARTTLS.")
@click.option("--limit", type=click.IntRange(1, 10_000), help="At most this many messages in this run.")
@click.option("--as-of", type=DAY, default=None, help="The day reminders are reckoned from (default: today).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def send(
    ctx: click.Context,
    config_path: str | None,
    smtp: str | None,
    sender: str | None,
    starttls: bool | None,
    limit: int | None,
    as_of: Any,
    fmt: str,
) -> None:
    """Enqueue what happened since the last run (and the calendar's reminders), then e-mail every notification
    due, each at most once per recipient and event (however many run at once, on however many nodes). A failed
    delivery is retried by a later run with backoff. Exit 0: all due were sent; 4: some were not (see above)."""
    from dataclasses import replace

    try:
        from .portal.notify_config import parse_host_port, valid_address
        from .portal.notify_mail import send_once
    except ImportError as exc:  # pragma: no cover - the portal's extra is missing
        extra = "pip install 'inclusive-check[portal]'"
        raise DomainError(f"notifications need the portal's extra ({exc.name}): {extra}") from None
    notify_config = _config(config_path).notify
    changes: dict[str, Any] = {}
    if smtp is not None:
        try:
            changes["host"], changes["port"] = parse_host_port(smtp)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--smtp") from None
    if sender is not None:
        if not valid_address(sender):
            raise click.BadParameter(f"not one e-mail address: {sender!r:.80}", param_hint="--from")
        changes["sender"] = sender
    if starttls is not None:
        changes["starttls"] = starttls
    notify_config = replace(notify_config, **changes)
    if notify_config.host is None:
        raise DomainError("no SMTP server: give --smtp HOST:PORT, or host in the [notify] table of --config")
    now = datetime.now(UTC).replace(tzinfo=None)
    today = as_of.date() if as_of else now.date()
    out = send_once(_engine(ctx), notify_config, today=today, now=now, limit=limit)
    if fmt == "json":
        _emit_json(
            {
                **{k: getattr(out, k) for k in ("enqueued", "sent", "retry", "failed", "unknown")},
                "problems": out.problems,
            }
        )
    else:
        for problem in out.problems:
            click.echo(clean(f"problem: {problem}"), err=True)
        click.echo(out.summary())
    if not out.ok:
        _exit(EXIT_ENVIRONMENT)


@notify.command("status")
@_db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """The outbox: how many notifications are in each state, and those not delivered (failed, unconfirmed, or
    waiting for a retry) with the last error."""
    from .store.notify import outbox_counts, undelivered

    engine = _engine(ctx)
    counts, rows = outbox_counts(engine), undelivered(engine)
    if fmt == "json":
        _emit_json({"counts": counts, "undelivered": rows})
        return
    click.echo("outbox: " + ", ".join(f"{state} {n}" for state, n in counts.items()))
    for r in rows:
        retry = f", next try {r['next_attempt_at']:%Y-%m-%d %H:%M}" if r["state"] == "pending" else ""
        line = f"{r['id']}\t{r['state']}\t{r['name']}\t{r['event_key']}\t{r['attempts']} attempt(s){retry}"
        click.echo(clean(f"{line}\t{r['last_error'] or ''}"))


def set_contact(ctx: click.Context, name: str, email: str | None, lang: str | None) -> None:
    """Set NAME's e-mail address and language (portal/notify_service.py), refused plainly (exit 2)."""
    from .portal import service
    from .portal.notify_service import set_contact as store_contact

    try:
        store_contact(_engine(ctx), name, email, lang)
    except (service.NotFound, service.Unprocessable) as exc:
        raise DomainError(str(exc)) from None


def register_users(users: click.Group) -> None:
    """`users set-contact` on cli_portal's `users` group."""

    @users.command("set-contact")
    @_db_option
    @click.argument("name")
    @click.option("--email", metavar="ADDRESS", help="Where notifications are e-mailed ('' removes the address).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), help="The notifications' language (default: both).")
    @click.pass_context
    def set_contact_command(ctx: click.Context, name: str, email: str | None, lang: str | None) -> None:
        """Set NAME's e-mail address and the language of its notifications."""
        set_contact(ctx, name, email, lang)
        click.echo(clean(f"contact of {name} set"))


COMMANDS = (notify,)
