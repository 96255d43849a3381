"""Server-rendered pages (Jinja2, the HTML report's CSS, no script): usable without JavaScript, zh/en.

Sessions are cookies (HttpOnly, SameSite=Lax) whose SHA-256 is stored; every form that changes state carries a
CSRF token that must equal the ``ic_csrf`` cookie (double submit; SameSite=Strict)."""

from __future__ import annotations

import hmac
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..i18n import cite
from ..periods import PERIOD
from ..reports.charts import Bar, score_bars
from . import service
from .decisions import rejudger
from .http import CSRF_COOKIE, SESSION_COOKIE, Portal, new_secret, read_body, read_upload
from .texts import LANGS, text

router = APIRouter(include_in_schema=False)
_env = Environment(
    loader=PackageLoader("inclusive_check.portal", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.tests["blocking_finding"] = service.blocking_finding  # blocking findings come first, with a badge


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


async def form(request: Request, max_files: int = 0) -> dict[str, Any]:
    """The posted form, after the CSRF check (its ``csrf`` field must equal the cookie)."""
    limit = _portal(request).config.max_upload_bytes + 2**16  # the file's limit and the form's other fields
    # read while it streams (chunked or not) and refused as soon as it passes the limit: only then parsed, so
    # nothing beyond the limit is ever spooled to disk
    request._body = await read_body(request, limit)
    data = await request.form(max_files=max_files, max_fields=20)
    given, cookie = data.get("csrf"), request.cookies.get(CSRF_COOKIE)
    if not isinstance(given, str) or not cookie or not hmac.compare_digest(given, cookie):
        raise BadCsrf()
    return dict(data)


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


@router.post("/upload")
async def upload(request: Request, user: User) -> Response:
    data = await form(request, max_files=1)
    period, file = _field(data, "period").strip(), data.get("file")
    if user.supervisor or user.insurer is None:
        raise service.NotFound("supervisors do not upload")
    if not PERIOD.match(period) or not isinstance(file, UploadFile):
        message = "give a period (2025 or 2025-Q4) and choose a file"
        return render(request, "message.html.j2", status=422, message=message, back="/")
    p = _portal(request)
    raw = await read_upload(file, p.config.max_upload_bytes)
    suffix = ".yaml" if (file.filename or "").lower().endswith((".yaml", ".yml")) else ".json"
    try:
        sequence = await run_in_threadpool(
            service.upload,
            p.engine,
            p.ruleset,
            user,
            _address(request),
            user.insurer,
            period,
            raw,
            suffix,
            p.as_of,
        )
    except service.Conflict as exc:
        return refused(request, exc, "/")
    return _back(f"/filings/{user.insurer}/{period}/revisions/{sequence}")


@router.get("/filings/{insurer}/{period}")
def filing_page(request: Request, insurer: str, period: str, user: User) -> HTMLResponse:
    p = _portal(request)
    filing = service.filing(p.engine, p.config, user, insurer, period)
    if not filing["revisions"]:
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


# --- supervisors ---------------------------------------------------------------------------------------------


def _period(request: Request) -> str:
    period = request.query_params.get("period", "")
    return period if PERIOD.match(period) else str(date.today().year - 1)


@router.get("/filings/{insurer}/{period}/diff")
def diff_page(request: Request, insurer: str, period: str, user: User) -> HTMLResponse:
    try:
        before, after = int(request.query_params["before"]), int(request.query_params["after"])
    except (KeyError, ValueError):
        raise service.Unprocessable("choose two revisions to compare") from None
    result = service.diff(_portal(request).engine, user, insurer, period, before, after)
    return render(
        request, "diff.html.j2", user=user, insurer=insurer, period=period, diff=result, before=before, after=after
    )


@router.post("/filings/{insurer}/{period}/review")
async def review(request: Request, insurer: str, period: str, user: User) -> Response:
    data = await form(request)
    back = f"/filings/{insurer}/{period}"
    try:
        await run_in_threadpool(
            service.review,
            _portal(request).engine,
            user,
            _address(request),
            insurer,
            period,
            _field(data, "action"),
            _field(data, "note"),
        )
    except (service.Conflict, service.Unprocessable) as exc:
        return refused(request, exc, back)
    return _back(back)


@router.get("/requests")
def requests_page(request: Request, user: User) -> HTMLResponse:
    rows = service.dispensation_requests(_portal(request).engine, user, None)
    return render(request, "requests.html.j2", user=user, rows=rows, today=date.today())


@router.post("/requests/{request_id}/decision")
async def decide(request: Request, request_id: int, user: User) -> Response:
    data = await form(request)
    try:
        expires = date.fromisoformat(_field(data, "expires")) if _field(data, "expires") else None
    except ValueError:
        return refused(request, service.Unprocessable("the expiry is not a date (YYYY-MM-DD)"), "/requests")
    try:
        await run_in_threadpool(
            service.decide,
            _portal(request).engine,
            user,
            _address(request),
            request_id,
            _field(data, "decision") == "approve",
            expires,
            _field(data, "note"),
            rejudger(_portal(request).ruleset, _portal(request).as_of),
        )
    except (service.Conflict, service.Unprocessable) as exc:
        return refused(request, exc, "/requests")
    return _back("/requests")


@router.get("/audit")
def audit_page(request: Request, user: User) -> HTMLResponse:
    rows = service.audit_log(_portal(request).engine, user)
    return render(request, "audit.html.j2", user=user, rows=rows)


@router.get("/market")
def market_page(request: Request, user: User) -> HTMLResponse:
    period = _period(request)
    docs = service.market(_portal(request).engine, user, period)
    lang = _lang(request)
    bars = [
        Bar(
            label=code,
            value=None if d.score is None or d.score.compliance is None else Decimal(d.score.compliance),
            href=f"/filings/{code}/{period}",
            blocking=bool(d.score and d.score.blocking),
            band=d.score.band if d.score else "none",
        )
        for code, d in docs
    ]
    chart = score_bars("scores", text("scores_chart", lang), bars) if bars else None

    section = market_section(_portal(request), period, lang)
    return render(request, "market.html.j2", user=user, period=period, chart=chart, docs=docs, section=section)


def market_section(portal: Portal, period: str, lang: str) -> Markup | None:
    """The supervisors' market page's section: the market picture of ``period`` by region (insurers named: the
    page is for supervisors only), with targets; None when nothing is stored for the period."""
    from ..market import MarketError, market
    from ..reports.market import section

    try:
        with portal.engine.connect() as conn:
            return section(market(conn, portal.ruleset, "region", period, None, True), lang)
    except MarketError:
        return None
