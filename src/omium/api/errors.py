"""The HTTP edge's one error mapper: every error leaves as the LLD §5.2 body."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from omium.errors import ErrorCode, OmiumError

log = logging.getLogger(__name__)


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OmiumError)
    async def _omium_error(request: Request, exc: OmiumError) -> JSONResponse:
        return JSONResponse(exc.to_dict(request_id_of(request)), status_code=exc.http_status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # No stack trace reaches a client; the log keeps it, keyed by the request id.
        log.exception("unhandled error (request_id=%s)", request_id_of(request))
        error = OmiumError("Internal server error", code=ErrorCode.INTERNAL_ERROR)
        return JSONResponse(error.to_dict(request_id_of(request)), status_code=500)
