"""The HTTP edge's one error mapper: every error leaves as the LLD §5.2 body.

- OmiumError: its code and status.
- Request validation: 422 with MISSING_REQUIRED_FIELD, INVALID_FIELD_FORMAT or INVALID_INPUT
  (unknown field, malformed JSON), the field path in ``details.field`` and every problem in
  ``details.errors``.
- Starlette's own 404/405: RESOURCE_NOT_FOUND / INVALID_INPUT.
- Anything else: 500 INTERNAL_ERROR, never a stack trace (the log keeps it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from omium.api.middleware import REQUEST_ID_HEADER
from omium.errors import ErrorCode, OmiumError, RateLimitError, ValidationError

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any]
    request_id: str | None


class ErrorBody(BaseModel):
    """The LLD §5.2 error body."""

    error: ErrorDetail


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def error_response(
    request: Request, error: OmiumError, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = request_id_of(request)
    all_headers = dict(headers or {})
    if request_id:
        all_headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(
        error.to_dict(request_id), status_code=error.http_status, headers=all_headers
    )


_MISSING = {"missing", "missing_argument", "missing_keyword_argument"}
_UNKNOWN = {"extra_forbidden", "unexpected_keyword_argument", "json_invalid", "json_type"}


def _field(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_error(errors: Sequence[Any]) -> ValidationError:
    problems = [
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", "")), "type": e["type"]}
        for e in errors
    ]
    types = {e["type"] for e in errors}
    if types & _MISSING:
        code = ErrorCode.MISSING_REQUIRED_FIELD
        first = next(p for p in problems if p["type"] in _MISSING)
    elif types - _UNKNOWN:
        code = ErrorCode.INVALID_FIELD_FORMAT
        first = next(p for p in problems if p["type"] not in _UNKNOWN)
    else:
        code = ErrorCode.INVALID_INPUT
        first = problems[0]
    message = f"{first['field'] or 'request'}: {first['message']}"
    return ValidationError(
        message, code=code, details={"field": first["field"], "errors": problems}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OmiumError)
    async def _omium_error(request: Request, exc: OmiumError) -> JSONResponse:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimitError):
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
            headers.update(getattr(exc, "headers", {}) or {})
        status = exc.http_status
        if exc.code is ErrorCode.INTERNAL_ERROR and status == 500:
            log.error("internal error (request_id=%s): %s", request_id_of(request), exc.message)
        return error_response(request, exc, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, validation_error(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: ErrorCode.RESOURCE_NOT_FOUND,
            401: ErrorCode.AUTH_INVALID_CREDENTIALS,
            422: ErrorCode.INVALID_FIELD_FORMAT,
        }.get(exc.status_code, ErrorCode.INVALID_INPUT)
        error = OmiumError(str(exc.detail), code=code)
        error.http_status = exc.status_code  # type: ignore[misc]
        return error_response(request, error, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # No stack trace reaches a client; the log keeps it, keyed by the request id.
        log.exception("unhandled error (request_id=%s)", request_id_of(request))
        error = OmiumError("Internal server error", code=ErrorCode.INTERNAL_ERROR)
        return error_response(request, error)


#: OpenAPI entries for the errors every authenticated route may answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, invalid or expired credentials"},
    403: {"model": ErrorBody, "description": "AUTH_INSUFFICIENT_PERMISSIONS"},
    404: {"model": ErrorBody, "description": "Not found (also another tenant's resource)"},
    409: {"model": ErrorBody, "description": "Conflict with the resource's current state"},
    413: {"model": ErrorBody, "description": "Request body too large"},
    422: {"model": ErrorBody, "description": "Validation error"},
    429: {"model": ErrorBody, "description": "RATE_LIMIT_EXCEEDED or QUOTA_EXCEEDED"},
}
