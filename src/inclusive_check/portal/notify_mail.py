"""Notifications by e-mail: ``send_once`` enqueues (store.notify.enqueue) and delivers what is due through the
configured SMTP server (smtplib), each outbox row at most once: claimed first (store.notify.claim), marked sent
right after the server accepted it. A failure for now (the server unreachable, a 4xx answer) is retried later
with backoff; a 5xx refusal for a recipient is given up at once. What happened is returned as counts and plain
lines, never raised: ``inclusive-check notify send`` prints them and the server's scheduled task logs them."""

from __future__ import annotations

import logging
import os
import smtplib
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import Engine

from ..store import notify as outbox
from ..store.db import fault_message
from . import notify_texts as texts
from .notify_config import NotifyConfig

log = logging.getLogger("inclusive_check.portal.notify")


@dataclass
class Outcome:
    """What one step did: rows enqueued, delivered, left to retry, given up, and found unconfirmed."""

    enqueued: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.retry or self.failed or self.unknown or self.problems)

    def summary(self) -> str:
        return (
            f"{self.enqueued} notification(s) enqueued; {self.sent} e-mail(s) sent, {self.retry} to retry later, "
            f"{self.failed} given up, {self.unknown} unconfirmed"
        )


def node_name() -> str:
    """Who claims: host and process (two nodes, or two workers of one, claim apart)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def message(item: outbox.Claimed, config: NotifyConfig) -> EmailMessage:
    """The e-mail of one outbox row: in the recipient's language when the account has one, else Chinese then
    English; a Message-ID stable per row, so that a copy would be recognisable as one."""
    langs = [item.lang] if item.lang in texts.LANGS else list(texts.LANGS)
    args = (item.kind, item.insurer, item.period, item.detail)
    path = texts.link(*args)
    url = f"{config.portal_url}{path}" if config.portal_url and path else None
    parts = []
    for lang in langs:
        parts.append(
            "\n".join([texts.title(*args, lang), "", *texts.lines(*args, lang), "", *texts.closing(lang, url)])
        )
    msg = EmailMessage()
    msg["Subject"] = " / ".join(texts.title(*args, lang) for lang in langs)
    msg["From"] = config.sender
    msg["To"] = item.email or ""
    msg["Date"] = format_datetime(item.event_at.replace(tzinfo=UTC))
    domain = config.sender.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<notify-{item.id}@{domain}>"
    msg["X-Inclusive-Check-Event"] = item.event_key
    msg.set_content("\n\n----\n\n".join(parts) + "\n")
    return msg


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A refusal for good (5xx) rather than for now (4xx, a dropped connection)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _why(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{who}: {code} {text.decode('utf-8', 'replace')}" for who, (code, text) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


def _connect(config: NotifyConfig) -> smtplib.SMTP:
    assert config.host is not None
    smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    try:
        smtp.ehlo()
        if config.starttls:
            smtp.starttls()
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password() or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(
    engine: Engine, config: NotifyConfig, node: str, now: datetime | None = None, limit: int | None = None
) -> Outcome:
    """Claim and send what is due, ``config.batch`` rows a claim, until nothing is left, ``limit`` rows were
    claimed, or the server fails us; each row is claimed by one sender and marked sent once the server took it."""
    out = Outcome()
    now = now or _now()
    smtp: smtplib.SMTP | None = None
    left = limit
    try:
        while left is None or left > 0:
            claimed, stale = outbox.claim(engine, node, config.batch if left is None else min(left, config.batch), now)
            out.unknown += stale
            if not claimed:
                break
            left = None if left is None else left - len(claimed)
            if smtp is None:
                try:
                    smtp = _connect(config)
                except (OSError, smtplib.SMTPException) as exc:
                    _retry_rest(engine, config, claimed, f"{_where(config)}: {_why(exc)}", now, out)
                    out.problems.append(f"cannot deliver through {_where(config)}: {_why(exc)}; retried later")
                    break
            if not _send_batch(engine, config, smtp, claimed, now, out):
                break
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return out


def _where(config: NotifyConfig) -> str:
    return f"the SMTP server {config.host}:{config.port}"


def _send_batch(
    engine: Engine, config: NotifyConfig, smtp: smtplib.SMTP, claimed: list[outbox.Claimed], now: datetime, out: Outcome
) -> bool:
    """Send each claimed row on ``smtp``; False when the connection was lost (the rest are left to retry)."""
    where = _where(config)
    for n, item in enumerate(claimed):
        if not item.email:
            outbox.mark_failed(engine, item, "the account has no e-mail address any more", state="no_address")
            continue
        try:
            composed = message(item, config)
        except (ValueError, TypeError) as exc:  # e.g. a header value from a hand-edited account or code
            outbox.mark_failed(engine, item, f"the message could not be composed: {exc}")
            out.failed += 1
            out.problems.append(f"the message to {item.recipient} could not be composed: {exc}")
            continue
        try:
            smtp.send_message(composed, from_addr=config.sender, to_addrs=[item.email])
        except smtplib.SMTPServerDisconnected as exc:
            _retry_rest(engine, config, claimed[n:], f"{where}: {_why(exc)}", now, out)
            out.problems.append(f"{where} closed the connection: {_why(exc)}; retried later")
            return False
        except smtplib.SMTPException as exc:
            if _permanent(exc):
                outbox.mark_failed(engine, item, f"{where} refused it: {_why(exc)}")
                out.failed += 1
                out.problems.append(f"{where} refused the message to {item.recipient} for good: {_why(exc)}")
                continue
            _retry_rest(engine, config, [item], f"{where}: {_why(exc)}", now, out)
            out.problems.append(f"{where} did not take the message to {item.recipient} now: {_why(exc)}")
            continue
        except OSError as exc:
            _retry_rest(engine, config, claimed[n:], f"{where}: {_why(exc)}", now, out)
            out.problems.append(f"lost the connection to {where}: {_why(exc)}; retried later")
            return False
        outbox.mark_sent(engine, item, _now())
        out.sent += 1
    return True


def _retry_rest(
    engine: Engine, config: NotifyConfig, items: list[outbox.Claimed], error: str, now: datetime, out: Outcome
) -> None:
    for item in items:
        state = outbox.mark_retry(engine, item, error, now, config.max_attempts)
        out.retry, out.failed = out.retry + (state == "pending"), out.failed + (state == "failed")


def send_once(
    engine: Engine,
    config: NotifyConfig,
    node: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> Outcome:
    """One step: enqueue the events, then (when an SMTP host is configured) deliver what is due. A database
    fault is returned as a plain problem, as is an SMTP one."""
    now = now or _now()
    out = Outcome()
    try:
        out.enqueued = outbox.enqueue(engine, today or now.date(), config.due_days, now)
        if config.host is None:
            return out
        sent = deliver(engine, config, node or node_name(), now, limit)
    except Exception as exc:
        message_ = fault_message(exc)
        if message_ is None:
            raise
        out.problems.append(f"database problem: {message_}")
        return out
    sent.enqueued = out.enqueued
    return sent
