"""The public page of the portal: ``/public/market`` (and its CSV), item 18's market figures for anyone, without
a login. It shows only the public view (market_public.py): aggregates naming no insurer, small or dominated
cells withheld with complementary suppression. Its only input is ``period`` (and ``lang``); anything else is
ignored, and a period that is not YYYY or YYYY-Qn is a 400 with a plain message."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection, func, select

from ..contract.market_outputs import PublicMarket
from ..market import MarketError
from ..market_public import public_market
from ..periods import PERIOD
from ..reports import market_public as views
from ..store import tables as t
from .web import _lang, _portal, render

router = APIRouter(include_in_schema=False)
TEXTS = {
    "bad_period": {
        "en": "period must be a year (2025) or a quarter (2025-Q4)",
        "zh": "报告期须为年份（2025）或季度（2025-Q4）",
    },
    "nothing": {"en": "no figures are published for this period", "zh": "该报告期无公开数据"},
}


class _Refused(Exception):
    def __init__(self, status: int, key: str) -> None:
        self.status, self.key = status, key


def _public(request: Request) -> tuple[str | None, PublicMarket]:
    period = request.query_params.get("period") or None
    if period is not None and not PERIOD.match(period):
        raise _Refused(400, "bad_period")
    portal = _portal(request)
    try:
        with portal.engine.connect() as conn:
            key = (str(portal.engine.url), period, portal.ruleset.sha256, *_stored(conn))
            with _LOCK:
                known = _CACHE.get(key)
            if known is None:
                known = public_market(conn, portal.ruleset, period)
                with _LOCK:
                    while len(_CACHE) >= 32:
                        _CACHE.pop(next(iter(_CACHE)))
                    _CACHE[key] = known
            return period, known
    except MarketError:
        raise _Refused(404, "nothing") from None


# The public view of what is stored, by what is stored: the page needs no login, so each request must not cost a
# pass over the whole market. Any new revision or run changes the key (a few cheap MAX queries) and recomputes.
_CACHE: dict[tuple[Any, ...], PublicMarket] = {}
_LOCK = threading.Lock()


def _stored(conn: Connection) -> tuple[Any, ...]:
    s, sc = t.submissions.c, t.scores.c
    documents = select(func.max(s.id), func.count(s.id), func.max(s.ingested_at)).where(s.is_latest.is_(True))
    runs = select(func.max(sc.run_id), func.count(sc.run_id))
    return (*conn.execute(documents).one(), *conn.execute(runs).one())


def _refused(request: Request, exc: _Refused) -> HTMLResponse:
    message = TEXTS[exc.key][_lang(request)]
    return render(request, "message.html.j2", status=exc.status, message=message, back="/public/market")


@router.get("/public/market")
def public_market_page(request: Request) -> HTMLResponse:
    try:
        period, m = _public(request)
    except _Refused as exc:
        return _refused(request, exc)
    csv_href = "/public/market.csv" + (f"?period={period}" if period else "")
    section = views.section(m, _lang(request), csv_href)
    return render(request, "public_market.html.j2", section=section, period=period or "")


@router.get("/public/market.csv")
def public_market_csv(request: Request) -> Response:
    try:
        period, m = _public(request)
    except _Refused as exc:
        return _refused(request, exc)
    name = f"public-market-{period}.csv" if period else "public-market.csv"
    return Response(
        views.public_csv(m),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
