"""The portal's configuration: filing windows per period, session lifetime, upload and login limits (TOML)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..periods import PERIOD, period_bounds

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
        elif key == "windows":
            values[key] = _windows(path, value)
        else:
            raise ConfigError(f"{path}: unknown key {key!r}")
    return PortalConfig(**values)


def _windows(path: Path, value: Any) -> dict[str, Window]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: windows must be a table of periods")
    out = {}
    for period, window in value.items():
        if not PERIOD.match(period):
            raise ConfigError(f"{path}: windows.{period}: not a period (2025 or 2025-Q4)")
        if not isinstance(window, dict) or set(window) != {"opens", "due"}:
            raise ConfigError(f"{path}: windows.{period} needs exactly opens and due (dates)")
        opens, due = window["opens"], window["due"]
        if not isinstance(opens, date) or not isinstance(due, date) or due < opens:
            raise ConfigError(f"{path}: windows.{period}: opens and due must be dates, due not before opens")
        out[period] = Window(opens, due)
    return out
