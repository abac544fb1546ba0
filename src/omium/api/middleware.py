"""The request envelope, as plain ASGI (no per-request task like BaseHTTPMiddleware).

Gives every request an id (``X-Request-ID``, taken from the request when given, echoed on
the response) and refuses bodies over the size limit with 413 before the app reads them.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omium.errors import ErrorCode, OmiumError, ValidationError

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER = REQUEST_ID_HEADER.lower().encode()
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestTooLargeError(OmiumError):
    default_code = ErrorCode.INVALID_INPUT
    http_status = 413


def _too_large(limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"Request body larger than {limit} bytes", details={"max_bytes": limit}
    )


class RequestEnvelopeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        length: int | None = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                given = value.decode("latin-1")
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        request_id = given if _SAFE_ID.match(given) else f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        header = (_HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if all(name.lower() != _HEADER for name, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        limit = self.max_body_bytes
        if length is not None and length > limit:
            await _send_error(send_with_id, _too_large(limit), request_id)
            return
        if _has_nul(scope.get("query_string", b"")) or _has_nul(scope.get("raw_path") or b""):
            await _send_error(send_with_id, _nul_error("query"), request_id)
            return
        received = 0
        tail = b""

        async def limited_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing untouched.
                    raise HTTPException(413, _too_large(limit).message)
                if _has_nul(tail + chunk):
                    raise HTTPException(422, _nul_error("body").message)
                tail = chunk[-8:]
            return message

        await self.app(scope, limited_receive, send_with_id)


_NULS = (b"\x00", b"\\u0000", b"%00")


def _has_nul(data: bytes) -> bool:
    # PostgreSQL cannot store NUL in text or JSONB: refuse it at the edge (422), not in the
    # database (500).
    lowered = data.lower()
    return any(nul in lowered for nul in _NULS)


def _nul_error(where: str) -> ValidationError:
    return ValidationError(
        "NUL characters are not allowed",
        code=ErrorCode.INVALID_FIELD_FORMAT,
        details={"field": where},
    )


async def _send_error(send: Send, error: OmiumError, request_id: str) -> None:
    body = json.dumps(error.to_dict(request_id)).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": error.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
