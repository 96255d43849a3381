"""One way to open any input file: regular files only, a size limit checked before reading, then read.

Every file the tool reads on a user's word goes through ``read_input`` (documents, rulesets, dispensation
files, the portal's configuration; later kinds such as a register, a calendar or reference data take a
``KINDS`` entry and the same function). A FIFO, a device, a socket or a folder is refused at once, with its
path, before it is opened for reading (so nothing blocks on a pipe and nothing reads ``/dev/zero``); a file
larger than its kind's limit is refused by its listed size unopened, and one that reports a size it does not
have (``/proc``) is read up to the limit only. The limits are documented in docs/inputs.md.

This module imports nothing of the package but the language layer (``i18n``, which imports nothing): everything
else may use it. Its reasons are catalogue messages (``InputFileError.msg``); ``reason`` is their English text.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .i18n import N_, Code, Message

MiB = 2**20
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Kind:
    name: str  # message id of the kind as shown in messages: "ruleset", "dispensation file"
    content: str  # message id of what the file should hold: "the document"
    max_bytes: int
    raise_with: str  # message id of how to get past the limit


KINDS: dict[str, Kind] = {
    "document": Kind(N_("input.kind.document"), N_("input.content.document"), 64 * MiB, N_("input.raise.document")),
    "ruleset": Kind(N_("input.kind.ruleset"), N_("input.content.ruleset"), 4 * MiB, N_("input.raise.ruleset")),
    "dispensations": Kind(
        N_("input.kind.dispensations"), N_("input.content.dispensations"), 32 * MiB, N_("input.raise.dispensations")
    ),
    "reference": Kind(N_("input.kind.reference"), N_("input.content.reference"), 16 * MiB, N_("input.raise.split")),
    "targets": Kind(N_("input.kind.targets"), N_("input.content.targets"), 16 * MiB, N_("input.raise.split")),
    "register": Kind(N_("input.kind.register"), N_("input.content.register"), 16 * MiB, N_("input.raise.split")),
    "calendar": Kind(N_("input.kind.calendar"), N_("input.content.calendar"), 16 * MiB, N_("input.raise.small")),
    "portal-config": Kind(
        N_("input.kind.portal_config"), N_("input.content.portal_config"), 1 * MiB, N_("input.raise.small")
    ),
}

_NOT_REGULAR = {
    stat.S_IFIFO: N_("input.file_type.fifo"),
    stat.S_IFCHR: N_("input.file_type.char_device"),
    stat.S_IFBLK: N_("input.file_type.block_device"),
    stat.S_IFSOCK: N_("input.file_type.socket"),
    stat.S_IFDIR: N_("input.file_type.folder"),
}


_ERRNO = {  # the usual reasons a file cannot be read, in the catalogue's words; others as the system says them
    errno.ENOENT: N_("input.errno.missing"),
    errno.EACCES: N_("input.errno.denied"),
    errno.EPERM: N_("input.errno.denied"),
    errno.EISDIR: N_("input.file_type.folder"),
    errno.ENAMETOOLONG: N_("input.errno.name_too_long"),
    errno.ELOOP: N_("input.errno.loop"),
}
_SPECIAL = N_("input.file_type.special")


class InputFileError(Exception):
    """The file cannot be read as input: missing, not a regular file, too big, unreadable or not UTF-8.

    ``str()`` is ``PATH: reason``; ``reason`` alone (English) is for callers that locate it themselves, ``msg`` the
    same reason as a catalogue message, ``text(lang)`` the whole line in a language."""

    def __init__(self, path: str, reason: str | Message) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = str(reason)
        self.msg = reason if isinstance(reason, Message) else Message("input.detail", detail=Code(reason))

    def text(self, lang: str) -> str:
        return f"{self.path}: {self.msg.text(lang)}"


def shown(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be shown and stored: bytes that are not UTF-8 become \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def not_regular(mode: int, what: str = "input.content.document") -> Message | None:
    """Why a file of this mode is not taken as input (None: it is a regular file); ``what``: the message id of
    what the file should hold."""
    if stat.S_ISREG(mode):
        return None
    found = Message(_NOT_REGULAR.get(stat.S_IFMT(mode), _SPECIAL))
    return Message("input.not_regular", found=found, what=Message(what))


def _too_big(size: float, kind: Kind, max_bytes: int, read: bool = False) -> Message:
    limit = (
        Message("input.mib", n=Code(f"{max_bytes / MiB:.0f}"))
        if max_bytes >= MiB
        else Message("input.bytes", n=max_bytes)
    )
    if read:
        return Message("input.too_big_read", limit=limit, size=int(size), advice=Message(kind.raise_with))
    return Message("input.too_big", size=Code(f"{size / MiB:.1f}"), limit=limit, advice=Message(kind.raise_with))


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
        why = Message(_ERRNO[exc.errno]) if exc.errno in _ERRNO else Code(exc.strerror or str(exc))
        raise InputFileError(name, Message("input.cannot_read", kind=Message(spec.name), why=why)) from None


def read_input_text(path: str | os.PathLike[str], kind: str, max_bytes: int | None = None) -> str:
    """``read_input`` decoded as UTF-8 (a leading byte-order mark dropped); bad UTF-8 is an ``InputFileError``."""
    raw = read_input(path, kind, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = Code(repr(raw[exc.start : exc.start + 1]))
        raise InputFileError(shown(path), Message("input.not_utf8", at=exc.start, byte=byte)) from None


def limit_of(kind: str) -> int:
    return KINDS[kind].max_bytes


def is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
