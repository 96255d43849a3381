"""The supervisor's review pages: compare revisions, accept or return a signed filing, the dispensation requests
and their decisions, the audit log and the market overview (the board is in board.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ..reports.charts import Bar, score_bars
from . import service
from .decisions import rejudger
from .http import Portal
from .texts import text
from .web import User, _address, _back, _field, _lang, _period, _portal, form, refused, render

router = APIRouter(include_in_schema=False)


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
