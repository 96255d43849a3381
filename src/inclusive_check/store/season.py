"""The stored register and calendar, with history: what `insurers import` and `calendar import` write, and what
the board and the portal read (the current version of each insurer and period)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update

from ..contract.season import CalendarPeriod, RegisteredInsurer
from . import tables as t
from .db import advisory_lock, writing


def _store_versions(
    conn: Connection,
    table: Table,
    key: str,
    items: Sequence[Any],
    key_of: Callable[[Any], str],
    values_of: Callable[[Any], dict[str, Any]],
    source: str,
) -> dict[str, int]:
    """Store each item as a new version when its digest changed; the same item again is a no-op."""
    c = table.c
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    now = datetime.now(UTC).replace(tzinfo=None)
    ordered = sorted(items, key=key_of)
    for item in ordered:  # importers of the same keys take turns (in key order: no deadlock)
        advisory_lock(conn, table.name, key_of(item))
    for item in ordered:
        k = key_of(item)
        latest = conn.execute(
            select(c.version, c.digest).where(c[key] == k).order_by(c.version.desc()).limit(1)
        ).first()
        if latest is not None and latest.digest == item.digest():
            counts["unchanged"] += 1
            continue
        if latest is not None:
            conn.execute(update(table).where(c[key] == k).values(is_current=False))
        conn.execute(
            insert(table).values(
                **{key: k},
                version=(latest.version + 1) if latest else 1,
                is_current=True,
                digest=item.digest(),
                source=source[:1000],
                imported_at=now,
                **values_of(item),
            )
        )
        counts["changed" if latest else "new"] += 1
    return counts


def import_register(engine: Engine, items: Iterable[RegisteredInsurer], source: str) -> dict[str, int]:
    """Store the register's insurers with history, in one transaction (all or nothing)."""

    def values(x: RegisteredInsurer) -> dict[str, Any]:
        return {
            "name_zh": x.name_zh,
            "name_en": x.name_en,
            "institution_group": x.group,
            "ownership": x.ownership,
            "size_class": x.size_class,
            "files": x.files,
        }

    with writing(engine).begin() as conn:
        return _store_versions(conn, t.register_insurers, "code", list(items), lambda x: x.code, values, source)


def import_calendar(engine: Engine, items: Iterable[CalendarPeriod], source: str) -> dict[str, int]:
    """Store the calendar's periods with history, in one transaction (all or nothing)."""

    def values(x: CalendarPeriod) -> dict[str, Any]:
        return {"opens": x.opens, "record": json.dumps(x.as_dict(), ensure_ascii=False, sort_keys=True)}

    with writing(engine).begin() as conn:
        return _store_versions(conn, t.calendar_periods, "period", list(items), lambda x: x.period, values, source)


def _insurer(r: Any) -> RegisteredInsurer:
    return RegisteredInsurer(r.code, r.name_zh, r.name_en, r.institution_group, r.ownership, r.size_class, r.files)


def current_register(conn: Connection) -> list[RegisteredInsurer]:
    """The current version of every registered insurer, by code."""
    c = t.register_insurers.c
    rows = conn.execute(select(t.register_insurers).where(c.is_current.is_(True)).order_by(c.code)).all()
    return [_insurer(r) for r in rows]


def register_history(conn: Connection, code: str) -> list[tuple[int, RegisteredInsurer, datetime]]:
    """Every stored version of one insurer, oldest first: (version, insurer, imported at)."""
    c = t.register_insurers.c
    rows = conn.execute(select(t.register_insurers).where(c.code == code).order_by(c.version)).all()
    return [(r.version, _insurer(r), r.imported_at) for r in rows]


def calendar_period(conn: Connection, period: str) -> CalendarPeriod | None:
    """The current version of ``period`` in the calendar, or None when the calendar does not list it."""
    c = t.calendar_periods.c
    record = conn.execute(
        select(c.record).where(c.period == period, c.is_current.is_(True)).order_by(c.version.desc()).limit(1)
    ).scalar()
    return None if record is None else CalendarPeriod.from_dict(json.loads(record))


def calendar_periods(conn: Connection) -> list[CalendarPeriod]:
    """Every period of the calendar (current versions), in period order."""
    c = t.calendar_periods.c
    rows = conn.execute(select(c.record).where(c.is_current.is_(True)).order_by(c.period)).scalars()
    return [CalendarPeriod.from_dict(json.loads(r)) for r in rows]


def calendar_versions(conn: Connection, period: str) -> int:
    """How many versions of ``period`` are stored (0: never imported)."""
    c = t.calendar_periods.c
    return len(conn.execute(select(c.id).where(c.period == period)).all())


def calendar_is_empty(conn: Connection) -> bool:
    """Whether no calendar was ever imported (then every period is open: the portal as before the calendar)."""
    return conn.execute(select(t.calendar_periods.c.id).limit(1)).first() is None
