"""The gRPC edge's one error mapper: an OmiumError leaves as a status code plus rich details.

The status code follows the error (404 -> NOT_FOUND, 401 -> UNAUTHENTICATED, ...). The LLD
error code travels twice: as a ``google.rpc.ErrorInfo`` (reason = the code, metadata = the
details) inside the standard ``grpc-status-details-bin`` trailer, readable with
``grpc_status.rpc_status.from_call``, and as plain ``omium-error-code`` trailing metadata for
clients without the rich status helpers.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import grpc
import grpc.aio
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from omium.errors import ErrorCode, OmiumError, RateLimitError

ERROR_DOMAIN = "omium"
ERROR_CODE_METADATA = "omium-error-code"

#: Codes whose gRPC status is more precise than their HTTP status says.
_BY_CODE: dict[ErrorCode, grpc.StatusCode] = {
    ErrorCode.EXECUTION_ALREADY_RUNNING: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.EXECUTION_CANNOT_PAUSE: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.CONSENSUS_NOT_REACHED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.MESSAGE_BROADCAST_FAILED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.LEADER_ELECTION_FAILED: grpc.StatusCode.ABORTED,
    ErrorCode.RESOURCE_CONFLICT: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.CHECKPOINT_CORRUPTED: grpc.StatusCode.DATA_LOSS,
    ErrorCode.ROLLBACK_FAILED: grpc.StatusCode.FAILED_PRECONDITION,
}

_BY_HTTP_STATUS: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ABORTED,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


def status_code_for(error: OmiumError) -> grpc.StatusCode:
    """The gRPC status code an error is reported with."""
    return _BY_CODE.get(error.code) or _BY_HTTP_STATUS.get(
        error.http_status, grpc.StatusCode.INTERNAL
    )


def _metadata_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def to_status(error: OmiumError) -> grpc.Status:
    """The rich gRPC status of ``error``: code, message, ErrorInfo (and RetryInfo) details."""
    code = status_code_for(error)
    info = error_details_pb2.ErrorInfo(
        reason=error.code.value,
        domain=ERROR_DOMAIN,
        metadata={key: _metadata_value(value) for key, value in error.details.items()},
    )
    details = [_pack(info)]
    if isinstance(error, RateLimitError):
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_after * 1e9))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    status = rpc_status.to_status(
        status_pb2.Status(code=code.value[0], message=error.message, details=details)
    )
    return _StatusWithCode(
        code=status.code,
        details=status.details,
        trailing_metadata=(*status.trailing_metadata, (ERROR_CODE_METADATA, error.code.value)),
    )


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


class _StatusWithCode(grpc.Status):
    def __init__(
        self,
        *,
        code: grpc.StatusCode,
        details: str,
        trailing_metadata: tuple[tuple[str, str | bytes], ...],
    ) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: OmiumError) -> NoReturn:
    """End the call with ``error``'s status; never returns."""
    status = to_status(error)
    await context.abort(status.code, status.details, status.trailing_metadata)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover


def error_code_of(call: grpc.Call) -> str | None:
    """The LLD error code a failed call carried (client side), from its rich status."""
    status = rpc_status.from_call(call)
    if status is None:
        return None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info) and info.domain == ERROR_DOMAIN:
            return str(info.reason)
    return None
