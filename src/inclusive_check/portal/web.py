"""The pages' plumbing: templates (Jinja2, autoescaped), the signed-in user, the language, forms read bounded and
checked for CSRF (double submit: the form's ``csrf`` field equals the ``ic_csrf`` cookie, SameSite=Strict), and
the pages' answers to a refusal. The page routes (pages.py, review_pages.py, board.py, intake.py, bulk.py ...)
take these."""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from ..i18n import cite
from ..periods import PERIOD
from ..traceability import Entry, load_traceability
from . import service
from .http import CSRF_COOKIE, SESSION_COOKIE, Portal, new_secret, read_body
from .security import csrf_ok
from .texts import LANGS, text

_env = Environment(
    loader=PackageLoader("inclusive_check.portal", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.tests["blocking_finding"] = service.blocking_finding  # blocking findings come first, with a badge


@functools.cache
def _sentences() -> dict[str, tuple[Entry, ...]]:
    by_rule: dict[str, list[Entry]] = {}
    for entry in load_traceability().entries:
        for rule_id in entry.rules:
            by_rule.setdefault(rule_id, []).append(entry)
    return {rule_id: tuple(entries) for rule_id, entries in by_rule.items()}


def guidance(rule_id: str) -> tuple[Entry, ...]:
    """The guidance sentences a rule rests on (traceability.yaml, the rules matrix), in the guidance's order."""
    return _sentences().get(rule_id, ())


_env.globals["guidance"] = guidance  # beside each finding: the sentence it rests on
_env.tests["needs_response"] = service.needs_response  # the findings a bulk workbook answers


class LoginRequired(Exception):
    pass


class BadCsrf(Exception):
    pass


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def _address(request: Request) -> str:
    return request.client.host if request.client else "-"


def _lang(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("ic_lang") or "zh"
    return chosen if chosen in LANGS else "zh"


async def page_user(request: Request) -> service.User:
    token = request.cookies.get(SESSION_COOKIE)
    user = await run_in_threadpool(service.session_user, _portal(request).engine, token) if token else None
    if user is None:
        raise LoginRequired()
    return user


User = Annotated[service.User, Depends(page_user)]


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    csrf = request.cookies.get(CSRF_COOKIE) or new_secret()
    html = _env.get_template(template).render(
        t=lambda key: text(key, lang),
        cite=lambda item: cite(item, lang),
        lang=lang,
        csrf=csrf,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    secure = _portal(request).config.secure_cookies
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("ic_lang", _lang(request), samesite="lax", secure=secure)
    return response


async def form(
    request: Request, max_files: int = 0, max_fields: int = 20, multi: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The posted form, after the CSRF check (its ``csrf`` field must equal the cookie)."""
    limit = _portal(request).config.max_upload_bytes + 2**16  # the file's limit and the form's other fields
    # read while it streams (chunked or not) and refused as soon as it passes the limit: only then parsed, so
    # nothing beyond the limit is ever spooled to disk
    request._body = await read_body(request, limit)
    data = await request.form(max_files=max_files, max_fields=max_fields)
    if not csrf_ok(data.get("csrf"), request.cookies.get(CSRF_COOKIE)):
        raise BadCsrf()
    return {**dict(data), **{name: [v for v in data.getlist(name) if isinstance(v, str)] for name in multi}}


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def refused(request: Request, exc: Exception, back: str) -> HTMLResponse:
    status = 409 if isinstance(exc, service.Conflict) else 422
    return render(request, "message.html.j2", status=status, message=str(exc), back=back)


def install_page_handlers(app: Any) -> None:
    async def login_required(request: Request, exc: Exception) -> Response:
        if request.method == "GET":
            return _back("/login")
        return render(request, "message.html.j2", status=401, message=text("login", _lang(request)), back="/login")

    async def bad_csrf(request: Request, exc: Exception) -> Response:
        message = "the form's security token did not match; reload the page and try again"
        return render(request, "message.html.j2", status=403, message=message, back=request.url.path)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(BadCsrf, bad_csrf)


def _period(request: Request) -> str:
    period = request.query_params.get("period", "")
    return period if PERIOD.match(period) else str(date.today().year - 1)
