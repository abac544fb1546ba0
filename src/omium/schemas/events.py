"""Execution events as every edge shows them (SSE, the gRPC stream, the SDK)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

#: The events after which an execution produces no more (it ended).
TERMINAL_EVENTS = frozenset({"execution_completed", "execution_failed", "execution_cancelled"})


class ExecutionEventOut(BaseModel):
    """One committed event of an execution, from the outbox, in commit order."""

    id: int = Field(description="Position in the outbox; resume a stream after it.")
    execution_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    created_at: datetime

    @property
    def terminal(self) -> bool:
        return self.event_type in TERMINAL_EVENTS
