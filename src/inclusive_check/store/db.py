"""Engines and migrations. SQLite file by default; PostgreSQL (or any SQLAlchemy URL) by choice."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///inclusive-check.db"
MEMORY_URL = "sqlite://"
_MIGRATION_LOCK = 734_201  # PostgreSQL advisory lock id: one migrator at a time


class DatabaseError(Exception):
    """The database cannot be reached or is not in a usable state; the message says what to do."""


def resolve_url(url: str | None) -> str:
    return url or os.environ.get("INCLUSIVE_CHECK_DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None) -> Engine:
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            kwargs.update(connect_args={"timeout": 60})
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"no driver for {parsed.drivername}: {exc}. For PostgreSQL install the extra: "
                            "pip install 'inclusive-check[postgres]' and use postgresql+psycopg://") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("inclusive_check.migrations")))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """One migrator at a time: a PostgreSQL advisory lock, or a lock file beside a SQLite database."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database not in (None, "", ":memory:"):
        import fcntl

        with open(f"{database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with engine.begin() as conn:
                yield conn
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        yield conn


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    try:
        with _migration_lock(engine) as conn:
            command.upgrade(alembic_config(conn), revision)
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database {engine.url!r}: {exc.orig}") from None


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migration_lock(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


def current(engine: Engine) -> str | None:
    """The schema revision the database is at (None: no schema), read without importing Alembic."""
    try:
        with engine.connect() as conn:
            if not conn.dialect.has_table(conn, "alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database {engine.url!r}: {exc.orig}") from None


# The newest migration. A test holds it to Alembic's own head; a constant, so that opening a database that
# is up to date costs no Alembic import (about a quarter of a second of every command's start).
HEAD = "0005"


def head() -> str:
    return HEAD


def open_store(url: str | None = None) -> Engine:
    """An engine on a database migrated to the latest schema (upgrading it when behind)."""
    engine = make_engine(url)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        from .tables import Base

        Base.metadata.create_all(engine)
        return engine
    if current(engine) != head():
        upgrade(engine)
    return engine
