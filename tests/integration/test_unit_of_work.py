"""A read-only unit of work ends without costing its connection the prepared statements
(psycopg forgets them all on ROLLBACK, and the engine's boundary statement would be prepared
and planned again); a unit left by an exception still rolls back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from omium.store.db import Database
from omium.store.uow import UnitOfWork


def _scalar(driver_connection: Any, sql: str) -> Any:
    """One value read on ``driver_connection``, its transaction then committed (a rollback
    would itself drop the prepared statements)."""
    cursor = driver_connection.cursor()
    cursor.execute(sql)
    value = cursor.fetchone()[0]
    cursor.close()
    driver_connection.commit()
    return value


@pytest.mark.postgres_only
def test_a_read_only_unit_keeps_its_connections_prepared_statements(db: Database) -> None:
    with UnitOfWork(db, read_only=True) as uow:
        driver_connection = uow.session.connection().connection.driver_connection
        driver_connection.execute("SELECT 1 + %s", (1,), prepare=True)
        assert uow.session.execute(text("SELECT 2")).scalar() == 2
    assert _scalar(driver_connection, "SELECT count(*) FROM pg_prepared_statements") == 1


def test_a_unit_left_by_an_exception_rolls_back(db: Database) -> None:
    with pytest.raises(RuntimeError), UnitOfWork(db) as uow:
        driver_connection = uow.session.connection().connection.driver_connection
        uow.session.execute(text("CREATE TEMP TABLE uow_probe (x int)"))
        raise RuntimeError("boom")
    probe = (
        "SELECT count(*) FROM sqlite_temp_master WHERE name = 'uow_probe'"
        if db.dialect == "sqlite"
        else "SELECT count(*) FROM pg_class WHERE relname = 'uow_probe'"
    )
    assert _scalar(driver_connection, probe) == 0
