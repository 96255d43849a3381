"""A local SMTP sink on loopback (aiosmtpd) that keeps what it accepted, and can be told to refuse for now (4xx)
or for good (5xx) the next messages."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest

pytest.importorskip("aiosmtpd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    port: int
    messages: list[Message] = field(default_factory=list)
    refuse_next: int = 0  # refuse this many next messages ...
    refusal: str = "451 4.3.0 try again later"  # ... with this answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def to(self) -> list[str]:
        with self.lock:
            return [str(m["To"]) for m in self.messages]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return self.refusal
            self.messages.append(
                message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink(port: int | None = None) -> Iterator[Sink]:
    """A sink listening on 127.0.0.1 (a free port unless ``port``) until the block ends."""
    from aiosmtpd.controller import Controller

    sink = Sink(port or free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
