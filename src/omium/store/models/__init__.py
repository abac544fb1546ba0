"""SQLAlchemy models of every table: LLD §1.1, the §1.2 collections, and Omium's additions."""

from omium.store.models.audit import AuditLog
from omium.store.models.auth import LoginAttempt, RefreshToken, ServerSecret, SigningKey
from omium.store.models.base import Base
from omium.store.models.checkpoints import Checkpoint, CheckpointBlob, Rollback
from omium.store.models.consensus import (
    ConsensusAck,
    ConsensusLog,
    ConsensusReceiver,
    ConsensusTerm,
)
from omium.store.models.documents import AgentConfig, ExecutionTrace, WorkflowDefinition
from omium.store.models.engine import ExecutionEvent, StepAttempt
from omium.store.models.metrics import AgentMetrics, ExecutionMetrics
from omium.store.models.recovery import ExecutionPolicy, Failure, RecoveryAction
from omium.store.models.tenancy import ApiKey, Role, Tenant, User, UserRole
from omium.store.models.workflows import Agent, Execution, Workflow

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentMetrics",
    "ApiKey",
    "AuditLog",
    "Base",
    "Checkpoint",
    "CheckpointBlob",
    "ConsensusAck",
    "ConsensusLog",
    "ConsensusReceiver",
    "ConsensusTerm",
    "Execution",
    "ExecutionEvent",
    "ExecutionMetrics",
    "ExecutionPolicy",
    "ExecutionTrace",
    "Failure",
    "LoginAttempt",
    "RecoveryAction",
    "RefreshToken",
    "Role",
    "Rollback",
    "ServerSecret",
    "SigningKey",
    "StepAttempt",
    "Tenant",
    "User",
    "UserRole",
    "Workflow",
    "WorkflowDefinition",
]
