"""The blob store contract: durable, content-addressed objects under string keys.

Checkpoint parts too large to keep inline in the database live here. Keys are chosen by the
caller (``<tenant>/<digest>``); a put is durable when it returns, so a database row may point
at the object as soon as the put came back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class BlobNotFoundError(LookupError):
    """No object under that key."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    key: str
    size: int
    modified_at: datetime


class BlobStore(Protocol):
    """Where large checkpoint parts live: ``file://`` or ``s3://``."""

    def uri(self, key: str) -> str:
        """The full location of ``key`` (``file:///...`` or ``s3://bucket/prefix/key``)."""
        ...

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` durably (replacing any object there); return its URI."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`BlobNotFoundError` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every object whose key starts with ``prefix``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
