"""Issue 25: an upload is bounded while it streams. A page form sent chunked (no Content-Length) past the limit
is answered 413 once the limit is passed, before the rest is sent; the server reads no more than the limit."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
from portal_helpers import PASSWORD, serving


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _stream(base: str, path: str, headers: dict[str, str], head: bytes, total: int) -> tuple[int, int]:
    """POST ``head`` then zeros, chunked, up to ``total`` bytes, stopping when the server answers; the status and
    the bytes sent."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + _chunk(head))
    sent, block = len(head), b"0" * 65536
    sock.settimeout(0.0)
    answer = b""
    try:
        while sent < total:
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            try:
                sock.settimeout(5)
                sock.sendall(_chunk(block))
                sock.settimeout(0.0)
            except OSError:
                break
            sent += len(block)
        sock.settimeout(30)
        while b"\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    finally:
        sock.close()
    return int(answer.split(b" ", 2)[1]), sent


def test_a_page_upload_past_the_limit_is_refused_while_it_streams(portal_factory: Any) -> None:
    pytest.importorskip("uvicorn")
    portal = portal_factory(max_upload_mib=1)
    client = portal.client
    client.get("/login")
    csrf = client.cookies.get("ic_csrf")
    assert client.post("/login", data={"name": "zs", "password": PASSWORD, "csrf": csrf}).status_code == 200
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    spool = Path(tempfile.gettempdir())
    before = {p.name for p in spool.iterdir()}
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookies}
    with serving(portal.app) as base:
        status, sent = _stream(base, "/file", headers, head, 256 * 2**20)
    assert status == 413
    assert sent < 32 * 2**20  # refused as the limit was passed, not after 256 MiB
    assert {p.name for p in spool.iterdir()} - before == set() or all(
        (spool / name).stat().st_size <= 2**20 + 2**16 for name in {p.name for p in spool.iterdir()} - before
    )


def test_an_api_upload_past_the_limit_is_refused_while_it_streams(portal_factory: Any) -> None:
    pytest.importorskip("uvicorn")
    portal = portal_factory(max_upload_mib=1)
    headers = {**portal.api("zs"), "Content-Type": "application/json"}
    with serving(portal.app) as base:
        status, sent = _stream(base, "/api/filings/ZS-PROP-002/2025-Q4/revisions", headers, b"{", 256 * 2**20)
    assert status == 413 and sent < 32 * 2**20
