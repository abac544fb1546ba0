"""A step boundary's transaction on SQLite, without the ORM session in the way.

:class:`SqliteUnit` checks one driver connection out of the pool and issues ``BEGIN
IMMEDIATE`` and ``COMMIT`` on it directly: the boundary's statements go straight to its
cursor (``journal.apply_boundary``), and no Session, SessionTransaction or SQLAlchemy
Connection is built for them. A caller that still needs a session (the checkpoint service
on a large state, a recovery action to resolve) gets one made on first use, on the same
connection and inside the same transaction.
"""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session

from omium.store.db import Database
from omium.store.uow import UnitOfWork


class SqliteUnit(UnitOfWork):
    """``with SqliteUnit(db) as uow: ...; uow.commit()``; anything not committed rolls
    back, and the connection goes back to the pool outside any transaction."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._raw: Any = None
        self.driver: sqlite3.Connection | None = None
        self._joined: Connection | None = None

    @property
    def dialect(self) -> Dialect:
        return self._db.engine.dialect

    @property
    def connection(self) -> sqlite3.Connection:
        """The driver connection, in the unit's transaction."""
        if self.driver is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self.driver

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = _JoinedSession(self)
        return self._session

    def joined(self) -> Connection:
        """A SQLAlchemy connection on the unit's driver connection, joining the transaction
        already begun (no second BEGIN: see db._sqlite_begin). It is never closed itself:
        the pooled connection is, by the unit."""
        if self._joined is None:
            conn = Connection(self._db.engine, connection=self._raw)
            conn.execution_options(sqlite_begin="JOINED")
            self._joined = conn
        return self._joined

    def __enter__(self) -> SqliteUnit:
        raw = self._db.engine.raw_connection()
        try:
            driver = cast(sqlite3.Connection, raw.driver_connection)
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            raw.close()
            raise
        self._raw, self.driver = raw, driver
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raw, driver, session = self._raw, self.driver, self._session
        self._raw = self.driver = self._session = self._joined = None
        try:
            if driver is not None and driver.in_transaction:
                driver.rollback()
            if session is not None and session.bind is not None:
                session.close()
        except BaseException:
            # Whatever state it is in, it does not go back to the pool.
            raw.invalidate()
            raise
        finally:
            raw.close()

    def commit(self) -> None:
        if self._session is not None and (
            self._session.new or self._session.dirty or self._session.deleted
        ):
            self._session.flush()
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()


class _JoinedSession(Session):
    """The session of a :class:`SqliteUnit`: it is handed to callers that may not use it
    (the checkpoint service reads nothing for a small state), so it joins the unit's
    connection only when it first runs a statement."""

    def __init__(self, unit: SqliteUnit) -> None:
        super().__init__(expire_on_commit=False)
        self._unit = unit

    def get_bind(self, *args: Any, **kwargs: Any) -> Connection:
        if self.bind is None:
            self.bind = self._unit.joined()
        return cast(Connection, self.bind)
