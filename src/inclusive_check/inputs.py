"""One way to open any input file: regular files only, a size limit checked before reading, then read.

Every file the tool reads on a user's word goes through ``read_input`` (documents, rulesets, dispensation
files, the portal's configuration; later kinds such as a register, a calendar or reference data take a
``KINDS`` entry and the same function). A FIFO, a device, a socket or a folder is refused at once, with its
path, before it is opened for reading (so nothing blocks on a pipe and nothing reads ``/dev/zero``); a file
larger than its kind's limit is refused by its listed size unopened, and one that reports a size it does not
have (``/proc``) is read up to the limit only. The limits are documented in docs/inputs.md.

This module imports nothing of the package: everything else may use it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MiB = 2**20
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Kind:
    name: str  # as shown in messages: "ruleset", "dispensation file"
    content: str  # what the file should hold: "the document"
    max_bytes: int
    raise_with: str  # how to get past the limit, or "" when there is no way


KINDS: dict[str, Kind] = {
    "document": Kind("document", "the document", 64 * MiB, "split the submission or raise --max-file-mib"),
    "ruleset": Kind("ruleset", "the ruleset", 4 * MiB, "a ruleset is a few hundred KiB; is this the right file?"),
    "dispensations": Kind(
        "dispensation file",
        "the dispensations",
        32 * MiB,
        "split the dispensations over several files (32 MiB holds ~100,000)",
    ),
    "reference": Kind("reference file", "the reference figures", 16 * MiB, "split the figures over several files"),
    "targets": Kind("targets file", "the targets", 16 * MiB, "split the targets over several files"),
    "register": Kind("register", "the register of insurers", 16 * MiB, "split the register over several files"),
    "calendar": Kind("calendar", "the filing calendar", 16 * MiB, "a calendar is a few KiB; is this the right file?"),
    "portal-config": Kind(
        "portal configuration",
        "the configuration",
        1 * MiB,
        "a portal configuration is a few KiB; is this the right file?",
    ),
}

_NOT_REGULAR = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


class InputFileError(Exception):
    """The file cannot be read as input: missing, not a regular file, too big, unreadable or not UTF-8.

    ``str()`` is ``PATH: reason``; ``reason`` alone is for callers that locate it themselves."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def shown(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be shown and stored: bytes that are not UTF-8 become \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def not_regular(mode: int, what: str = "the document") -> str | None:
    """Why a file of this mode is not taken as input (None: it is a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return (
        f"not a regular file but {_NOT_REGULAR.get(stat.S_IFMT(mode), 'a special file')}; give a file with {what} in it"
    )


def _too_big(size: float, kind: Kind, max_bytes: int, read: bool = False) -> str:
    limit = f"{max_bytes / MiB:.0f} MiB" if max_bytes >= MiB else f"{max_bytes} bytes"
    what = (
        f"the file gave more than {limit} when read (its listed size was {size:.0f} bytes)"
        if read
        else f"the file is {size / MiB:.1f} MiB"
    )
    return f"{what}, over the {limit} limit; {kind.raise_with}"


def read_input(path: str | os.PathLike[str], kind: str, max_bytes: int | None = None) -> bytes:
    """The bytes of an input file of ``kind`` (a ``KINDS`` key), or ``InputFileError`` saying why not.

    Never more than the limit + 1 bytes are read and nothing blocks: the file is opened non-blocking and its
    type checked again on the open descriptor (a file swapped for a FIFO after the first look)."""
    spec = KINDS[kind]
    limit = spec.max_bytes if max_bytes is None else max_bytes
    name = shown(path)
    what = spec.content
    try:
        info = os.stat(path)
        reason = not_regular(info.st_mode, what)
        if reason is None and info.st_size > limit:
            reason = _too_big(info.st_size, spec, limit)
        if reason is not None:
            raise InputFileError(name, reason)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            reason = not_regular(os.fstat(fd).st_mode, what)
            if reason is not None:
                raise InputFileError(name, reason)
            chunks: list[bytes] = []
            total = 0
            while total <= limit:
                chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                total += len(chunk)
            raise InputFileError(name, _too_big(info.st_size, spec, limit, read=True))
        finally:
            os.close(fd)
    except OSError as exc:
        raise InputFileError(name, f"cannot read the {spec.name}: {exc.strerror or exc}") from None


def read_input_text(path: str | os.PathLike[str], kind: str, max_bytes: int | None = None) -> str:
    """``read_input`` decoded as UTF-8 (a leading byte-order mark dropped); bad UTF-8 is an ``InputFileError``."""
    raw = read_input(path, kind, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            shown(path), f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r}); save it as UTF-8"
        ) from None


def limit_of(kind: str) -> int:
    return KINDS[kind].max_bytes


def is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
