"""The ``[notify]`` table of the portal's TOML: the SMTP server notifications are sent through and the server's
schedule. Every key is optional; without ``host`` nothing is e-mailed (the inbox still fills), and without
``interval_seconds`` the server does not send on its own (``inclusive-check notify send`` does)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^\[?[0-9A-Fa-f:.]{2,45}\]?$")
# An address as the portal takes it: one mailbox, no display name, nothing a header could be split on.
ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$"
)


class NotifyConfigError(ValueError):
    """A ``[notify]`` value that is not valid; the message names the key."""


@dataclass(frozen=True)
class NotifyConfig:
    host: str | None = None  # the SMTP server; None: no e-mail
    port: int = 25
    sender: str = "inclusive-check@localhost"  # the From address (TOML key `from`)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None  # the environment variable that holds the SMTP password (never the TOML)
    timeout_seconds: float = 30
    interval_seconds: int = 0  # 0: the server does not send on a schedule
    due_days: tuple[int, ...] = field(default=(7, 1))  # reminders this many days before a due date
    max_attempts: int = 8  # failed deliveries are retried with backoff this many times, then given up
    batch: int = 200  # rows claimed per step
    portal_url: str | None = None  # the portal's address, for the link in each message

    def password(self) -> str | None:
        """The SMTP password from the environment variable ``password_env`` (None when unset)."""
        return os.environ.get(self.password_env) if self.password_env else None


def valid_address(value: str) -> bool:
    return len(value) <= 254 and ADDRESS.match(value) is not None


def parse_host_port(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``HOST``, port 25) as ``--smtp`` takes it; ValueError says what is wrong."""
    if value.startswith("[") and "]:" in value:  # [::1]:2525
        host, _, port = value.rpartition(":")
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    else:
        host, port = value, "25"
    host = host.strip("[]")
    if not host or not HOST.match(host):
        raise ValueError(f"not a host name or address: {value!r:.80}")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"the port must be a number from 1 to 65535, not {port!r:.20}")
    return host, int(port)


_INTS = {
    "port": (1, 65535),
    "interval_seconds": (0, 86400),
    "max_attempts": (1, 100),
    "batch": (1, 10_000),
}


def parse(path: Path, data: Any) -> NotifyConfig:
    """The ``[notify]`` table of the configuration at ``path``; unknown keys and wrong values refused by name."""
    if not isinstance(data, dict):
        raise NotifyConfigError(f"{path}: notify must be a table ([notify])")
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}: notify.{key}"
        if key in _INTS:
            low, high = _INTS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise NotifyConfigError(f"{where} must be a whole number from {low} to {high}, not {value!r:.40}")
            values[key] = value
        elif key == "timeout_seconds":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 600:
                raise NotifyConfigError(f"{where} must be a number from 1 to 600, not {value!r:.40}")
            values[key] = float(value)
        elif key == "host":
            if not isinstance(value, str) or not HOST.match(value.strip("[]")):
                raise NotifyConfigError(f"{where} must be a host name or address, not {value!r:.80}")
            values[key] = value.strip("[]")
        elif key == "from":
            if not isinstance(value, str) or not valid_address(value):
                raise NotifyConfigError(f"{where} must be one e-mail address (name@example.org), not {value!r:.80}")
            values["sender"] = value
        elif key == "starttls":
            if not isinstance(value, bool):
                raise NotifyConfigError(f"{where} must be true or false")
            values[key] = value
        elif key in ("username", "password_env", "portal_url"):
            if not isinstance(value, str) or not value or len(value) > 500 or not value.isprintable():
                raise NotifyConfigError(f"{where} must be a non-empty printable string of at most 500 characters")
            if key == "portal_url" and not value.startswith(("http://", "https://")):
                raise NotifyConfigError(f"{where} must start with http:// or https://")
            values[key] = value.rstrip("/") if key == "portal_url" else value
        elif key == "password":
            raise NotifyConfigError(
                f"{where}: the SMTP password is not kept in the file; name the environment variable that holds it "
                "with password_env"
            )
        elif key == "due_days":
            ok = isinstance(value, list) and 0 < len(value) <= 10
            ok = ok and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 365 for n in value)
            if not ok:
                raise NotifyConfigError(f"{where} must be a list of 1 to 10 whole numbers of days from 0 to 365")
            values[key] = tuple(sorted(set(value)))
        else:
            raise NotifyConfigError(f"{path}: unknown key notify.{key}")
    return NotifyConfig(**values)
