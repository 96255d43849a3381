"""Prototype (issue 7): findings of the per-product rules written by SQL alone, no Python per product.

Not part of the package. It shows what the profile asks for: at market scale the run spends most of its
time formatting one Verdict per dedicated product in Python (IC08-PREMIUM-RATE, IC12-FEE-RATE,
IC08-TARGET-GROUPS) and sending the rows back to the database. Here each of those rules gives a SELECT
whose columns are the finding (subject, status, expected, actual, margin), its ``findings_query``, which
the engine (``engine._insert_from_select``) writes with one ``INSERT INTO findings ... SELECT``. Texts and
margins are the ones the Python rules make, exactly:

* SQLite keeps rates as REAL. A Rate has at most 15 decimal places (max_digits=15 counts them), so
  ``N = CAST(ROUND(rate * 1e15) AS INTEGER)`` is the filed decimal times 10**15, exactly (N <= 10**15 <
  2**53, and the product is within 0.25 of N). The percentage is N / 10**13 written out with its
  fraction's trailing zeros cut; the margin is ``(N_theirs - N_mine) / 1e15``, the correctly rounded
  double of the exact decimal difference: the float Python's ``Decimal`` subtraction stores.
* PostgreSQL keeps NUMERIC: ``trim_scale(rate * 100)`` is the percentage, ``theirs - mine`` the margin.

Use: ``install()`` gives the three rule modules their ``findings_query`` in this process
(``python bench/market.py --proto`` runs the CLI with it; ``PYTHONPATH=bench pytest -p proto_sql_findings
tests`` runs the whole suite, rule cases on SQLite and PostgreSQL included, with it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Numeric,
    Select,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
)

_SCALE = 10**15  # 10 ** max decimal places of a Rate
_PCT = 10**13  # rate * 100 = N / 10**13


def _text(value: Any) -> Any:
    from sqlalchemy import Text

    return cast(value, Text)


def pct(dialect: str, rate: Any) -> Any:
    """SQL for ``rules.base.percent(exact(rate))``."""
    if dialect == "sqlite":
        n = cast(func.round(rate * literal_column("1e15")), Integer)
        fraction = func.rtrim(func.substr("0000000000000" + _text(n % _PCT), -13), "0")
        return _text(n // _PCT) + case((n % _PCT == 0, ""), else_="." + fraction) + "%"
    return _text(func.trim_scale(rate * 100)) + "%"


def margin(dialect: str, own: Any, theirs: Any) -> Any:
    """SQL for ``exact(theirs) - exact(own)`` as the database stores it."""
    if dialect == "sqlite":
        n_own = cast(func.round(own * literal_column("1e15")), Integer)
        n_theirs = cast(func.round(theirs * literal_column("1e15")), Integer)
        return (n_theirs - n_own) / literal_column("1e15")
    return func.trim_scale(theirs - own)


def below_comparable_query(conn: Connection, scope: Any, own: Any, comparable: Any, field: str,
                           applies: Any = None) -> Select[Any]:
    from inclusive_check.rules.base import status_case
    from inclusive_check.store import tables as t

    rs, pr = t.RunSubmission, t.Product
    dialect = conn.dialect.name
    code = func.coalesce(pr.comparable_code, "no comparable product named")
    expected = case((comparable.is_(None), f"{field} below a named comparable"),
                    else_=f"{field} < " + pct(dialect, comparable) + " (" + code + ")")
    actual = case((own.is_(None), f"{field} not reported"),
                  (comparable.is_(None), pct(dialect, own) + f"; comparable {field} not reported (" + code + ")"),
                  else_=pct(dialect, own))
    return (
        select(rs.submission_id.label("submission_id"), (pr.pointer + f"/{field}").label("subject"),
               status_case(own < comparable, indeterminate=(own.is_(None) | comparable.is_(None))),
               expected.label("expected"), actual.label("actual"),
               case((own.is_(None) | comparable.is_(None), null()), else_=margin(dialect, own, comparable))
               .label("margin"),
               literal("").label("key"), pr.id.label("ordinal"))
        .join(pr, pr.submission_id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True), true() if applies is None else applies)
    )


def target_groups_query(conn: Connection, scope: Any, p: Any) -> Select[Any]:
    from inclusive_check.rules.base import status_case
    from inclusive_check.store import tables as t

    rs, pr = t.RunSubmission, t.Product
    trim = func.trim if conn.dialect.name == "sqlite" else func.btrim
    groups = func.replace(trim(pr.target_groups, ","), ",", ", ")
    return (
        select(rs.submission_id.label("submission_id"), (pr.pointer + "/target_groups").label("subject"),
               status_case(pr.target_group_count > 0), literal("at least 1 target group").label("expected"),
               case((groups == "", "none"), else_=groups).label("actual"), cast(null(), Numeric).label("margin"),
               literal("").label("key"), pr.id.label("ordinal"))
        .join(pr, pr.submission_id == rs.submission_id)
        .where(scope.where(), pr.dedicated_inclusive.is_(True))
    )


def install() -> None:
    from inclusive_check.rules import ic08_premium_rate, ic08_target_groups, ic12_fee_rate
    from inclusive_check.rules.base import channel_used
    from inclusive_check.store import tables as t

    pr = t.Product
    ic08_premium_rate.findings_query = lambda conn, scope, p: below_comparable_query(  # type: ignore[attr-defined]
        conn, scope, pr.premium_rate, pr.comparable_premium_rate, "premium_rate")
    ic12_fee_rate.findings_query = lambda conn, scope, p: below_comparable_query(  # type: ignore[attr-defined]
        conn, scope, pr.intermediary_fee_rate, pr.comparable_fee_rate, "intermediary_fee_rate",
        channel_used(p.intermediary_channels))
    ic08_target_groups.findings_query = target_groups_query  # type: ignore[attr-defined]


def pytest_configure(config: Any) -> None:  # ``pytest -p bench.proto_sql_findings``: the suite with the prototype
    install()
