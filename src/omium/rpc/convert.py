"""Protobuf <-> Python values shared by the servicers: timestamps, structs, ids."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from omium.errors import ErrorCode, ValidationError


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """A Timestamp of an aware datetime; None stays unset."""
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def struct(value: dict[str, Any] | None) -> struct_pb2.Struct:
    """A Struct of a JSON object (None = empty); ids, times and the like become strings."""
    message = struct_pb2.Struct()
    if value:
        message.update(json.loads(json.dumps(value, default=str)))
    return message


def from_struct(message: struct_pb2.Struct) -> dict[str, Any]:
    """The JSON object of a Struct (numbers come back as floats, as JSON has them)."""
    value = json_format.MessageToDict(message)
    return value if isinstance(value, dict) else {}


def parse_id(value: str, field: str) -> uuid.UUID:
    """A UUID field of a request; INVALID_FIELD_FORMAT when it is not one."""
    if not value:
        raise ValidationError(
            f"{field} is required", code=ErrorCode.MISSING_REQUIRED_FIELD, details={"field": field}
        )
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(
            f"{field} is not a valid id",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": field, "value": value[:100]},
        ) from None


def id_text(value: uuid.UUID | None) -> str:
    """An id as the wire's string; "" for none (proto3 has no null)."""
    return "" if value is None else str(value)
