"""A SQLite boundary's transaction runs straight on a pooled driver connection."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from omium.engine.sqlite_unit import SqliteUnit
from omium.store.db import Database
from omium.store.models import Tenant


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only")
    return db


def _tenants(db: Database) -> int:
    with db.read_connection() as conn:
        return int(conn.execute(select(func.count()).select_from(Tenant)).scalar_one())


def _insert(unit: SqliteUnit, slug: str) -> None:
    unit.connection.execute(
        "INSERT INTO tenants (id, name, slug, subscription_tier, subscription_status,"
        " created_at, updated_at) VALUES (?, ?, ?, 'starter', 'active', '2026-01-01 00:00:00',"
        " '2026-01-01 00:00:00')",
        (uuid.uuid4().hex, slug, slug),
    )


def test_a_failed_unit_writes_nothing_and_hands_its_connection_back_clean(
    sqlite_db: Database,
) -> None:
    # One pooled connection at a time: each unit below gets the one the last handed back.
    for attempt in range(3):
        with pytest.raises(RuntimeError), SqliteUnit(sqlite_db) as unit:
            _insert(unit, f"raw-{attempt}")
            unit.session.execute(Tenant.__table__.delete().where(Tenant.slug == "none"))
            raise RuntimeError("the boundary failed")
    assert _tenants(sqlite_db) == 0
    with SqliteUnit(sqlite_db) as unit:
        _insert(unit, "kept")
        unit.commit()
    assert _tenants(sqlite_db) == 1


def test_the_session_of_a_unit_writes_in_its_transaction(sqlite_db: Database) -> None:
    with SqliteUnit(sqlite_db) as unit:
        _insert(unit, "raw")
        unit.session.add(Tenant(name="orm", slug="orm"))
        # The session sees the row written on the driver connection: same transaction.
        assert unit.session.scalar(select(func.count()).select_from(Tenant)) == 2
        unit.commit()
    assert _tenants(sqlite_db) == 2
    with pytest.raises(RuntimeError), SqliteUnit(sqlite_db) as unit:
        unit.session.add(Tenant(name="orm2", slug="orm2"))
        unit.session.flush()
        _insert(unit, "raw2")
        raise RuntimeError("the boundary failed")
    assert _tenants(sqlite_db) == 2
