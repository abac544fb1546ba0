"""Failures and recovery actions (LLD §2.4, §4.2 Failure/RecoveryAction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from omium.schemas.common import Input, Output, Pagination
from omium.types import RecoveryActionType


class Failure(Output):
    id: uuid.UUID
    execution_id: uuid.UUID
    failure_type: str
    severity: str
    error_message: str
    root_cause: str | None = None
    suggested_fix: str | None = None
    recovery_status: str | None = None
    detected_at: datetime


class FailureList(Output):
    """``GET /api/v1/failures``."""

    failures: list[Failure]
    pagination: Pagination


class RecoverRequest(Input):
    """``POST /api/v1/failures/{id}/recover``."""

    action_type: RecoveryActionType
    action_config: dict[str, Any] = Field(default_factory=dict)


class RecoveryAction(Output):
    id: uuid.UUID
    failure_id: uuid.UUID
    action_type: str
    action_config: dict[str, Any] = Field(default_factory=dict)
    status: str
    success: bool | None = None
    triggered_at: datetime | None = None
    completed_at: datetime | None = None


class RecoverResponse(Output):
    recovery_action: RecoveryAction
    message: str | None = None
