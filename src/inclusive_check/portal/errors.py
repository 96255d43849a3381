"""What a portal service refuses with; portal/http.py answers each as an RFC 9457 problem (pages: a message)."""

from __future__ import annotations

from typing import Any


class NotFound(Exception):
    """Nothing the caller may see (another insurer's resource answers this too: 404, never 403)."""


class Conflict(Exception):
    """The request is understood but the filing's state refuses it (409); the message says why."""


class Unprocessable(Exception):
    """A well-formed request whose content is refused (422); the message says what."""


class Refused(Unprocessable):
    """An upload refused before anything is stored (422): ``problems`` locate why in the document."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__("; ".join(f"{p.pointer} ({p.line}:{p.column}): {p.message}" for p in problems))
        self.problems = problems


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins; wait and try again")
        self.retry_after = retry_after


class BadLogin(Exception):
    """Unknown account or wrong password (the same answer for both)."""
