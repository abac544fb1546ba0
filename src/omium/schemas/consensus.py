"""Consensus shapes (LLD §3.2), shared by the service, REST, the gRPC mapping and the SDK."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from omium.types import MessageType

#: Terms and log indexes are int32 on the wire (LLD §3.2).
INT32_MAX = 2**31 - 1


class AckPolicy(StrEnum):
    """How many receivers must accept a broadcast: a majority of them, or all."""

    MAJORITY = "majority"
    ALL = "all"


class ConsensusOutcome(StrEnum):
    """Where a log entry stands.

    ``reached`` once enough valid acks arrived (never undone); ``rejected`` once rejections
    leave too few receivers to reach it; ``expired`` when its deadline passed first.
    """

    PENDING = "pending"
    REACHED = "reached"
    REJECTED = "rejected"
    EXPIRED = "expired"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ElectLeaderRequest(_Input):
    execution_id: uuid.UUID
    candidate_agent_id: uuid.UUID
    term: int = Field(ge=1, le=INT32_MAX, description="Granted only above the current term.")


class ElectLeaderResult(BaseModel):
    elected: bool = Field(description="True when this request won the term.")
    leader_agent_id: uuid.UUID | None = Field(description="The leader of the current term.")
    term: int = Field(description="The execution's current term after the request.")


class BroadcastMessageRequest(_Input):
    execution_id: uuid.UUID
    sender_agent_id: uuid.UUID = Field(description="Must be the leader of ``term``.")
    receiver_agent_ids: list[uuid.UUID] = Field(
        default_factory=list,
        description="Agents of the execution that must ack; empty = every other agent.",
    )
    message_type: MessageType
    message: dict[str, Any] = Field(default_factory=dict)
    term: int = Field(ge=1, le=INT32_MAX, description="The current term of the execution.")
    ack_policy: AckPolicy = Field(
        AckPolicy.MAJORITY, description="A majority of the receivers must accept, or all."
    )
    timeout_seconds: float | None = Field(
        None, gt=0, description="After this long without consensus the entry takes no acks."
    )


class BroadcastMessageResult(BaseModel):
    consensus_log_id: uuid.UUID
    log_index: int
    acks_required: int
    consensus_reached: bool
    broadcast_at: datetime


class AcknowledgeMessageRequest(_Input):
    consensus_log_id: uuid.UUID
    agent_id: uuid.UUID
    valid: bool = Field(True, description="False rejects the handed-over state.")


class AcknowledgeMessageResult(BaseModel):
    success: bool = Field(description="The agent's ack is recorded (now or before).")
    total_acks: int = Field(description="Valid acks counted so far.")
    consensus_reached: bool
    rejections: int = 0
    outcome: ConsensusOutcome = ConsensusOutcome.PENDING


class ConsensusLogEntry(BaseModel):
    id: uuid.UUID
    term: int
    log_index: int
    sender_agent_id: uuid.UUID
    receiver_agent_ids: list[uuid.UUID]
    message_type: MessageType
    message: dict[str, Any]
    consensus_reached: bool
    acks_received: int
    acks_required: int
    rejections: int
    outcome: ConsensusOutcome
    created_at: datetime
    committed_at: datetime | None = None
    expires_at: datetime | None = None


class ConsensusStatus(BaseModel):
    execution_id: uuid.UUID
    current_term: int = Field(description="0 before the first election.")
    leader_agent_id: uuid.UUID | None
    logs: list[ConsensusLogEntry]
