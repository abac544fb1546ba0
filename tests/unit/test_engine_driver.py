"""The engine's raw statements store what the ORM would: the fast converters of
``engine/driver.py`` give exactly what SQLAlchemy's own bind processors give."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from omium.engine import driver
from omium.store.models import (
    Agent,
    AgentMetrics,
    Checkpoint,
    Execution,
    ExecutionEvent,
    ExecutionMetrics,
    StepAttempt,
)

TABLES = [
    cast(Table, m.__table__)
    for m in (Agent, AgentMetrics, Checkpoint, Execution, ExecutionEvent, ExecutionMetrics)
] + [cast(Table, StepAttempt.__table__)]

SAMPLES: list[Any] = [
    uuid.UUID("6430f5e0-916a-495d-94db-95bb5775018c"),
    datetime(2026, 11, 26, 3, 36, 42, 828804, tzinfo=UTC),
    datetime(2026, 11, 26, 3, 36, 42, 0, tzinfo=UTC),
    datetime(2026, 1, 2, 5, 6, 7, 1, tzinfo=timezone(timedelta(hours=-5))),
    {"a": [1, 2.5, None, "x"], "b": {"c": True}},
    [1, "two"],
    "text",
    7,
]


def _dialects() -> list[Dialect]:
    return [sqlite.dialect(), postgresql.dialect()]  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("dialect", _dialects(), ids=lambda d: d.name)
@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_converters_store_what_sqlalchemy_stores(dialect: Dialect, table: Table) -> None:
    fast = driver.processors(dialect, table)
    checked = 0
    for column in table.columns:
        reference = column.type._cached_bind_processor(dialect)
        convert = fast[column.name]
        if reference is None:
            assert convert is None, column.name
            continue
        assert convert is not None, column.name
        for value in SAMPLES:
            try:
                expected = reference(value)
            except (TypeError, ValueError, AttributeError):
                continue
            got = convert(value)
            # psycopg's Jsonb wraps the object: compare what it wraps.
            assert getattr(got, "obj", got) == getattr(expected, "obj", expected), column.name
            assert type(got) is type(expected), column.name
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("dialect", _dialects(), ids=lambda d: d.name)
def test_naive_datetimes_are_refused(dialect: Dialect) -> None:
    convert = driver.processors(dialect, cast(Table, Execution.__table__))["started_at"]
    assert convert is not None
    with pytest.raises(ValueError, match="naive datetime"):
        convert(datetime(2026, 1, 1))
