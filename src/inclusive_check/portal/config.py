"""The portal's configuration: server settings only (session lifetime, upload and login limits; TOML). Who must
file what by when is the register and the filing calendar (store.season), not configuration."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..inputs import InputFileError, read_input_text
from ..periods import period_bounds
from .notify_config import NotifyConfig, NotifyConfigError
from .notify_config import parse as parse_notify

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
    token_days: int = 90  # an API token's lifetime when its maker gives none
    token_max_days: int = 365  # the longest lifetime a token may be given
    # Due dates of periods the filing calendar does not list (not read from the TOML, which keeps only server
    # settings: deployments import the calendar; tests and embedders may pass windows here).
    windows: dict[str, Window] = field(default_factory=dict)
    notify: NotifyConfig = field(default_factory=NotifyConfig)  # the [notify] table (portal/notify_config.py)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mib * 2**20)

    def window(self, period: str) -> Window:
        if period in self.windows:
            return self.windows[period]
        _, end = period_bounds(period)
        return Window(end + timedelta(days=1), end + timedelta(days=DEFAULT_DUE_DAYS))


# Each number's type and range (docs/portal.md): a value outside is refused by name before the server starts.
_NUMBERS: dict[str, tuple[type, float, float]] = {
    "session_hours": (float, 0.05, 24 * 30),
    "max_upload_mib": (float, 0.01, 4096),
    "login_failures_per_account": (int, 1, 1000),
    "login_failures_per_address": (int, 1, 100_000),
    "login_window_minutes": (int, 1, 7 * 24 * 60),
    "token_days": (int, 1, 3650),
    "token_max_days": (int, 1, 3650),
}


def load_config(path: Path | None) -> PortalConfig:
    """The configuration in ``path`` (None: the defaults). Unknown keys and wrong types are refused by name."""
    if path is None:
        return PortalConfig()
    try:
        data: dict[str, Any] = tomllib.loads(read_input_text(path, "portal-config"))
    except InputFileError as exc:
        raise ConfigError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _NUMBERS:
            kind, low, high = _NUMBERS[key]
            whole = "a whole number" if kind is int else "a number"
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ConfigError(f"{path}: {key} must be {whole} from {low:g} to {high:g}, not {value!r:.40}")
            if kind is int and not isinstance(value, int):
                raise ConfigError(f"{path}: {key} must be {whole} from {low:g} to {high:g}, not {value!r:.40}")
            values[key] = kind(value)
        elif key == "secure_cookies":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: secure_cookies must be true or false")
            values[key] = value
        elif key == "notify":
            try:
                values[key] = parse_notify(path, value)
            except NotifyConfigError as exc:
                raise ConfigError(str(exc)) from None
        elif key == "windows":  # filing windows are data now: the calendar (docs/portal.md, "The filing season")
            raise ConfigError(
                f"{path}: windows: due dates are no longer configured here; import the filing calendar with "
                "`inclusive-check calendar import FILE` (inclusive-check schema calendar)"
            )
        else:
            raise ConfigError(f"{path}: unknown key {key!r}")
    config = PortalConfig(**values)
    if config.token_days > config.token_max_days:
        raise ConfigError(f"{path}: token_days ({config.token_days}) is over token_max_days ({config.token_max_days})")
    return config
