"""Fixtures shared by the whole suite.

The suite runs on SQLite by default. With ``OMIUM_TEST_DATABASE_URL`` (a PostgreSQL URL whose
user may create databases) it runs on PostgreSQL: a fresh database is created for the session
and dropped at its end. ``OMIUM_TEST_REDIS_URL`` enables the Redis tests. With
``OMIUM_REQUIRE_SERVICES=1`` a missing service fails the run instead of skipping tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omium.config import normalize_database_url
from omium.store.db import Database
from omium.store.migrate import upgrade
from omium.store.models import Base

REQUIRE_SERVICES = os.environ.get("OMIUM_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = os.environ.get("OMIUM_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("OMIUM_TEST_REDIS_URL")


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_SERVICES and not TEST_DATABASE_URL:
        raise pytest.UsageError("OMIUM_REQUIRE_SERVICES=1 needs OMIUM_TEST_DATABASE_URL")
    if REQUIRE_SERVICES and not TEST_REDIS_URL:
        raise pytest.UsageError("OMIUM_REQUIRE_SERVICES=1 needs OMIUM_TEST_REDIS_URL")


def pytest_report_header() -> list[str]:
    return [
        f"omium database: {'postgresql' if TEST_DATABASE_URL else 'sqlite'}",
        f"omium redis: {'yes' if TEST_REDIS_URL else 'no'} (services required: {REQUIRE_SERVICES})",
    ]


def create_postgres_database(admin_url: str, prefix: str = "omium_test") -> str:
    """Create a fresh, empty PostgreSQL database next to ``admin_url``; return its URL."""
    admin = make_url(normalize_database_url(admin_url))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = target.set(database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database of the suite's dialect, removed afterwards."""
    if TEST_DATABASE_URL:
        url = create_postgres_database(TEST_DATABASE_URL)
        try:
            yield url
        finally:
            drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path / f'fresh_{uuid.uuid4().hex[:8]}.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's database, migrated to head."""
    yield from fresh_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def migrated_db(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def db(migrated_db: Database) -> Iterator[Database]:
    """The migrated database, emptied after the test."""
    yield migrated_db
    with migrated_db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of the suite's dialect with no schema at all."""
    yield from fresh_database_url(tmp_path)


@pytest.fixture
def redis_url() -> str:
    if not TEST_REDIS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("Redis is required (OMIUM_REQUIRE_SERVICES=1) but not configured")
        pytest.skip("OMIUM_TEST_REDIS_URL not set")
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at {TEST_REDIS_URL} does not answer: {exc}")
        pytest.skip(f"Redis does not answer: {exc}")
    return TEST_REDIS_URL


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres_only`` tests skip on SQLite (with services required, PostgreSQL is set)."""
    if TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only (set OMIUM_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
