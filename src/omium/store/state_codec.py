"""Checkpoint state encoding: canonical JSON, per-key parts, compression and checksums.

A state is one JSON document. It is serialized canonically (sorted keys, compact separators,
UTF-8 without escapes beyond JSON's own; see :func:`canonical_json`), so the same state
always gives the same bytes.

For deduplication an object state is cut into *parts*, one per top-level key: the canonical
bytes of that key's value. The canonical bytes of the whole state are exactly
``{"k1":<part1>,"k2":<part2>,...}`` with the keys in sorted order, so the whole can be
reassembled from its parts byte for byte. A state that is not an object is one part under
the key ``None``.

The checksum of a state is a Merkle root (:func:`merkle_root`): the sha256 of the canonical
JSON of ``[[key, sha256 hex of the part], ...]`` in key order (key ``null`` for a state that
is not an object). Each part is verified against its own sha256 and the list against the
root, so the whole is verified without hashing it again; and a step that changed one key
hashes that key only (:func:`encode_state` with the previous encoding).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import zlib
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import orjson
import zstandard

from omium.types import CompressionType

#: Parts smaller than this are stored uncompressed: compressing them saves almost nothing and
#: costs a call per part on the hot path (and gzip's header alone is 18 bytes).
COMPRESSION_THRESHOLD = 512

_ZSTD_LEVEL = 1
_GZIP_LEVEL = 6

_zstd_compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
_zstd_decompressor = zstandard.ZstdDecompressor()


# The stdlib encoder, built once (json.dumps with options builds a new one per call). It is
# the fallback for what orjson cannot encode (integers beyond 64 bits).
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# Dates and dataclasses are refused (by the fallback), as the standard library refuses them,
# rather than silently turned into strings and objects.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


class StateEncodingError(ValueError):
    """The state is not a JSON document (a set, bytes, NaN, a non-string key, ...)."""


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON document: same document, same bytes.

    orjson with sorted keys (compact, UTF-8, no escapes beyond JSON's own); a value orjson
    refuses is encoded by the standard library the same way, or refused. Always the same
    encoder for the same value, so the bytes are deterministic.

    Raises:
        StateEncodingError: the value cannot be represented as strict JSON (NaN and the
            infinities included, which orjson would silently turn into null).
    """
    try:
        data = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        try:
            return _ENCODER.encode(value).encode()
        except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
            raise StateEncodingError(f"state is not a JSON document: {exc}") from exc
    if b"null" in data and _has_non_finite(value):
        raise StateEncodingError("state is not a JSON document: NaN or infinity")
    return data


def _has_non_finite(value: Any) -> bool:
    # Only reached when the output holds a null: orjson writes NaN and infinities as null.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


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
    """A state cut into parts, with its checksum (the Merkle root of its parts) and the size
    of its whole canonical form."""

    parts: tuple[Part, ...]
    checksum: str
    size: int
    is_object: bool


def _key_prefix(key: str) -> bytes:
    return canonical_json(key) + b":"


def merkle_root(parts: Iterable[tuple[str | None, str]]) -> str:
    """The checksum of a state from its ``(key, part sha256 hex)`` in key order."""
    return sha256_hex(canonical_json([[key, digest] for key, digest in parts]))


#: What :func:`encode_state` may reuse from a state's previous encoding: for each key, the
#: value object that was encoded and its part.
Previous = Mapping[str | None, tuple[Any, Part]]


def _part(key: str | None, value: Any, previous: Previous | None, trusted: bool) -> Part:
    if previous is not None:
        hit = previous.get(key)
        if hit is not None:
            old_value, old_part = hit
            # The caller vouches that this key did not change since the previous encoding,
            # and it is the very object encoded then (not, say, a state restored from a
            # checkpoint since): its bytes are the same.
            if trusted and old_value is value:
                return old_part
            raw = canonical_json(value)
            # Same bytes, same sha256: comparing is far cheaper than hashing again.
            if raw == old_part.raw:
                return old_part
            return Part(key=key, raw=raw, digest=sha256_hex(raw))
    raw = canonical_json(value)
    return Part(key=key, raw=raw, digest=sha256_hex(raw))


def encode_state(
    state: Any,
    *,
    previous: Previous | None = None,
    changed_keys: AbstractSet[str] | None = None,
) -> EncodedState:
    """Cut ``state`` into per-key parts; compute the size and checksum of its canonical whole.

    ``previous`` is what an earlier encoding of this state's line kept (see
    :func:`reusable`): a part whose bytes are unchanged is not hashed again. With
    ``changed_keys`` the caller also vouches that every other top-level key holds the value
    it held at that earlier encoding, unmutated: such a key whose value is the same object
    is not even serialized again.
    """
    if not isinstance(state, dict):
        part = _part(None, state, previous, False)
        return EncodedState(
            parts=(part,),
            checksum=merkle_root([(None, part.digest)]),
            size=len(part.raw),
            is_object=False,
        )
    keys = sorted(_check_keys(state))
    parts: list[Part] = []
    size = 1 + len(keys) if keys else 2  # the braces and the commas
    for key in keys:
        trusted = changed_keys is not None and key not in changed_keys
        part = _part(key, state[key], previous, trusted)
        size += len(_key_prefix(key)) + len(part.raw)
        parts.append(part)
    return EncodedState(
        parts=tuple(parts),
        checksum=merkle_root([(part.key, part.digest) for part in parts]),
        size=size,
        is_object=True,
    )


def reusable(
    state: Any, encoded: EncodedState, *, keep_values: bool = True
) -> dict[str | None, tuple[Any, Part]]:
    """What a later :func:`encode_state` of the same line may reuse from this encoding.

    Without ``keep_values`` the state's objects are not held (only their bytes): a later
    encoding then compares bytes, it never skips serializing a key.
    """
    if not encoded.is_object:
        return {None: (state if keep_values else _NOT_KEPT, encoded.parts[0])}
    if not keep_values:
        return {part.key: (_NOT_KEPT, part) for part in encoded.parts}
    return {part.key: (state[part.key], part) for part in encoded.parts}


def is_same_state(state: Any, previous: Previous, encoded: EncodedState) -> bool:
    """Whether the object ``state`` holds, key for key, the very values ``encoded`` was made
    from (as kept by :func:`reusable`) and no other key. For a caller that vouches no key
    changed since (``changed_keys`` empty), ``encoded`` is then this state's encoding."""
    if not encoded.is_object or not isinstance(state, dict) or len(state) != len(encoded.parts):
        return False
    for part in encoded.parts:
        hit = previous.get(part.key)
        if hit is None or state.get(part.key, _NOT_KEPT) is not hit[0]:
            return False
    return True


#: Stands for a value not kept: no state value is this object.
_NOT_KEPT = object()


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


def canonical_state(state: Any) -> bytes:
    """The canonical bytes of a whole state: its parts assembled (what ``state_size_bytes``
    describes). For most states this equals :func:`canonical_json` of
    the state; it differs only where one value needs the standard-library fallback."""
    encoded = encode_state(state)
    return assemble([(p.key, p.raw) for p in encoded.parts], is_object=encoded.is_object)


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
