"""Rows of several tables inserted in one round trip.

On PostgreSQL the inserts become one statement (every insert but the last a data-modifying
CTE), atomic on its own, so it needs no BEGIN and COMMIT around it. SQLite has no such CTEs:
there it is one INSERT per row, in the caller's transaction (local calls, no round trips).

Statements are built once per shape (tables and their columns) with named parameters and
reused: building an INSERT from literal values costs more than running it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Table, bindparam, insert

_Shape = tuple[tuple[Table, tuple[str, ...]], ...]


def insert_rows(conn: Connection, rows: Sequence[tuple[Table, dict[str, Any]]]) -> None:
    """Insert each ``(table, values)``; values are keyed by column name."""
    if not rows:
        return
    shape: _Shape = tuple((table, tuple(values)) for table, values in rows)
    params = {f"p{i}_{col}": v for i, (_, values) in enumerate(rows) for col, v in values.items()}
    if conn.dialect.name == "postgresql":
        conn.execute(_combined(shape), params)
        return
    for i, (table, columns) in enumerate(shape):
        conn.execute(
            _single(table, columns, i), {f"p{i}_{c}": params[f"p{i}_{c}"] for c in columns}
        )


@functools.lru_cache(maxsize=256)
def _single(table: Table, columns: tuple[str, ...], index: int) -> Insert:
    return insert(table).values(
        {c: bindparam(f"p{index}_{c}", type_=table.c[c].type) for c in columns}
    )


@functools.lru_cache(maxsize=256)
def _combined(shape: _Shape) -> Insert:
    *first, (last_table, last_columns) = shape
    statement = _single(last_table, last_columns, len(first))
    for i, (table, columns) in enumerate(first):
        statement = statement.add_cte(_single(table, columns, i).cte(f"insert_{i}"))
    return statement
