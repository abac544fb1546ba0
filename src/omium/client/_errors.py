"""Errors the client raises: the server's LLD §5.2 body, as a typed exception.

Each one is both an :class:`ApiError` (``status_code``, ``code``, ``message``, ``details``,
``request_id``) and the :mod:`omium.errors` class of the same meaning, so ``except
NotFoundError`` catches a missing execution whether it was looked up in-process or over HTTP.
"""

from __future__ import annotations

from typing import Any

import httpx

from omium.errors import (
    AuthError,
    ConflictError,
    ErrorCode,
    NotFoundError,
    OmiumError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServiceUnavailableError,
    TokenExpiredError,
    ValidationError,
)


class ApiError(OmiumError):
    """An error answered by an Omium server."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: ErrorCode,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        OmiumError.__init__(self, message, code=code, details=details)
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        suffix = f" (request_id={self.request_id})" if self.request_id else ""
        return f"{self.status_code} {self.code.value}: {self.message}{suffix}"


class ApiAuthError(ApiError, AuthError):
    """401: missing, invalid or revoked credentials."""


class ApiTokenExpiredError(ApiAuthError, TokenExpiredError):
    """401 AUTH_TOKEN_EXPIRED."""


class ApiPermissionDeniedError(ApiError, PermissionDeniedError):
    """403 AUTH_INSUFFICIENT_PERMISSIONS."""


class ApiNotFoundError(ApiError, NotFoundError):
    """404: the resource does not exist (or belongs to another tenant)."""


class ApiConflictError(ApiError, ConflictError):
    """409: the resource is not in a state that allows the request."""


class ApiValidationError(ApiError, ValidationError):
    """400/422: the request was refused as invalid; ``details`` names the field."""


# RateLimitError types retry_after as float; here it is None when the server sent no header.
class ApiRateLimitError(ApiError, RateLimitError):  # type: ignore[misc]
    """429 RATE_LIMIT_EXCEEDED; ``retry_after`` holds the server's Retry-After seconds."""


class ApiQuotaExceededError(ApiError, QuotaExceededError):
    """429 QUOTA_EXCEEDED."""


class ApiUnavailableError(ApiError, ServiceUnavailableError):
    """503, or the server could not be reached at all."""


def _error_class(status: int, code: ErrorCode) -> type[ApiError]:
    if code is ErrorCode.AUTH_TOKEN_EXPIRED:
        return ApiTokenExpiredError
    if code is ErrorCode.QUOTA_EXCEEDED:
        return ApiQuotaExceededError
    by_status: dict[int, type[ApiError]] = {
        400: ApiValidationError,
        401: ApiAuthError,
        403: ApiPermissionDeniedError,
        404: ApiNotFoundError,
        409: ApiConflictError,
        422: ApiValidationError,
        429: ApiRateLimitError,
        503: ApiUnavailableError,
    }
    return by_status.get(status, ApiError)


def _code(value: Any, status: int) -> ErrorCode:
    try:
        return ErrorCode(str(value))
    except ValueError:
        if status == 404:
            return ErrorCode.RESOURCE_NOT_FOUND
        if status in (400, 422):
            return ErrorCode.INVALID_INPUT
        if status == 503:
            return ErrorCode.SERVICE_UNAVAILABLE
        return ErrorCode.INTERNAL_ERROR


def error_from_response(response: httpx.Response) -> ApiError:
    """Build the typed error of a non-2xx response (tolerates a body that is not JSON)."""
    status = response.status_code
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or response.reason_phrase)
        code = _code(error.get("code"), status)
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        request_id = error.get("request_id") or response.headers.get("X-Request-ID")
    else:
        message = response.text[:500] or response.reason_phrase
        code = _code(None, status)
        details = {}
        request_id = response.headers.get("X-Request-ID")
    retry_after: float | None = None
    if "Retry-After" in response.headers:
        try:
            retry_after = float(response.headers["Retry-After"])
        except ValueError:
            retry_after = None
    return _error_class(status, code)(
        message,
        status_code=status,
        code=code,
        details=details,
        request_id=request_id,
        retry_after=retry_after,
    )


def unreachable(base_url: str, exc: httpx.TransportError) -> ApiUnavailableError:
    """The error raised when no server answered at all."""
    return ApiUnavailableError(
        f"cannot reach the Omium server at {base_url}: {exc}",
        status_code=503,
        code=ErrorCode.SERVICE_UNAVAILABLE,
        details={"server": base_url},
    )
