"""Text from data made safe for a terminal or a CI log: control characters are shown, never obeyed.

Documents, file names, ruleset texts and stored runs are data. Printed raw, an ANSI escape sequence
(ESC ``[``...) restyles or rewrites a terminal, a carriage return overwrites what a line showed, and a
newline starts a new line, which GitHub Actions reads as a workflow command when it begins with
``::`` (``::add-mask::``, ``::set-env``, ``::stop-commands::``). ``clean`` writes each such character
as a visible escape (``\\x1b``, ``\\n``, ``\\u2028``), so that one datum stays on one line and inert.

Escaped: C0 controls (tab, LF and CR too: they break columns and lines), DEL, C1 controls (NEL and
CSI among them), the line and paragraph separators, and the bidirectional overrides and isolates that
can make a line read differently from what it holds. A backslash itself is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: Any) -> str:
    """``str(value)`` with every control character written as a visible escape."""
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text
