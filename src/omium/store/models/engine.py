"""The engine's own tables: the events outbox and the journal of step attempts.

- ``execution_events``: the transactional outbox. An event is inserted in the same
  transaction as the change it announces; in-process subscribers get it after the commit, and a
  drainer (Redis pub/sub, SSE, webhooks) marks ``published_at``.
- ``step_attempts``: one row per attempt of a step, with the worker that ran it, so that a
  crash, a retry or a takeover can be told apart and audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, now_column, uuid_pk
from omium.store.types import JSONDoc, UTCDateTime

#: BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ExecutionEvent(Base):
    __tablename__ = "execution_events"
    __table_args__ = (
        Index("idx_execution_events_execution", "execution_id", "id"),
        Index(
            "idx_execution_events_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    created_at: Mapped[datetime] = now_column()
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StepAttempt(Base):
    __tablename__ = "step_attempts"
    __table_args__ = (Index("idx_step_attempts_execution", "execution_id", "step"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    agent_name: Mapped[str] = mapped_column(String(255), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    worker_id: Mapped[str] = mapped_column(String(255), nullable=False)
    #: running, completed, failed, interrupted (its worker died or let go), cancelled
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    started_at: Mapped[datetime] = now_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
