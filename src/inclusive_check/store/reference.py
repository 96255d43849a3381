"""Stored reference figures and targets, with history: what `reference import` and `targets import` write and
`market` reads (the latest version of each value)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select, update

from ..contract.reference import Entry
from . import tables as t
from .db import advisory_lock, writing


def _table(kind: str) -> tuple[Table, str, str]:
    """The table of ``kind``, the column naming the value and the column holding its text."""
    if kind == "reference":
        return t.reference_values, "indicator", "source"
    return t.targets, "indicator", "citation"


def import_entries(engine: Engine, kind: str, entries: Iterable[Entry], file: str) -> dict[str, int]:
    """Store ``entries`` of ``kind`` (reference or targets): a changed value or text becomes a new version and
    the earlier stay; the same one again is a no-op. Counts of new, changed and unchanged values."""
    table, key_column, text_column = _table(kind)
    c = table.c
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    now = datetime.now(UTC).replace(tzinfo=None)
    with writing(engine).begin() as conn:
        ordered = sorted(entries, key=lambda e: (e.region, e.year, e.key))
        for e in ordered:  # importers take turns per value (see store.dispensations)
            advisory_lock(conn, kind, f"{e.region}/{e.year}/{e.key}")
        for e in ordered:
            same = and_(c.region == e.region, c.year == e.year, c[key_column] == e.key)
            latest = conn.execute(
                select(c.version, c.value, c[text_column]).where(same).order_by(c.version.desc()).limit(1)
            ).first()
            if latest is not None and Decimal(str(latest.value)) == e.value and latest[2] == e.text:
                counts["unchanged"] += 1
                continue
            if latest is not None:
                conn.execute(update(table).where(same).values(is_latest=False))
            conn.execute(
                insert(table).values(
                    region=e.region,
                    year=e.year,
                    **{key_column: e.key, text_column: e.text},
                    value=e.value,
                    version=(latest.version + 1) if latest else 1,
                    is_latest=True,
                    file=file,
                    imported_at=now,
                )
            )
            counts["changed" if latest else "new"] += 1
    return counts


def latest(conn: Connection, kind: str) -> list[Any]:
    """The latest version of every stored value of ``kind``: rows (region, year, indicator, value, text, version)."""
    table, key_column, text_column = _table(kind)
    c = table.c
    query = select(
        c.region, c.year, c[key_column].label("indicator"), c.value, c[text_column].label("text"), c.version
    ).where(c.is_latest.is_(True))
    return list(conn.execute(query.order_by(c.region, c.year, c[key_column])))


def history(conn: Connection, kind: str) -> list[Any]:
    """Every stored version of ``kind``, oldest first per value."""
    table, key_column, text_column = _table(kind)
    c = table.c
    query = select(
        c.region, c.year, c[key_column].label("indicator"), c.value, c[text_column].label("text"), c.version,
        c.is_latest, c.file, c.imported_at,
    )  # fmt: skip
    return list(conn.execute(query.order_by(c.region, c.year, c[key_column], c.version)))
