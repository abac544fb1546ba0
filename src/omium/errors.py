"""One error tree for all of Omium, carrying the LLD §5.3 error codes.

::

    OmiumError                   code, message, details; http_status, retryable
    ├── ConfigurationError       INVALID_INPUT (at start, never over HTTP)
    ├── AuthError                AUTH_INVALID_CREDENTIALS (401)
    │   └── TokenExpiredError    AUTH_TOKEN_EXPIRED (401)
    ├── PermissionDeniedError    AUTH_INSUFFICIENT_PERMISSIONS (403)
    ├── NotFoundError            *_NOT_FOUND (404), also for another tenant's resource
    ├── ConflictError            EXECUTION_ALREADY_RUNNING, EXECUTION_CANNOT_PAUSE (409)
    ├── ValidationError          INVALID_INPUT, MISSING_REQUIRED_FIELD, ... (422)
    ├── CheckpointError          CHECKPOINT_CREATION_FAILED, ROLLBACK_FAILED
    │   └── CheckpointCorrupted  CHECKPOINT_CORRUPTED
    ├── ConsensusError           CONSENSUS_NOT_REACHED, LEADER_ELECTION_FAILED, ...
    ├── RateLimitError           RATE_LIMIT_EXCEEDED (429), carries retry_after
    ├── QuotaExceededError       QUOTA_EXCEEDED (429)
    └── ServiceUnavailableError  SERVICE_UNAVAILABLE (503), retryable

Each edge (HTTP, gRPC, CLI) maps these with one mapper; nothing else decides a status code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    """The error codes of LLD §5.3, plus the few the platform needs beyond them."""

    AUTH_INVALID_CREDENTIALS = "AUTH_INVALID_CREDENTIALS"
    AUTH_TOKEN_EXPIRED = "AUTH_TOKEN_EXPIRED"
    AUTH_INSUFFICIENT_PERMISSIONS = "AUTH_INSUFFICIENT_PERMISSIONS"
    EXECUTION_NOT_FOUND = "EXECUTION_NOT_FOUND"
    EXECUTION_ALREADY_RUNNING = "EXECUTION_ALREADY_RUNNING"
    EXECUTION_CANNOT_PAUSE = "EXECUTION_CANNOT_PAUSE"
    WORKFLOW_NOT_FOUND = "WORKFLOW_NOT_FOUND"
    CHECKPOINT_NOT_FOUND = "CHECKPOINT_NOT_FOUND"
    CHECKPOINT_CREATION_FAILED = "CHECKPOINT_CREATION_FAILED"
    CHECKPOINT_CORRUPTED = "CHECKPOINT_CORRUPTED"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    CONSENSUS_NOT_REACHED = "CONSENSUS_NOT_REACHED"
    LEADER_ELECTION_FAILED = "LEADER_ELECTION_FAILED"
    MESSAGE_BROADCAST_FAILED = "MESSAGE_BROADCAST_FAILED"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    INVALID_INPUT = "INVALID_INPUT"
    MISSING_REQUIRED_FIELD = "MISSING_REQUIRED_FIELD"
    INVALID_FIELD_FORMAT = "INVALID_FIELD_FORMAT"
    # Beyond the LLD list: a generic not-found and conflict for resources it does not name,
    # and the codes of a server that cannot answer.
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    RESOURCE_CONFLICT = "RESOURCE_CONFLICT"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class OmiumError(Exception):
    """Base of every error Omium raises on purpose."""

    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR
    http_status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: dict[str, Any] = details or {}

    def to_dict(self, request_id: str | None = None) -> dict[str, Any]:
        """The LLD §5.2 error body."""
        return {
            "error": {
                "code": self.code.value,
                "message": self.message,
                "details": self.details,
                "request_id": request_id,
            }
        }


class ConfigurationError(OmiumError):
    default_code = ErrorCode.INVALID_INPUT


class AuthError(OmiumError):
    default_code = ErrorCode.AUTH_INVALID_CREDENTIALS
    http_status = 401


class TokenExpiredError(AuthError):
    default_code = ErrorCode.AUTH_TOKEN_EXPIRED


class PermissionDeniedError(OmiumError):
    default_code = ErrorCode.AUTH_INSUFFICIENT_PERMISSIONS
    http_status = 403


class NotFoundError(OmiumError):
    default_code = ErrorCode.RESOURCE_NOT_FOUND
    http_status = 404


class ConflictError(OmiumError):
    default_code = ErrorCode.RESOURCE_CONFLICT
    http_status = 409


class ValidationError(OmiumError):
    default_code = ErrorCode.INVALID_INPUT
    http_status = 422


class CheckpointError(OmiumError):
    default_code = ErrorCode.CHECKPOINT_CREATION_FAILED
    http_status = 500


class CheckpointCorruptedError(CheckpointError):
    default_code = ErrorCode.CHECKPOINT_CORRUPTED


class ConsensusError(OmiumError):
    default_code = ErrorCode.CONSENSUS_NOT_REACHED
    http_status = 409


class RateLimitError(OmiumError):
    default_code = ErrorCode.RATE_LIMIT_EXCEEDED
    http_status = 429

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class QuotaExceededError(OmiumError):
    default_code = ErrorCode.QUOTA_EXCEEDED
    http_status = 429


class ServiceUnavailableError(OmiumError):
    default_code = ErrorCode.SERVICE_UNAVAILABLE
    http_status = 503
    retryable = True
