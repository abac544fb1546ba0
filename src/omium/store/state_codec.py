"""Checkpoint state encoding: canonical JSON, per-key parts, compression and checksums.

A state is one JSON document. It is serialized canonically (sorted keys, compact separators,
UTF-8 without escapes), so the same state always gives the same bytes and the same checksum.

For deduplication an object state is cut into *parts*, one per top-level key: the canonical
bytes of that key's value. The canonical bytes of the whole state are exactly
``{"k1":<part1>,"k2":<part2>,...}`` with the keys in sorted order, so the whole can be
reassembled from its parts byte for byte and its checksum verified without re-serializing.
A state that is not an object is one part under the key ``None``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import zstandard

from omium.types import CompressionType

#: Parts smaller than this are stored uncompressed: compressing them saves almost nothing and
#: costs a call per part on the hot path (and gzip's header alone is 18 bytes).
COMPRESSION_THRESHOLD = 512

_ZSTD_LEVEL = 3
_GZIP_LEVEL = 6

_zstd_compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
_zstd_decompressor = zstandard.ZstdDecompressor()


# One encoder, built once: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


class StateEncodingError(ValueError):
    """The state is not a JSON document (a set, bytes, NaN, a non-string key, ...)."""


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON document: same document, same bytes.

    Raises:
        StateEncodingError: the value cannot be represented as strict JSON.
    """
    try:
        return _ENCODER.encode(value).encode()
    except (TypeError, ValueError) as exc:
        raise StateEncodingError(f"state is not a JSON document: {exc}") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_checksum(hex_digest: str) -> str:
    """The checksum as shown over the API: ``sha256:<hex>``."""
    return f"sha256:{hex_digest}"


@dataclass(frozen=True, slots=True)
class Part:
    """The canonical bytes of one top-level value of a state."""

    key: str | None
    raw: bytes
    digest: str


@dataclass(frozen=True, slots=True)
class EncodedState:
    """A state cut into parts, with the checksum and size of its whole canonical form."""

    parts: tuple[Part, ...]
    checksum: str
    size: int
    is_object: bool


def _key_prefix(key: str) -> bytes:
    return json.dumps(key, ensure_ascii=False).encode() + b":"


def encode_state(state: Any) -> EncodedState:
    """Cut ``state`` into per-key parts and compute the checksum of its canonical whole."""
    whole = hashlib.sha256()
    if not isinstance(state, dict):
        raw = canonical_json(state)
        whole.update(raw)
        part = Part(key=None, raw=raw, digest=sha256_hex(raw))
        return EncodedState(
            parts=(part,), checksum=whole.hexdigest(), size=len(raw), is_object=False
        )
    parts: list[Part] = []
    size = 2
    whole.update(b"{")
    for index, key in enumerate(sorted(_check_keys(state))):
        raw = canonical_json(state[key])
        prefix = _key_prefix(key)
        if index:
            whole.update(b",")
            size += 1
        whole.update(prefix)
        whole.update(raw)
        size += len(prefix) + len(raw)
        parts.append(Part(key=key, raw=raw, digest=sha256_hex(raw)))
    whole.update(b"}")
    return EncodedState(parts=tuple(parts), checksum=whole.hexdigest(), size=size, is_object=True)


def _check_keys(state: dict[Any, Any]) -> Iterable[str]:
    for key in state:
        if not isinstance(key, str):
            raise StateEncodingError(
                f"state is not a JSON document: top-level key {key!r} is not a string"
            )
    return state.keys()


def assemble(parts: Iterable[tuple[str | None, bytes]], *, is_object: bool) -> bytes:
    """The canonical bytes of a whole state from its parts (keys in sorted order)."""
    if not is_object:
        [(_, raw)] = list(parts)
        return raw
    return b"{" + b",".join(_key_prefix(str(key)) + raw for key, raw in parts) + b"}"


def compress(data: bytes, compression: CompressionType) -> tuple[bytes, CompressionType]:
    """Compress ``data``; parts below :data:`COMPRESSION_THRESHOLD` stay uncompressed.

    Returns the stored bytes and the compression actually applied.
    """
    if compression is CompressionType.NONE or len(data) < COMPRESSION_THRESHOLD:
        return data, CompressionType.NONE
    if compression is CompressionType.ZSTD:
        return _zstd_compressor.compress(data), CompressionType.ZSTD
    # mtime=0: the same bytes always compress to the same stored bytes.
    return gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0), CompressionType.GZIP


def decompress(data: bytes, compression: str) -> bytes:
    """Undo :func:`compress`.

    Raises:
        ValueError: the bytes are not valid for that compression, or it is unknown.
    """
    try:
        if compression == CompressionType.NONE:
            return data
        if compression == CompressionType.ZSTD:
            return _zstd_decompressor.decompress(data)
        if compression == CompressionType.GZIP:
            return gzip.decompress(data)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise ValueError(f"cannot decompress {compression} data: {exc}") from exc
    raise ValueError(f"unknown compression {compression!r}")
