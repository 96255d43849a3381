"""The supervisor's views over a period: the board (every insurer expected, with its status) and the market
overview (each insurer's latest judged revision)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from ..contract.outputs import SubmissionResult
from ..periods import period_bounds
from ..results import run_results
from ..store import tables as t
from ..store.board import season_board
from .audit import now
from .config import PortalConfig
from .errors import NotFound
from .models import FilingRow, StatusRow, User
from .revisions import board_rows, check_period


def board(engine: Engine, config: PortalConfig, user: User, period: str) -> list[StatusRow]:
    """Every insurer the register expects for ``period`` (store.board.season_board) when the calendar lists it;
    otherwise the insurers with filer accounts, stored documents or revisions."""
    if not user.supervisor:
        raise NotFound("no board")
    check_period(period)
    u, i, r = t.portal_users.c, t.insurers.c, t.portal_revisions.c
    with engine.connect() as conn:
        season = season_board(conn, period, now().date())
        if season is not None:
            return [StatusRow(**row) for row in season]
        codes = set(conn.execute(select(u.insurer_code).where(u.insurer_code.is_not(None))).scalars())
        codes |= set(conn.execute(select(i.code)).scalars())
        codes |= set(conn.execute(select(r.insurer_code).where(r.period == period).distinct()).scalars())
        return [StatusRow(**row) for row in board_rows(conn, config, period, sorted(codes))]


def product_filings(engine: Engine, config: PortalConfig, user: User, period: str) -> list[FilingRow]:
    """Every product filing filed within ``period`` (by its filing date), with the status of its latest revision."""
    if not user.supervisor:
        raise NotFound("no board")
    check_period(period)
    start, end = period_bounds(period)
    r = t.portal_revisions.c
    with engine.connect() as conn:
        keys = conn.execute(
            select(r.insurer_code, r.period)
            .where(r.product_code.is_not(None), r.filing_date >= start, r.filing_date <= end)
            .distinct()
        ).all()
        rows = [FilingRow(**board_rows(conn, config, key, [code])[0], period=key) for code, key in keys]
    return sorted(rows, key=lambda x: (x.insurer, x.filing_date or start, x.product_code or ""))


def market(engine: Engine, user: User, period: str) -> list[tuple[str, SubmissionResult]]:
    """Each insurer's latest judged revision for ``period``, as the results contract (the market overview)."""
    if not user.supervisor:
        raise NotFound("no market overview")
    check_period(period)
    r = t.portal_revisions.c
    latest = (
        select(r.insurer_code, func.max(r.sequence).label("sequence"))
        .where(r.period == period, r.run_id.is_not(None))
        .group_by(r.insurer_code)
        .subquery()
    )
    with engine.connect() as conn:
        runs = conn.execute(
            select(r.insurer_code, r.run_id)
            .join(latest, (latest.c.insurer_code == r.insurer_code) & (latest.c.sequence == r.sequence))
            .where(r.period == period)
            .order_by(r.insurer_code)
        ).all()
        return [(code, run_results(conn, run_id, include_passes=False).submissions[0]) for code, run_id in runs]
