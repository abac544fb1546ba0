"""Portable column types and server defaults: one model, two dialects.

PostgreSQL gets the LLD's native types (UUID, JSONB, TEXT[], UUID[], INET, TIMESTAMP);
SQLite gets their nearest equivalent (CHAR(32), JSON text, JSON arrays, VARCHAR, DATETIME).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text, Uuid
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

#: JSONB on PostgreSQL, JSON (text) on SQLite.
JSONDoc: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")

#: TEXT[] on PostgreSQL, a JSON array on SQLite.
TextArray: TypeEngine[Any] = JSON().with_variant(postgresql.ARRAY(Text()), "postgresql")

#: UUID[] on PostgreSQL, a JSON array of strings on SQLite.
UUIDArray: TypeEngine[Any] = JSON().with_variant(postgresql.ARRAY(Uuid(as_uuid=True)), "postgresql")

#: INET on PostgreSQL, VARCHAR(45) (long enough for IPv6) on SQLite.
InetAddress: TypeEngine[Any] = String(45).with_variant(postgresql.INET(), "postgresql")

#: UUID on PostgreSQL, CHAR(32) on SQLite.
UUIDType = Uuid(as_uuid=True)


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMP (without time zone, as the LLD says) holding UTC; aware datetimes in Python."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Omium stores UTC, pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class utcnow(FunctionElement[datetime]):
    """Server-side "now, in UTC" for TIMESTAMP columns (the LLD's DEFAULT NOW())."""

    type = DateTime()
    inherit_cache = True


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    # NOW() alone would be stored in the session's time zone; TIMESTAMP columns hold UTC.
    return "timezone('utc', now())"


@compiles(utcnow)
def _utcnow_default(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


class gen_uuid(FunctionElement[uuid.UUID]):
    """Server-side UUID default: gen_random_uuid() on PostgreSQL, a random hex on SQLite."""

    type = Uuid()
    inherit_cache = True


@compiles(gen_uuid, "postgresql")
def _gen_uuid_postgresql(element: gen_uuid, compiler: SQLCompiler, **kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(gen_uuid)
def _gen_uuid_default(element: gen_uuid, compiler: SQLCompiler, **kw: Any) -> str:
    return "(lower(hex(randomblob(16))))"


class empty_array(FunctionElement[Any]):
    """Server-side empty array: '{}' for TEXT[]/UUID[] on PostgreSQL, '[]' for JSON on SQLite."""

    type = JSON()
    inherit_cache = True


@compiles(empty_array, "postgresql")
def _empty_array_postgresql(element: empty_array, compiler: SQLCompiler, **kw: Any) -> str:
    return "'{}'"


@compiles(empty_array)
def _empty_array_default(element: empty_array, compiler: SQLCompiler, **kw: Any) -> str:
    return "'[]'"
