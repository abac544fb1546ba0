"""The metadata database: one SQLAlchemy engine per process, set up for its dialect."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
    # WAL lets readers run beside the one writer; synchronous=FULL makes every commit durable
    # across a power loss (NORMAL would only survive a process crash); foreign keys are off in
    # SQLite unless asked for; busy_timeout waits for the writer lock instead of failing.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_BEGIN = {
    "IMMEDIATE": "BEGIN IMMEDIATE",
    "DEFERRED": "BEGIN DEFERRED",
    "EXCLUSIVE": "BEGIN EXCLUSIVE",
}


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's own transaction handling is turned off (isolation_level=None) and BEGIN is
    # emitted here. A deferred BEGIN lets two writers both read, then one fails to upgrade
    # its lock ("database is locked") without waiting; BEGIN IMMEDIATE takes the write lock
    # up front, so concurrent writers queue on busy_timeout instead. Read-only units of work
    # ask for DEFERRED and run beside the writer (WAL).
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    if mode == "JOINED":
        # A connection joining a transaction its owner began on the driver connection.
        return
    # Straight to the driver: every write transaction starts here, and SQLAlchemy's statement
    # machinery would cost more than the BEGIN itself.
    conn.connection.driver_connection.execute(_BEGIN[mode])


def _sqlite_end_failed_commit(dbapi_connection: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
    # A COMMIT that fails on a deferred foreign key leaves SQLite's transaction open, while
    # SQLAlchemy counts it as ended and skips the rollback on return to the pool.
    if dbapi_connection.in_transaction:
        dbapi_connection.rollback()


def create_db_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """An engine for ``url`` (already normalized by the settings), tuned for its dialect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_end_failed_commit)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every checkpoint.
    # A connection the server dropped fails its next statement instead; SQLAlchemy then
    # invalidates the whole pool, and the caller's retry gets fresh connections.
    # pool_recycle retires connections before common idle timeouts cut them.
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
    )


class Database:
    """The engine and session factory of one process. Services open units of work from it."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self.engine = create_db_engine(url, echo=echo, pool_size=pool_size)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.read_session_factory = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        self._read_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine.execution_options(sqlite_begin="DEFERRED")
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, read_only: bool = False) -> Session:
        """A new session; ``read_only`` sessions do not take SQLite's write lock."""
        return (self.read_session_factory if read_only else self.session_factory)()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A connection for a read of one statement: in autocommit on PostgreSQL (no BEGIN
        and ROLLBACK round trips; a single statement sees one snapshot), in a deferred
        transaction on SQLite (local, and beside the writer in WAL)."""
        with self._read_engine.connect() as conn:
            yield conn

    @contextmanager
    def statements(self) -> Iterator[Connection]:
        """A connection for a read followed by one write statement: on PostgreSQL each
        statement commits on its own (autocommit, no BEGIN and COMMIT round trips), so the
        write must be a single statement; on SQLite all form one write transaction, committed
        at the end (rolled back on an error)."""
        if self.engine.dialect.name == "postgresql":
            with self._read_engine.connect() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def ping(self) -> None:
        """Run one trivial query; raises when the database cannot answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
