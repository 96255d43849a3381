"""HTTP plumbing shared by the API and the pages: the app's state, authentication, bounded uploads, security
headers and RFC 9457 problems for every error (no traceback ever reaches a client)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..ruleset import Ruleset
from ..store.db import fault_message
from . import credentials, service
from .config import PortalConfig

log = logging.getLogger("inclusive_check.portal")

SESSION_COOKIE = "ic_session"
CSRF_COOKIE = "ic_csrf"
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass
class Portal:
    engine: Engine
    config: PortalConfig
    ruleset: Ruleset
    as_of: date | None = None  # None: each upload is judged as of its day


class SecurityHeaders:
    """Adds the security headers to every response, and answers any exception no handler took with a problem
    (500, or 503 for a database or machine fault) that has them too: no traceback reaches a client. A pure ASGI
    middleware: uploads stream through it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception as exc:
            if started:  # the answer is under way: nothing can be said any more
                raise
            response = _crash(Request(scope), exc)
            await response(scope, receive, with_headers)


def _crash(request: Request, exc: Exception) -> JSONResponse:
    message = fault_message(exc)
    if message is not None:
        log.error("database or environment problem: %s", message)
        return problem(503, _TITLES[503], message, request)
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, _TITLES[500], "an internal error; it was logged", request)


class Unauthorized(Exception):
    pass


async def api_user(request: Request) -> service.User:
    """The API's caller, from ``Authorization: Bearer <token>`` (tokens only: no cookie, so no CSRF)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an API call needs Authorization: Bearer <token> (`inclusive-check tokens create NAME`)")
    portal: Portal = request.app.state.portal
    user = await run_in_threadpool(credentials.token_user, portal.engine, token.strip())
    if user is None:
        raise Unauthorized("the bearer token is not valid")
    return user


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read in chunks and refused as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the upload has {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the upload passed the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload(file: Any, limit: int) -> bytes:
    """A form's uploaded file (``UploadFile``), read in chunks and refused as soon as it passes ``limit`` bytes."""
    chunks, size = [], 0
    while chunk := await file.read(2**20):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the upload passed the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def problem(status: int, title: str, detail: str | None, request: Request, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.url.path}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def install_error_handlers(app: Any) -> None:
    def _simple(status: int) -> Any:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            return problem(status, _TITLES[status], str(exc), request)

        return handler

    for exc_type, status in (
        (service.NotFound, 404),
        (service.Conflict, 409),
        (service.Unprocessable, 422),
        (Unauthorized, 401),
        (TooLarge, 413),
    ):
        app.add_exception_handler(exc_type, _simple(status))

    async def rate_limited(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, service.RateLimited)
        response = problem(429, _TITLES[429], str(exc), request)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        response = problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail), request)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"pointer": "/" + "/".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem(422, _TITLES[422], "the request is not valid", request, errors=errors)

    app.add_exception_handler(service.RateLimited, rate_limited)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    # Any other exception: SecurityHeaders answers it (inside the framework's outermost error middleware, whose
    # answer would lack the security headers).


def new_secret() -> str:
    return secrets.token_urlsafe(32)
