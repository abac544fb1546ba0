"""The unit of work: one session and one transaction, owned by the service that opens it."""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import TypeVar

from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session

from omium.store.db import Database
from omium.store.models import Base
from omium.store.repositories.base import Repository

M = TypeVar("M", bound=Base)


class UnitOfWork:
    """``with UnitOfWork(db) as uow: ...; uow.commit()`` — anything not committed rolls back.

    Repositories obtained from it share its session; they flush, the caller commits.
    """

    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self._db = db
        self._read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._db.session(read_only=self._read_only)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            # A read-only unit ends with COMMIT, which for it is the same as a rollback:
            # psycopg forgets every prepared statement of the connection on ROLLBACK, and
            # the engine's boundary statement would be prepared (and planned) again.
            if self._read_only and exc_type is None:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
            self._session = None

    @property
    def dialect(self) -> Dialect:
        return self._db.engine.dialect

    def repo(self, model: type[M], tenant_id: uuid.UUID) -> Repository[M]:
        """A repository of ``model`` scoped to ``tenant_id``, in this unit of work."""
        return Repository(model, self.session, tenant_id)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
