"""Engines and migrations. SQLite file by default; PostgreSQL (or any SQLAlchemy URL) by choice."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from .columns import sqlite_functions

DEFAULT_URL = "sqlite:///inclusive-check.db"
MEMORY_URL = "sqlite://"
_MIGRATION_LOCK = 734_201  # PostgreSQL advisory lock id: one migrator at a time
SQLITE_BUSY_SECONDS = 60.0  # how long a SQLite writer waits for another one (URL ?timeout=N overrides)


class DatabaseError(Exception):
    """The database cannot be reached or is not in a usable state; the message says what to do (exit 4)."""


class NoDatabase(DatabaseError):
    """A reading command was pointed at a SQLite file that does not exist (and will not be created)."""


def resolve_url(url: str | None) -> str:
    return url or os.environ.get("INCLUSIVE_CHECK_DATABASE_URL") or DEFAULT_URL


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


# The URL each engine was made from, as the user gave it (password hidden): a read-only SQLite engine runs on a
# rewritten file: URI, which no message should name. And the SQLite files in use, so that a fault of the disk
# can be told apart (full, read-only, missing folder) where SQLite says only "disk I/O error".
_GIVEN: dict[URL, str] = {}
_SQLITE_FILES: set[str] = set()


def shown_url(engine: Engine) -> str:
    """The database URL as the user gave it, password hidden."""
    return _GIVEN.get(engine.url) or _shown(str(engine.url))


def _check_url(url: str) -> URL:
    """The parsed URL, or a DatabaseError naming what is wrong with it (before any connection is tried)."""
    if any(ch in url for ch in "\n\r\t\x00"):
        raise DatabaseError(
            "the database URL contains a newline or other control character; check --db and "
            "INCLUSIVE_CHECK_DATABASE_URL (e.g. a trailing newline from a file)"
        )
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - parses the port
    except ArgumentError:
        hint = f"; for a SQLite file write sqlite:///{url}" * ("://" not in url)  # /abs/x.db -> sqlite:////abs/x.db
        raise DatabaseError(f"not a database URL: {url!r}{hint}") from None
    except ValueError:
        raise DatabaseError(
            "the port in the database URL is not a number; e.g. postgresql+psycopg://user@host:5432/db"
        ) from None
    if parsed.drivername in ("postgres", "postgresql"):  # as libpq and Heroku write them: the driver we ship for
        parsed = parsed.set(drivername="postgresql+psycopg")
    numbers = (
        {"connect_timeout": int, "port": int}
        if parsed.get_backend_name() == "postgresql"
        else {"timeout": float}
        if parsed.get_backend_name() == "sqlite"
        else {}
    )
    for key, kind in numbers.items():
        value = parsed.query.get(key)
        if value is None:
            continue
        try:
            kind(value if isinstance(value, str) else value[-1])
        except ValueError:
            raise DatabaseError(f"{key}={value!r} in the database URL is not a number") from None
    return parsed


def _sqlite_file(parsed: URL) -> str | None:
    """The file of a SQLite URL (None: in memory)."""
    database = parsed.database
    if database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") in ("true", "1") and database.startswith("file:"):
        return database[5:].split("?", 1)[0]
    return database


def make_engine(url: str | None = None, read_only: bool = False) -> Engine:
    """An engine on ``url``. ``read_only``: never create or write anything (a SQLite file must exist, and is
    opened read-only, immutable when neither it nor its folder may be written)."""
    url = resolve_url(url)
    parsed = _check_url(url)
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        file = _sqlite_file(parsed)
        if file is None:
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            if "timeout" not in parsed.query:
                kwargs.update(connect_args={"timeout": SQLITE_BUSY_SECONDS})
            if read_only:
                parsed = _read_only_sqlite(parsed, file)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(
            f"no driver for {parsed.drivername}: {exc}. For PostgreSQL install psycopg 3 (the postgres extra): "
            "pip install 'psycopg[binary]>=3.1' and use postgresql+psycopg://"
        ) from None
    _GIVEN[engine.url] = _shown(url)
    if sqlite and file is not None:
        _SQLITE_FILES.add(os.path.abspath(file))
    if sqlite:
        event.listen(engine, "connect", _sqlite_read_pragmas if read_only else _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", _postgres_session)
    return engine


def _postgres_session(dbapi_connection: Any, _record: Any) -> None:
    """Stored documents compressed with lz4 where the server has it (PostgreSQL 14+ built with lz4; otherwise
    its default, pglz): pglz takes about 60 ms to store a 2 MiB submission, lz4 about 17 ms."""
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET default_toast_compression = 'lz4'")
        cursor.close()
    except Exception:  # an older server, or one built without lz4: keep its default
        dbapi_connection.rollback()
    else:
        dbapi_connection.commit()  # a SET made in a transaction that is rolled back is undone


def _read_only_sqlite(parsed: URL, file: str) -> URL:
    path = Path(file)
    if not path.is_file():
        raise NoDatabase(
            f"no database at {file}: nothing stored yet (`inclusive-check ingest` creates it), "
            "or give --db / INCLUSIVE_CHECK_DATABASE_URL"
        )
    if parsed.query.get("uri") in ("true", "1"):
        return parsed
    absolute = path.resolve()
    writable = os.access(absolute, os.W_OK) and os.access(absolute.parent, os.W_OK)
    # pysqlite passes the query's other parameters on to SQLite's URI
    extra = {"mode": "ro", "uri": "true"} if writable else {"mode": "ro", "immutable": "1", "uri": "true"}
    return parsed.set(database=f"file:{quote(str(absolute))}", query={**parsed.query, **extra})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin, not by the driver
    sqlite_functions(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    sqlite_functions(dbapi_connection)
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN on SQLite; BEGIN IMMEDIATE for a writer (``writing(engine)``), which takes the write lock first and
    so never reads a snapshot it then cannot write from (SQLITE_BUSY_SNAPSHOT), waiting its turn instead."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ic_writer") else "BEGIN")


def writing(engine: Engine) -> Engine:
    """``engine`` for a writing transaction: ``with writing(engine).begin() as conn`` (see ``_sqlite_begin``)."""
    return engine.execution_options(ic_writer=True)


def advisory_lock(conn: Connection, *parts: str) -> None:
    """On PostgreSQL, hold a transaction-scoped lock on ``parts`` (e.g. an insurer, kind and document key) until
    commit: writers of the same thing take turns. SQLite needs none (a writer holds the database lock)."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest, "big", signed=True)})


def advisory_locks(conn: Connection, many: list[tuple[str, ...]]) -> None:
    """``advisory_lock`` on each of ``many`` in one statement, taken in the order of their keys (every caller
    takes them in that order, so two never deadlock): 10,000 locks cost one round trip, not 10,000."""
    if conn.dialect.name != "postgresql" or not many:
        return
    keys = sorted(
        {
            int.from_bytes(hashlib.blake2b("\x1f".join(p).encode("utf-8"), digest_size=8).digest(), "big", signed=True)
            for p in many
        }
    )
    conn.execute(
        text("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) s"),
        {"keys": keys},
    )


def refresh_statistics(conn: Connection) -> None:
    """On PostgreSQL, ANALYZE the products when their planner statistics are missing or describe less than
    half of the rows stored since: the rules' joins are planned from them. A 4,000-product submission judged in
    a new database took 5 s without them and 0.4 s with them; at a million products, 0.9 s. Only one
    transaction analyzes at a time (the others go on with the statistics there are). SQLite: nothing."""
    if conn.dialect.name != "postgresql":
        return
    reltuples, changed = conn.execute(
        text(
            "SELECT c.reltuples, coalesce(s.n_mod_since_analyze, 0) FROM pg_class c "
            "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'products'::regclass"
        )
    ).one()
    if reltuples >= 0 and changed <= max(reltuples, 1000) / 2:
        return
    digest = hashlib.blake2b(b"inclusive-check:analyze", digest_size=8).digest()
    if conn.execute(
        text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest, "big", signed=True)}
    ).scalar():
        conn.execute(text("ANALYZE products"))


# --- faults: what went wrong with the database or the machine, in plain words ------------------------

_SQLITE_FAULTS = (
    (
        "database is locked",
        "the database is locked by another inclusive-check (or other program) writing to it, "
        "and it stayed locked for the whole wait; try again when that one has finished, or raise "
        "the wait with ?timeout=SECONDS in the database URL",
    ),
    ("database table is locked", "the database is locked by another program; try again later"),
    (
        "disk is full",
        "the disk holding the database is full; free some space and rerun (nothing of the interrupted step was stored)",
    ),
    (
        "attempt to write a readonly database",
        "the database is read-only (file, folder or mount); writing commands "
        "need write access; reading commands (submissions, runs, findings, "
        "report, diff) work as they are",
    ),
    ("readonly database", "the database is read-only; writing commands need write access"),
    ("file is not a database", "the file is not a SQLite database (or is encrypted or damaged)"),
    (
        "database disk image is malformed",
        "the SQLite database file is damaged (malformed); restore it from a backup or ingest again into a new database",
    ),
    ("disk i/o error", "the disk returned an I/O error while reading or writing the database"),
    ("unable to open database file", "cannot open the SQLite database file (missing folder or no permission)"),
    (
        "no such table",
        "the database lacks a table this version needs; it is damaged, was changed by hand or is "
        "not an inclusive-check database",
    ),
)
_PG_CLASSES = {
    "57014": "the PostgreSQL statement took longer than the server allows (statement_timeout) and was cancelled; "
    "raise the timeout for this role or database, or rerun when the server is less busy",
    "53100": "the PostgreSQL server's disk is full; free some space there and rerun",
    "25006": "the PostgreSQL transaction cannot write: the server or the session is read-only (a standby, or "
    "default_transaction_read_only); writing commands need a writable primary",
    "08": "the connection to the PostgreSQL server failed or was lost",
    "53": "the PostgreSQL server ran out of resources (disk, memory or connections)",
    "57": "the PostgreSQL server ended the connection (restarted, shut down, or the session was terminated)",
    "58": "the PostgreSQL server had a system error",
    "XX": "the PostgreSQL server reported an internal error (damaged data?)",
    "25": "the PostgreSQL transaction cannot write (read-only server or transaction)",
    "28": "PostgreSQL refused the login",
    "3D": "the PostgreSQL database does not exist",
    "42P01": "the database lacks a table this version needs; it is damaged, was changed by hand or is not an "
    "inclusive-check database",
    "40": "the PostgreSQL transaction was rolled back (deadlock or serialization failure) too many times",
}


def fault_message(exc: BaseException) -> str | None:
    """A plain message when ``exc`` is a problem of the database or the machine (not of the input or of our
    code), else None. Covers SQLAlchemy's wrappers, the drivers' own errors and OSError (full disk, read-only)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DatabaseError):
        return str(exc)
    if isinstance(exc, OSError):
        return _os_fault(exc)
    orig: BaseException | None = exc.orig if isinstance(exc, DBAPIError) else exc
    detail = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else type(exc).__name__
    import sqlite3

    if isinstance(orig, sqlite3.Error):
        lowered = str(orig).lower()
        if "disk i/o error" in lowered or "unable to open database file" in lowered:
            cause = _sqlite_disk_cause()
            if cause:
                return f"{cause} ({detail})"
        for needle, message in _SQLITE_FAULTS:
            if needle in lowered:
                return f"{message} ({detail})"
        return None  # e.g. a syntax error: a bug, not the environment
    state = getattr(orig, "sqlstate", None) or ""
    if state:
        for prefix in (state, state[:2]):
            if prefix in _PG_CLASSES:
                return f"{_PG_CLASSES[prefix]} ({detail})"
        return None
    module = type(orig).__module__ if orig is not None else ""
    if module.startswith("psycopg") and type(orig).__name__ in ("OperationalError", "InterfaceError"):
        missing = re.search(
            r'server at "([^"]*)", port (\d+) failed: FATAL:\s+database "([^"]*)" does not exist', detail
        )
        if missing:
            host, port, name = missing.groups()
            return f'the PostgreSQL server at {host}:{port} has no database "{name}" (createdb {name}, or fix the URL)'
        return f"cannot reach or lost the PostgreSQL server ({detail})"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"the database connection was lost ({detail})"
    return None


def _sqlite_disk_cause() -> str | None:
    """What is wrong with the folder of a SQLite file in use, when SQLite's own words do not say: a full disk,
    a read-only file system, a missing folder, no permission to write there."""
    for file in sorted(_SQLITE_FILES):
        folder = os.path.dirname(file) or "."
        if not os.path.isdir(folder):
            return f"the folder of the database does not exist ({folder}); create it or give another --db"
        try:
            info = os.statvfs(folder)
        except OSError:
            continue
        if info.f_flag & os.ST_RDONLY:
            return (
                f"the file system holding the database ({folder}) is mounted read-only; writing commands need "
                "write access, reading commands work as they are"
            )
        if info.f_bavail * info.f_frsize < 64 * 1024:
            return f"the disk holding the database ({folder}) is full; free some space and rerun"
        if not os.access(folder, os.W_OK) or (os.path.exists(file) and not os.access(file, os.W_OK)):
            return f"no permission to write the database or its folder ({file}); writing commands need it"
    return None


def _os_fault(exc: OSError) -> str | None:
    import errno

    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device{where}; free some space and rerun"
    if exc.errno == errno.EDQUOT:
        return f"disk quota exceeded{where}"
    if exc.errno == errno.EROFS:
        return f"the file system is read-only{where}"
    if exc.errno == errno.EIO:
        return f"an I/O error from the device{where}"
    return None


def alembic_config(connection: Connection | None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("inclusive_check.migrations")))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """One migrator at a time: a PostgreSQL advisory lock, or a lock file beside a SQLite database."""
    file = _sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if file is not None:
        import fcntl

        with open(f"{file}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with writing(engine).begin() as conn:
                yield conn
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        yield conn


class BadRevision(ValueError):
    """A revision that is no target from where the database is (upgrade to an older one, -5 past base)."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.util import CommandError

    _refuse_newer(engine)
    try:
        with _migration_lock(engine) as conn:
            command.upgrade(alembic_config(conn), revision)
    except CommandError as exc:
        raise BadRevision(f"cannot upgrade to {revision}: {exc}") from None
    except (OperationalError, OSError) as exc:
        raise DatabaseError(f"cannot migrate the database {shown_url(engine)}: {fault_message(exc) or exc}") from None


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.util import CommandError

    _refuse_newer(engine)
    try:
        with _migration_lock(engine) as conn:
            command.downgrade(alembic_config(conn), revision)
    except CommandError as exc:
        raise BadRevision(f"cannot downgrade to {revision}: {exc}") from None


def current(engine: Engine) -> str | None:
    """The schema revision the database is at (None: no schema), read without importing Alembic."""
    try:
        with engine.connect() as conn:
            if not conn.dialect.has_table(conn, "alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        message = fault_message(exc)
        if message is None:
            raise
        raise DatabaseError(f"cannot use the database {shown_url(engine)}: {message}") from None


# The newest migration. A test holds it to Alembic's own head; a constant, so that opening a database that
# is up to date costs no Alembic import (about a quarter of a second of every command's start).
HEAD = "0021"


def head() -> str:
    return HEAD


def known_revisions() -> set[str]:
    """Every revision this version's migrations know (imports Alembic: only when the database is not at head)."""
    from alembic.script import ScriptDirectory

    config = alembic_config(None)
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _refuse_newer(engine: Engine) -> None:
    at = current(engine)
    if at is not None and at != head() and at not in known_revisions():
        raise DatabaseError(
            f"the database schema is at revision {at}, newer than this inclusive-check knows "
            f"(up to {head()}): upgrade inclusive-check (pip install -U inclusive-check) rather than "
            "the database"
        )


def _check_tables(engine: Engine) -> None:
    from .tables import metadata

    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        message = fault_message(exc)
        if message is None:
            raise
        raise DatabaseError(message) from None
    missing = sorted(set(metadata.tables) - present)
    if missing:
        raise DatabaseError(
            f"the database is at schema {head()} but lacks table(s) {', '.join(missing)}: it was "
            "damaged or changed by hand; restore it from a backup"
        )


def open_store(url: str | None = None) -> Engine:
    """An engine for a writing command: on a database migrated to the latest schema (upgrading it when behind)."""
    engine = make_engine(url)
    if engine.url.get_backend_name() == "sqlite" and _sqlite_file(engine.url) is None:
        from .tables import metadata

        # In memory (`check`): the checker's tables, not the portal's nor its notifications'.
        portal = ("portal_", "notify_")
        metadata.create_all(engine, tables=[t for name, t in metadata.tables.items() if not name.startswith(portal)])
        return engine
    if current(engine) != head():
        upgrade(engine)
    _check_tables(engine)
    return engine


def open_reader(url: str | None = None) -> Engine:
    """An engine for a reading command: never migrates, creates or writes anything. An empty database, one that
    is not ours, or one at an older or newer schema is refused with what to do."""
    engine = make_engine(url, read_only=True)
    at = current(engine)
    shown = shown_url(engine)
    if at is None:
        raise DatabaseError(
            f"{shown} has no inclusive-check schema (empty, or not an inclusive-check database); "
            "`inclusive-check ingest` or `inclusive-check db upgrade` creates it"
        )
    if at != head():
        _refuse_newer(engine)
        raise DatabaseError(
            f"{shown} is at schema {at}, older than this version's {head()}; run "
            "`inclusive-check db upgrade` (reading commands never migrate)"
        )
    _check_tables(engine)
    return engine
