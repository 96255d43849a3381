"""Notifications for the portal's accounts: where each is sent (an e-mail address and a language, set by
`inclusive-check users add --email` or `users set-contact`, audited) and each account's inbox (its own rows of
the outbox; a filer's only of its insurer), with read and unread. No HTTP here: notify_routes.py and the CLI call
these functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update

from ..store import notify as outbox
from ..store import tables as t
from ..store.db import writing
from . import notify_texts as texts
from .notify_config import valid_address
from .service import NotFound, Unprocessable, User, audit, now

INBOX_LIMIT = 200  # notifications a page or an API call shows at most


def set_contact(
    engine: Engine, name: str, email: str | None, lang: str | None, actor: str = "cli", address: str = "local"
) -> None:
    """Set the account's e-mail address and language (an empty address removes it); audited."""
    if email is not None and email != "" and not valid_address(email):
        raise Unprocessable(f"not an e-mail address the portal takes (one mailbox, name@example.org): {email!r:.80}")
    if lang is not None and lang not in texts.LANGS:
        raise Unprocessable(f"the language must be one of {', '.join(texts.LANGS)}")
    u = t.portal_users.c
    values: dict[str, Any] = {}
    if email is not None:
        values["email"] = email or None
    if lang is not None:
        values["lang"] = lang
    with writing(engine).begin() as conn:
        row = conn.execute(select(u.id, u.insurer_code).where(u.name == name)).first()
        if row is None:
            raise NotFound(f"no user named {name!r}")
        if values:
            conn.execute(update(t.portal_users).where(u.id == row.id).values(**values))
        audit(conn, actor, address, "user.contact", row.insurer_code, user=name, email=bool(email), lang=lang)


def _scope(user: User) -> str | None:
    """The insurer a filer's inbox is held to (None: a supervisor's, every insurer)."""
    return None if user.supervisor else (user.insurer or "")


def inbox(engine: Engine, user: User, unread_only: bool, lang: str) -> list[dict[str, Any]]:
    """The user's notifications, newest first, each with its title and lines in ``lang`` and its page."""
    rows = outbox.inbox(engine, user.id, _scope(user), unread_only, INBOX_LIMIT)
    for row in rows:
        args = (row["kind"], row["insurer"], row["period"], row["detail"])
        row["title"] = texts.title(*args, lang)
        row["lines"] = texts.lines(*args, lang)
        row["link"] = texts.link(*args)
    return rows


def mark_read(engine: Engine, user: User, notification: int | None) -> int:
    """Mark one of the user's notifications read (another's, or none such: NotFound), or all of them (None)."""
    scope = _scope(user)
    if notification is not None and not outbox.notification_exists(engine, user.id, scope, notification):
        raise NotFound(f"no notification {notification}")
    return outbox.mark_read(engine, user.id, scope, notification, now())
