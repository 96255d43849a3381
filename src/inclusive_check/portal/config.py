"""The portal's configuration: server settings only (session lifetime, upload and login limits; TOML). Who must
file what by when is the register and the filing calendar (store.season), not configuration."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..periods import period_bounds

DEFAULT_DUE_DAYS = 120  # a period without a configured window is due this many days after it ends (ours)


class ConfigError(Exception):
    """The configuration file is not valid; the message names the key."""


@dataclass(frozen=True)
class Window:
    opens: date
    due: date


@dataclass(frozen=True)
class PortalConfig:
    session_hours: float = 8
    max_upload_mib: float = 64
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    secure_cookies: bool = False  # set true behind HTTPS
    # Due dates of periods the filing calendar does not list (not read from the TOML, which keeps only server
    # settings: deployments import the calendar; tests and embedders may pass windows here).
    windows: dict[str, Window] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mib * 2**20)

    def window(self, period: str) -> Window:
        if period in self.windows:
            return self.windows[period]
        _, end = period_bounds(period)
        return Window(end + timedelta(days=1), end + timedelta(days=DEFAULT_DUE_DAYS))


_NUMBERS = {
    "session_hours": float,
    "max_upload_mib": float,
    "login_failures_per_account": int,
    "login_failures_per_address": int,
    "login_window_minutes": int,
}


def load_config(path: Path | None) -> PortalConfig:
    """The configuration in ``path`` (None: the defaults). Unknown keys and wrong types are refused by name."""
    if path is None:
        return PortalConfig()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _NUMBERS:
            kind = _NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{path}: {key} must be a positive number")
            values[key] = kind(value)
        elif key == "secure_cookies":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: secure_cookies must be true or false")
            values[key] = value
        elif key == "windows":  # filing windows are data now: the calendar (docs/portal.md, "The filing season")
            raise ConfigError(
                f"{path}: windows: due dates are no longer configured here; import the filing calendar with "
                "`inclusive-check calendar import FILE` (inclusive-check schema calendar)"
            )
        else:
            raise ConfigError(f"{path}: unknown key {key!r}")
    return PortalConfig(**values)
