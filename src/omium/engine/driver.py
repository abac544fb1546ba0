"""The engine's hot statements, sent straight to the database driver.

A step boundary writes a handful of one-row changes. Through SQLAlchemy each costs a
statement build, a cache-key walk and a result wrapper: several times what SQLite itself
spends on the row. Here the statement text is built once per (dialect, shape) and executed
on the driver cursor of the unit of work's own connection, inside its transaction. Values go
through the columns' own bind processors, so the rows are exactly what the ORM would write
(UUIDs as hex and SQLAlchemy's datetime text on SQLite; JSON as text or ``Jsonb``).

Placeholders are written ``:name``; :func:`sql` turns them into the driver's style
(``:name`` for sqlite3, ``%(name)s`` for psycopg).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, ColumnDefault, Table, Uuid
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from omium.store.types import UTCDateTime

Processor = Callable[[Any], Any] | None

_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_texts: dict[tuple[str, Any], str] = {}
_processors: dict[tuple[int, str], dict[str, Processor]] = {}
_defaults: dict[tuple[str, str], list[tuple[str, Callable[[], Any]]]] = {}

#: One statement of :func:`transaction`: its cache key, its text, and its parameters (a
#: list of parameter sets runs it once for each, without rows back).
Statement = tuple[Any, str, Mapping[str, Any] | Sequence[Mapping[str, Any]]]


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def sql(dialect: str, text: str) -> str:
    """``text`` with ``:name`` placeholders in the driver's own parameter style."""
    if dialect != "postgresql":
        return text
    return _PLACEHOLDER.sub(r"%(\1)s", text.replace("%", "%%"))


def cursor(target: Session | Connection) -> Any:
    """A driver cursor on the session's connection, in its transaction (begun if need be);
    or on a plain connection (a read of one statement, see ``Database.read_connection``)."""
    if isinstance(target, Connection):
        return target.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    if target.new or target.dirty or target.deleted:
        target.flush()
    return target.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def dialect_of(target: Session | Connection) -> Dialect:
    return target.dialect if isinstance(target, Connection) else target.get_bind().dialect


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text of UTCDateTime: UTC, no zone, always microseconds.
    if value.tzinfo is UTC:
        # What Omium's clock gives: the text is its ISO form without the "+00:00".
        return value.isoformat(" ", "microseconds")[:-6]
    if value.tzinfo is None:
        raise ValueError("naive datetime given; Omium stores UTC, pass an aware datetime")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; Omium stores UTC, pass an aware datetime")
    return value.astimezone(UTC).replace(tzinfo=None)


#: ``json.dumps`` with its default options, without its per-call option checks.
_JSON_TEXT = json.JSONEncoder().encode


def _hex(value: uuid.UUID) -> str:
    return value.hex


def _converter(dialect: Dialect, column: Column[Any]) -> Processor:
    """What SQLAlchemy's bind processor of ``column`` does, without its layers of wrappers
    for the hot types (tests hold the two equal); any other type keeps its processor."""
    process = column.type._cached_bind_processor(dialect)
    if process is None:
        return None
    sqlite = dialect.name == "sqlite"
    if isinstance(column.type, UTCDateTime):
        return _sqlite_datetime if sqlite else _naive_utc
    impl = column.type.dialect_impl(dialect)
    if sqlite and isinstance(impl, Uuid):
        return _hex
    if sqlite and isinstance(impl, JSON) and dialect._json_serializer is None:
        return _JSON_TEXT
    return process


def processors(dialect: Dialect, table: Table) -> dict[str, Processor]:
    """Column name -> a function turning its Python values into what the driver gets:
    exactly what SQLAlchemy's bind processor gives (see :func:`_converter`)."""
    key = (id(dialect), table.name)
    found = _processors.get(key)
    if found is None:
        found = {c.name: _converter(dialect, c) for c in table.columns}
        _processors[key] = found
    return found


def result_processors(dialect: Dialect, table: Table) -> dict[str, Processor]:
    """Column name -> the result processor SQLAlchemy applies to the values it reads."""
    key = (id(dialect), "result:" + table.name)
    found = _processors.get(key)
    if found is None:
        found = {c.name: c.type._cached_result_processor(dialect, None) for c in table.columns}
        _processors[key] = found
    return found


def read(process: Processor, value: Any) -> Any:
    """A value read from the driver, as SQLAlchemy would return it."""
    return value if value is None or process is None else process(value)


def bind(procs: Mapping[str, Processor], row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with each column's value converted for the driver (None stays SQL NULL)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        process = procs.get(name)
        out[name] = value if value is None or process is None else process(value)
    return out


def _python_defaults(table: Table, kind: str) -> list[tuple[str, Callable[[], Any]]]:
    """The columns' Python-side ``default`` (kind "insert") or ``onupdate`` (kind "update"):
    Core statements apply them, so the raw ones do too (server defaults would differ, e.g.
    CURRENT_TIMESTAMP has no microseconds on SQLite)."""
    key = (table.name, kind)
    found = _defaults.get(key)
    if found is None:
        found = []
        for c in table.columns:
            default = c.default if kind == "insert" else c.onupdate
            if not isinstance(default, ColumnDefault):
                continue
            arg: Any = default.arg
            if default.is_scalar:
                found.append((c.name, functools.partial(_same, arg)))
            elif default.is_callable:
                found.append((c.name, functools.partial(arg, None)))
        _defaults[key] = found
    return found


def _same(value: Any) -> Any:
    return value


def with_defaults(table: Table, row: Mapping[str, Any], kind: str = "insert") -> dict[str, Any]:
    """``row`` plus the Python-side defaults of the columns it does not name."""
    out = dict(row)
    for name, make in _python_defaults(table, kind):
        if name not in out:
            out[name] = make()
    return out


def _cached(key: tuple[str, Any], build: Callable[[], str]) -> str:
    found = _texts.get(key)
    if found is None:
        found = _texts[key] = sql(key[0], build())
    return found


def insert(session: Session | Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) in one executemany."""
    if not rows:
        return
    dialect = dialect_of(session)
    full = [with_defaults(table, r) for r in rows]
    columns = tuple(full[0])
    text = _cached(
        (dialect.name, ("insert", table.name, columns)),
        lambda: (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})"
        ),
    )
    procs = processors(dialect, table)
    cur = cursor(session)
    try:
        if len(full) == 1:
            cur.execute(text, bind(procs, full[0]))
        else:
            cur.executemany(text, [bind(procs, r) for r in full])
    finally:
        cur.close()


def insert_statement(
    dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]
) -> Statement:
    """The INSERT of ``rows`` (all with the same keys) for :func:`transaction`."""
    full = [with_defaults(table, r) for r in rows]
    columns = tuple(full[0])
    text = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)})"
    )
    procs = processors(dialect, table)
    params = bind(procs, full[0]) if len(full) == 1 else [bind(procs, r) for r in full]
    return (("insert", table.name, columns), text, params)


def update(
    session: Session | Connection,
    table: Table,
    values: Mapping[str, Any],
    where: Mapping[str, Any],
    *,
    returning: Iterable[str] = (),
) -> list[tuple[Any, ...]]:
    """``UPDATE table SET values WHERE`` each ``where`` column equals its value (not NULL).
    Returns the ``returning`` columns of the changed rows."""
    dialect = dialect_of(session)
    values = with_defaults(table, values, "update")
    sets, conds, back = tuple(values), tuple(where), tuple(returning)
    text = _cached(
        (dialect.name, ("update", table.name, sets, conds, back)),
        lambda: (
            f"UPDATE {table.name} SET {', '.join(f'{c} = :v_{c}' for c in sets)} "
            f"WHERE {' AND '.join(f'{c} = :w_{c}' for c in conds)}"
            + (f" RETURNING {', '.join(back)}" if back else "")
        ),
    )
    procs = processors(dialect, table)
    params = {f"v_{k}": v for k, v in bind(procs, values).items()}
    params.update({f"w_{k}": v for k, v in bind(procs, where).items()})
    cur = cursor(session)
    try:
        cur.execute(text, params)
        return list(cur.fetchall()) if back else []
    finally:
        cur.close()


def execute(
    target: Session | Connection, key: str, text: str, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run a hand-written statement (its text cached under ``key``); returns its rows."""
    dialect = dialect_of(target).name
    cur = cursor(target)
    try:
        cur.execute(_cached((dialect, key), lambda: text), params or {})
        return list(cur.fetchall()) if cur.description is not None else []
    finally:
        cur.close()


def transaction(conn: Connection, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` as one transaction; return each one's rows.

    PostgreSQL (an autocommit connection: ``Database.statements``): BEGIN, the statements and
    COMMIT go out as one pipeline, so the whole transaction is one round trip; on an error it
    is rolled back and the error raised. A statement still sees the ones before it, and gets
    its own snapshot when it starts (READ COMMITTED), after a lock an earlier one took.
    SQLite: run in the connection's own transaction, which its owner commits.
    """
    dialect = conn.dialect.name
    texts = [_cached((dialect, key), functools.partial(_same, text)) for key, text, _ in statements]
    if dialect != "postgresql":
        cur = cursor(conn)
        try:
            return [
                _run(cur, text, params)
                for text, (_, _, params) in zip(texts, statements, strict=True)
            ]
        finally:
            cur.close()
    pg: Any = conn.connection.dbapi_connection
    if not pg.autocommit:
        raise ValueError("driver.transaction needs an autocommit connection on PostgreSQL")
    cursors: list[Any] = []
    try:
        with pg.pipeline():
            pg.execute("BEGIN")
            for text, (_, _, params) in zip(texts, statements, strict=True):
                cur = pg.cursor()
                if isinstance(params, Mapping):
                    cur.execute(text, params)
                else:
                    cur.executemany(text, params)
                cursors.append(cur)
            pg.execute("COMMIT")
    except BaseException:
        if pg.info.transaction_status != 0:  # not idle: the failed transaction is still open
            pg.execute("ROLLBACK")
        raise
    try:
        return [list(c.fetchall()) if c.description is not None else [] for c in cursors]
    finally:
        for c in cursors:
            c.close()


def _run(cur: Any, text: str, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
    if not isinstance(params, Mapping):
        cur.executemany(text, params)
        return []
    cur.execute(text, params)
    return list(cur.fetchall()) if cur.description is not None else []
