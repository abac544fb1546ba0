"""Execution and agent metrics (LLD §1.1 "Metrics & Analytics")."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, now_column, uuid_pk


def _counter() -> Mapped[int | None]:
    return mapped_column(Integer, default=0, server_default=text("0"))


def _cost() -> Mapped[Decimal | None]:
    return mapped_column(Numeric(10, 4), default=Decimal("0.00"), server_default=text("0.00"))


class ExecutionMetrics(Base):
    __tablename__ = "execution_metrics"
    __table_args__ = (
        Index("idx_execution_metrics_execution", "execution_id"),
        Index("idx_execution_metrics_measured", "measured_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    total_duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    checkpoint_overhead_ms: Mapped[int | None] = mapped_column(Integer)
    consensus_overhead_ms: Mapped[int | None] = mapped_column(Integer)
    total_llm_calls: Mapped[int | None] = _counter()
    total_tokens: Mapped[int | None] = _counter()
    total_cost_usd: Mapped[Decimal | None] = _cost()
    checkpoint_count: Mapped[int | None] = _counter()
    rollback_count: Mapped[int | None] = _counter()
    failure_count: Mapped[int | None] = _counter()
    retry_count: Mapped[int | None] = _counter()
    measured_at: Mapped[datetime] = now_column()


class AgentMetrics(Base):
    __tablename__ = "agent_metrics"
    __table_args__ = (
        Index("idx_agent_metrics_agent", "agent_id"),
        Index("idx_agent_metrics_execution", "execution_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    wait_time_ms: Mapped[int | None] = mapped_column(Integer)
    llm_provider: Mapped[str | None] = mapped_column(String(50))
    llm_model: Mapped[str | None] = mapped_column(String(100))
    llm_calls: Mapped[int | None] = _counter()
    tokens_used: Mapped[int | None] = _counter()
    cost_usd: Mapped[Decimal | None] = _cost()
    tool_calls: Mapped[int | None] = _counter()
    tool_failures: Mapped[int | None] = _counter()
    measured_at: Mapped[datetime] = now_column()
