"""The supervisor's board pages: every insurer expected for a period with its status, counts per status, a
status filter, and the board as CSV or XLSX (the same query as `inclusive-check board`, store.board)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..store.board import STATUSES, board_csv, board_xlsx, counts
from ..store.season import calendar_period
from . import service
from .web import User, _period, _portal, render

router = APIRouter(include_in_schema=False)


def _rows(request: Request, user: service.User, period: str) -> tuple[list[dict[str, Any]], str | None]:
    p = _portal(request)
    rows = [row.model_dump() for row in service.board(p.engine, p.config, user, period)]
    wanted = request.query_params.get("status")
    wanted = wanted if wanted in STATUSES else None
    return rows, wanted


@router.get("/board")
def board_page(request: Request, user: User) -> HTMLResponse:
    period = _period(request)
    rows, wanted = _rows(request, user, period)
    shown = [r for r in rows if wanted is None or r["status"] == wanted]
    with _portal(request).engine.connect() as conn:
        season = calendar_period(conn, period) is not None  # else: the insurers with accounts or filings
    return render(
        request,
        "board.html.j2",
        user=user,
        rows=shown,
        period=period,
        counts=counts(rows),
        wanted=wanted,
        season=season,
    )


@router.get("/board/products")
def product_filings_page(request: Request, user: User) -> HTMLResponse:
    """The product filings filed within the period (by filing date), each with its latest revision's status."""
    period = _period(request)
    p = _portal(request)
    rows = service.product_filings(p.engine, p.config, user, period)
    return render(request, "board_products.html.j2", user=user, rows=rows, period=period)


@router.get("/board/export.csv")
def board_csv_export(request: Request, user: User) -> Response:
    period = _period(request)
    rows, wanted = _rows(request, user, period)
    body = board_csv([r for r in rows if wanted is None or r["status"] == wanted])
    return Response(
        "\ufeff" + body,  # a BOM: spreadsheets then read the Chinese names as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="board-{period}.csv"'},
    )


@router.get("/board/export.xlsx")
def board_xlsx_export(request: Request, user: User) -> Response:
    period = _period(request)
    rows, wanted = _rows(request, user, period)
    return Response(
        board_xlsx([r for r in rows if wanted is None or r["status"] == wanted], period),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="board-{period}.xlsx"'},
    )
