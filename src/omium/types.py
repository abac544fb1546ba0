"""Small shared vocabulary: status enums and literals of the LLD (§1.1 CHECKs, §4.2).

This module imports nothing from omium, so every layer may use it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NewType
from uuid import UUID

TenantId = NewType("TenantId", UUID)


class ExecutionStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    CANCELLED = "cancelled"


class TriggerType(StrEnum):
    MANUAL = "manual"
    API = "api"
    SCHEDULED = "scheduled"
    WEBHOOK = "webhook"
    EVENT = "event"


class AgentStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class Framework(StrEnum):
    CREWAI = "crewai"
    LANGGRAPH = "langgraph"
    AUTOGEN = "autogen"
    CUSTOM = "custom"


class SubscriptionTier(StrEnum):
    STARTER = "starter"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


class AuthProvider(StrEnum):
    LOCAL = "local"
    GOOGLE = "google"
    GITHUB = "github"
    SAML = "saml"


class WorkflowStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class RollbackStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class RollbackTrigger(StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"
    POLICY = "policy"


class MessageType(StrEnum):
    HANDOFF = "handoff"
    STATE_UPDATE = "state_update"
    COMPLETION = "completion"
    FAILURE = "failure"


class PolicyType(StrEnum):
    TIMEOUT = "timeout"
    RETRY = "retry"
    RECOVERY = "recovery"
    ROLLBACK = "rollback"
    NOTIFICATION = "notification"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FailureType(StrEnum):
    HALLUCINATION = "hallucination"
    TIMEOUT = "timeout"
    TOOL_INVOCATION = "tool_invocation"
    STATE_SYNC = "state_sync"
    CONSENSUS_VIOLATION = "consensus_violation"
    VALIDATION_ERROR = "validation_error"


class RecoveryActionType(StrEnum):
    ROLLBACK = "rollback"
    RETRY = "retry"
    PROMPT_EDIT = "prompt_edit"
    MANUAL_INTERVENTION = "manual_intervention"
    ESCALATE = "escalate"


class RecoveryActionStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AuditResourceType(StrEnum):
    USER = "user"
    WORKFLOW = "workflow"
    EXECUTION = "execution"
    CHECKPOINT = "checkpoint"
    POLICY = "policy"
    API_KEY = "api_key"
    ROLE = "role"


class CompressionType(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


def sql_in(enum: type[StrEnum]) -> str:
    """The SQL list literal of an enum's values, for CHECK constraints: ``('a', 'b')``."""
    return "(" + ", ".join(f"'{member.value}'" for member in enum) + ")"
