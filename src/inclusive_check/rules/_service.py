"""The shared shape of item 11's service rules: flags judged only for an insurer that sells an inclusive product.

Item 11 is about the service of inclusive insurance (提升普惠保险服务质量): its duties are owed to the customers of
inclusive products, so an insurer that sells none (no product dedicated, naming a target group or a risk area)
is not judged, and says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection

from ..store import tables as t
from .base import Scope, flag_findings, sells_inclusive, submission_scope
from .findings import Finding, finding

NONE_SOLD = "no inclusive product is sold"
SOLD = "an inclusive product on sale"


def not_selling(conn: Connection, scope: Scope) -> set[int]:
    """The submissions in scope that sell no inclusive product."""
    none_sold = submission_scope(scope).with_only_columns(t.submissions.c.id).where(~sells_inclusive())
    return set(conn.execute(none_sold).scalars())


def service_flags(conn: Connection, scope: Scope, fields: dict[str, str]) -> Iterator[Finding]:
    """``flag_findings`` for an insurer that sells an inclusive product; not applicable, with the reason, for
    one that sells none."""
    none = not_selling(conn, scope)
    for f in flag_findings(conn, scope, fields):
        if f.submission_id not in none:
            yield f
        else:
            yield finding(f.submission_id, "/service", "not_applicable", SOLD, NONE_SOLD)
