"""Declarative base, naming convention and the column helpers every table shares."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, MetaData, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from omium.clock import utcnow as py_utcnow
from omium.store.types import JSONDoc, UTCDateTime, UUIDType, gen_uuid, utcnow

# Foreign keys, primary keys and uniques get stable names so that SQLite batch migrations
# can address them. CHECK constraints and indexes carry the LLD's own names.
NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: UUIDType,
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDoc,
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    """``id UUID PRIMARY KEY DEFAULT gen_random_uuid()``."""
    return mapped_column(primary_key=True, default=uuid.uuid4, server_default=gen_uuid())


def created_at() -> Mapped[datetime]:
    """``created_at TIMESTAMP NOT NULL DEFAULT NOW()``."""
    return mapped_column(nullable=False, default=py_utcnow, server_default=utcnow())


def updated_at() -> Mapped[datetime]:
    """``updated_at TIMESTAMP NOT NULL DEFAULT NOW()``, bumped on every ORM update."""
    return mapped_column(
        nullable=False, default=py_utcnow, onupdate=py_utcnow, server_default=utcnow()
    )


def now_column() -> Mapped[datetime]:
    """Any other ``TIMESTAMP NOT NULL DEFAULT NOW()`` column."""
    return mapped_column(nullable=False, default=py_utcnow, server_default=utcnow())


def json_object(name: str | None = None) -> Mapped[dict[str, Any] | None]:
    """``JSONB DEFAULT '{}'`` (nullable, as the LLD writes it).

    ``name`` sets the SQL column name where the attribute cannot carry it (``metadata`` is
    reserved by SQLAlchemy's declarative base, so the attribute is ``metadata_``).
    """
    if name is None:
        return mapped_column(JSONDoc, default=dict, server_default=text("'{}'"))
    return mapped_column(name, JSONDoc, default=dict, server_default=text("'{}'"))


def json_list() -> Mapped[list[Any] | None]:
    """``JSONB DEFAULT '[]'`` (nullable)."""
    return mapped_column(JSONDoc, default=list, server_default=text("'[]'"))


def deferred_fk(target: str) -> ForeignKey:
    """A foreign key with the LLD's NO ACTION, checked at commit rather than per row.

    The LLD gives these references no ON DELETE. Checked immediately, PostgreSQL would refuse
    to delete an execution (or a tenant) whose cascade removes an agent before the consensus
    ack or failure that points at it; deferred to the commit, the cascade completes first and
    the reference still cannot be left dangling.
    """
    return ForeignKey(target, deferrable=True, initially="DEFERRED")
