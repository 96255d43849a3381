"""Server-rendered pages (Jinja2, the HTML report's CSS, no script): usable without JavaScript, zh/en. This module
holds signing in and out and the filer's pages (filings, a revision, responses, requests, signature); the
supervisor's are in review_pages.py and board.py, uploads in intake.py, the plumbing in web.py.

Sessions are cookies (HttpOnly, SameSite=Lax) whose SHA-256 is stored; every form that changes state carries a
CSRF token that must equal the ``ic_csrf`` cookie (double submit; SameSite=Strict)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from . import service
from .http import SESSION_COOKIE
from .texts import text
from .web import User as User
from .web import _address as _address
from .web import _back as _back
from .web import _field as _field
from .web import _lang as _lang
from .web import _period as _period
from .web import _portal as _portal
from .web import form as form
from .web import install_page_handlers as install_page_handlers
from .web import refused as refused
from .web import render as render

router = APIRouter(include_in_schema=False)


_CSS = resources.files("inclusive_check.reports").joinpath("templates/report.css").read_text("utf-8") + resources.files(
    "inclusive_check.portal"
).joinpath("templates/portal.css").read_text("utf-8")


@router.get("/static/portal.css")
def css() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


# --- sign in and out -----------------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html.j2", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    data = await form(request)
    p = _portal(request)
    lang = _lang(request)
    try:
        token, _ = await run_in_threadpool(
            service.login, p.engine, p.config, _field(data, "name"), _field(data, "password"), _address(request)
        )
    except service.RateLimited as exc:
        limited = render(request, "login.html.j2", status=429, error=text("rate_limited", lang))
        limited.headers["Retry-After"] = str(exc.retry_after)
        return limited
    except service.BadLogin:
        return render(request, "login.html.j2", status=401, error=text("bad_login", lang))
    response = _back("/")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=p.config.secure_cookies,
        max_age=int(p.config.session_hours * 3600),
    )
    return response


@router.post("/logout")
async def logout(request: Request, user: User) -> Response:
    await form(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(service.logout, _portal(request).engine, token, user, _address(request))
    response = _back("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- filers --------------------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request, user: User) -> Response:
    if user.supervisor:
        return _back("/board")
    p = _portal(request)
    rows = service.filings(p.engine, p.config, user, None)
    return render(request, "home.html.j2", user=user, rows=rows)


@router.get("/filings/{insurer}/{period}")
def filing_page(request: Request, insurer: str, period: str, user: User) -> HTMLResponse:
    p = _portal(request)
    filing = service.filing(p.engine, p.config, user, insurer, period)
    if not filing.revisions:
        raise service.NotFound(f"no filing for {insurer} {period}")
    return render(request, "filing.html.j2", user=user, insurer=insurer, period=period, filing=filing)


@router.get("/filings/{insurer}/{period}/revisions/{sequence}")
def revision_page(request: Request, insurer: str, period: str, sequence: int, user: User) -> HTMLResponse:
    rev = service.revision(_portal(request).engine, user, insurer, period, sequence)
    return render(
        request,
        "revision.html.j2",
        user=user,
        rev=rev,
        blocking_finding=service.blocking_finding,
        needs_response=service.needs_response,
    )


def _revision_url(insurer: str, period: str, sequence: int) -> str:
    return f"/filings/{insurer}/{period}/revisions/{sequence}"


async def _on_revision(
    request: Request, insurer: str, period: str, sequence: int, user: User, action: Any, *fields: str
) -> tuple[dict[str, Any], Response | None]:
    """Post ``action`` (a service function) on a revision with the form's ``fields``; the form, and the page
    saying why it was refused (None when it was done)."""
    data = await form(request)
    values = [_field(data, name) for name in fields]
    try:
        engine, address = _portal(request).engine, _address(request)
        await run_in_threadpool(action, engine, user, address, insurer, period, sequence, *values)
    except (service.Conflict, service.Unprocessable) as exc:
        return data, refused(request, exc, _revision_url(insurer, period, sequence))
    return data, None


@router.post("/filings/{insurer}/{period}/revisions/{sequence}/respond")
async def respond(request: Request, insurer: str, period: str, sequence: int, user: User) -> Response:
    data, no = await _on_revision(request, insurer, period, sequence, user, service.respond, "fingerprint", "text")
    return no or _back(_revision_url(insurer, period, sequence) + "#f-" + _field(data, "fingerprint"))


@router.post("/filings/{insurer}/{period}/revisions/{sequence}/request")
async def request_dispensation(request: Request, insurer: str, period: str, sequence: int, user: User) -> Response:
    action = service.request_dispensation
    data, no = await _on_revision(request, insurer, period, sequence, user, action, "fingerprint", "reason")
    return no or _back(_revision_url(insurer, period, sequence) + "#f-" + _field(data, "fingerprint"))


@router.post("/filings/{insurer}/{period}/revisions/{sequence}/sign")
async def sign(request: Request, insurer: str, period: str, sequence: int, user: User) -> Response:
    def signed(engine: Any, user: User, address: str, insurer: str, period: str, sequence: int, attest: str) -> Any:
        return service.sign(engine, user, address, insurer, period, sequence, attest == "yes")

    _, no = await _on_revision(request, insurer, period, sequence, user, signed, "attest")
    return no or _back(_revision_url(insurer, period, sequence) + "#receipt")
