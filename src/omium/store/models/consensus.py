"""The consensus log and its acknowledgments (LLD §1.1 "Consensus & Coordination").

Beyond the LLD (DESIGN.md "Consensus"): ``consensus_terms`` holds each execution's current
term and leader, the row an election compare-and-sets and a broadcast locks;
``consensus_receivers`` lists who a log entry was broadcast to (the LLD's single
``receiver_agent_id`` cannot name several); a log entry counts its rejections and may carry a
deadline (``expires_at``) after which it no longer takes acks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, created_at, deferred_fk, now_column, uuid_pk
from omium.store.types import JSONDoc, UTCDateTime
from omium.types import MessageType, sql_in


class ConsensusLog(Base):
    __tablename__ = "consensus_logs"
    __table_args__ = (
        UniqueConstraint("execution_id", "log_index"),
        CheckConstraint(f"message_type IN {sql_in(MessageType)}", name="valid_message_type"),
        Index("idx_consensus_logs_execution", "execution_id"),
        Index("idx_consensus_logs_term", "term"),
        Index("idx_consensus_logs_sender", "sender_agent_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )
    term: Mapped[int] = mapped_column(Integer, nullable=False)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False)
    sender_agent_id: Mapped[uuid.UUID] = mapped_column(deferred_fk("agents.id"), nullable=False)
    receiver_agent_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("agents.id"))
    message_type: Mapped[str] = mapped_column(String(50), nullable=False)
    message: Mapped[dict[str, Any]] = mapped_column(JSONDoc, nullable=False)
    consensus_reached: Mapped[bool | None] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    acks_received: Mapped[int | None] = mapped_column(Integer, default=0, server_default=text("0"))
    acks_required: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at()
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Beyond the LLD: acks with valid=false, and the deadline of the acks.
    rejections: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsensusAck(Base):
    __tablename__ = "consensus_acks"
    __table_args__ = (
        UniqueConstraint("consensus_log_id", "agent_id"),
        Index("idx_consensus_acks_log", "consensus_log_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    consensus_log_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consensus_logs.id", ondelete="CASCADE"), nullable=False
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(deferred_fk("agents.id"), nullable=False)
    ack_received_at: Mapped[datetime] = now_column()
    valid: Mapped[bool | None] = mapped_column(Boolean, default=True, server_default=text("true"))


class ConsensusTerm(Base):
    """The current term and leader of one execution's consensus log (beyond the LLD)."""

    __tablename__ = "consensus_terms"

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    current_term: Mapped[int] = mapped_column(Integer, nullable=False)
    leader_agent_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("agents.id"))
    elected_at: Mapped[datetime] = now_column()


class ConsensusReceiver(Base):
    """One receiver of a broadcast log entry (beyond the LLD)."""

    __tablename__ = "consensus_receivers"

    consensus_log_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consensus_logs.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(deferred_fk("agents.id"), primary_key=True)
