"""Content-addressed checkpoint parts: write the new ones, read and verify them back.

A part is the canonical bytes of one top-level value of a state (see state_codec). It is
stored once per tenant under its sha256: inline in ``checkpoint_blobs.data`` up to
:data:`INLINE_MAX` stored bytes, in the blob store beyond. Writing is one multi-row
``INSERT ... ON CONFLICT DO NOTHING RETURNING digest`` (store/checkpoint_writer.py): the rows
it returns are the parts that were new, and only those are uploaded — before the caller
commits, so a committed row never points at a missing object. A crash between the upload
and the commit leaves an object no row names; the sweep removes such orphans after a grace
period.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from omium.errors import CheckpointCorruptedError
from omium.store.blobs.base import BlobNotFoundError, BlobStore
from omium.store.models import CheckpointBlob
from omium.store.state_codec import Part, compress, decompress, sha256_hex
from omium.types import CompressionType

#: Parts up to this many stored bytes live in the database row, larger ones in the blob store.
INLINE_MAX = 256 * 1024

#: How many (tenant, digest) pairs a process remembers as stored.
KNOWN_DIGESTS = 500_000

#: How many compressed bytes of recently written parts a process remembers, so that the
#: unchanged keys of the next checkpoint are not compressed again.
COMPRESSED_CACHE_BYTES = 64 * 1024 * 1024

_TABLE = cast(Table, CheckpointBlob.__table__)


def blob_key(tenant_id: uuid.UUID, digest: str) -> str:
    """Where a new large part goes in the blob store: ``<tenant>/<aa>/<digest>.<nonce>``.

    The nonce makes each upload its own object: when the sweep deletes a part's row and then
    its object, a writer that meanwhile stored the same content again has uploaded to
    another key, which the sweep does not touch.
    """
    return f"{tenant_id.hex}/{digest[:2]}/{digest}.{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, slots=True)
class StoredPart:
    digest: str
    compression: CompressionType
    data: bytes
    raw_size: int


@dataclass(frozen=True, slots=True)
class PreparedParts:
    """The distinct parts of one state: those to INSERT (compressed) and those believed to
    be stored already (only checked, and locked, by the write)."""

    #: digest -> compressed part, for the parts to insert
    parts: dict[str, StoredPart]
    #: digest -> the blob-store key a large part gets if it turns out to be new
    keys: dict[str, str]
    #: digests this process saw stored for the tenant: the write verifies they still are
    known: list[str]

    def rows(self) -> list[dict[str, Any]]:
        """The ``checkpoint_blobs`` columns of each part (tenant and time left to the caller)."""
        return [
            {
                "digest": digest,
                "compression": stored.compression.value,
                "raw_size": stored.raw_size,
                "stored_size": len(stored.data),
                "data": None if digest in self.keys else stored.data,
                "location": self.keys.get(digest),
            }
            for digest, stored in self.parts.items()
        ]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one checkpoint added to storage (the dedup accounting)."""

    new_parts: int
    new_bytes: int
    reused_parts: int
    #: digest -> blob-store key of the large parts this write uploaded
    external_keys: dict[str, str]


class _CompressedCache:
    """A small LRU of compressed parts, bounded by total bytes, shared by threads."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._items: OrderedDict[tuple[CompressionType, str], StoredPart] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, compression: CompressionType, digest: str) -> StoredPart | None:
        with self._lock:
            item = self._items.get((compression, digest))
            if item is not None:
                self._items.move_to_end((compression, digest))
            return item

    def put(self, requested: CompressionType, part: StoredPart) -> None:
        if len(part.data) > self._capacity:
            return
        with self._lock:
            key = (requested, part.digest)
            if key in self._items:
                return
            self._items[key] = part
            self._size += len(part.data)
            while self._size > self._capacity:
                _, old = self._items.popitem(last=False)
                self._size -= len(old.data)


class _KnownDigests:
    """An LRU of (tenant, digest) pairs this process saw stored, shared by threads.

    Only a hint: a write re-checks (and on PostgreSQL locks) the rows it names, and falls
    back to inserting the parts when one is gone (rolled back, or swept).
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[uuid.UUID, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, tenant_id: uuid.UUID, digests: set[str]) -> set[str]:
        with self._lock:
            found = {d for d in digests if (tenant_id, d) in self._items}
            for digest in found:
                self._items.move_to_end((tenant_id, digest))
            return found

    def add(self, tenant_id: uuid.UUID, digests: Iterable[str]) -> None:
        with self._lock:
            for digest in digests:
                self._items[(tenant_id, digest)] = None
                self._items.move_to_end((tenant_id, digest))
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def forget(self, tenant_id: uuid.UUID, digests: Iterable[str]) -> None:
        with self._lock:
            for digest in digests:
                self._items.pop((tenant_id, digest), None)


class PartStore:
    """Writes and reads the parts of checkpoint states for every tenant."""

    def __init__(
        self,
        blobs: BlobStore,
        *,
        inline_max: int = INLINE_MAX,
        cache_bytes: int = COMPRESSED_CACHE_BYTES,
    ) -> None:
        self.blobs = blobs
        self.inline_max = inline_max
        self._cache = _CompressedCache(cache_bytes)
        self._known = _KnownDigests(KNOWN_DIGESTS)

    def _stored(self, part: Part, compression: CompressionType) -> StoredPart:
        cached = self._cache.get(compression, part.digest)
        if cached is not None:
            return cached
        data, applied = compress(part.raw, compression)
        stored = StoredPart(part.digest, applied, data, len(part.raw))
        self._cache.put(compression, stored)
        return stored

    def known(self, tenant_id: uuid.UUID, parts: Sequence[Part]) -> set[str]:
        """The digests among ``parts`` this process has seen stored for the tenant."""
        return self._known.known(tenant_id, {part.digest for part in parts})

    def remember(self, tenant_id: uuid.UUID, digests: Iterable[str]) -> None:
        self._known.add(tenant_id, digests)

    def forget(self, tenant_id: uuid.UUID, digests: Iterable[str]) -> None:
        self._known.forget(tenant_id, digests)

    def prepare(
        self,
        tenant_id: uuid.UUID,
        parts: Sequence[Part],
        compression: CompressionType,
        known: set[str],
    ) -> PreparedParts:
        """Compress the distinct parts not in ``known`` and choose where each would live if
        it is new; the ``known`` ones are only verified by the write."""
        unique: dict[str, StoredPart] = {}
        for part in parts:
            if part.digest not in unique and part.digest not in known:
                unique[part.digest] = self._stored(part, compression)
        keys = {
            digest: blob_key(tenant_id, digest)
            for digest, stored in unique.items()
            if len(stored.data) > self.inline_max
        }
        return PreparedParts(unique, keys, sorted(known))

    def finish(self, prepared: PreparedParts, new_digests: set[str]) -> WriteResult:
        """Upload the large parts the INSERT found new; say what the write added.

        Runs after the INSERT and before the caller commits: the rows only become visible
        (and dedupable by others) once their objects are durable.
        """
        external: dict[str, str] = {}
        new_bytes = 0
        for digest in new_digests:
            stored = prepared.parts[digest]
            new_bytes += len(stored.data)
            key = prepared.keys.get(digest)
            if key is not None:
                self.blobs.put(key, stored.data)
                external[digest] = key
        return WriteResult(
            new_parts=len(new_digests),
            new_bytes=new_bytes,
            reused_parts=len(prepared.parts) + len(prepared.known) - len(new_digests),
            external_keys=external,
        )

    def locations(
        self, session: Session | Connection, tenant_id: uuid.UUID, digests: Sequence[str]
    ) -> dict[str, str]:
        """The blob-store keys of those parts that live outside the database."""
        rows = session.execute(
            select(_TABLE.c.digest, _TABLE.c.location).where(
                _TABLE.c.tenant_id == tenant_id,
                _TABLE.c.digest.in_(list(digests)),
                _TABLE.c.location.is_not(None),
            )
        )
        return {digest: location for digest, location in rows}

    def read(
        self,
        session: Session,
        tenant_id: uuid.UUID,
        checkpoint_id: uuid.UUID,
        manifest: Sequence[tuple[str | None, str]],
    ) -> list[tuple[str | None, bytes]]:
        """The verified raw bytes of each ``(key, digest)``, in manifest order.

        Raises:
            CheckpointCorruptedError: a part is missing, undecodable or fails its checksum.
        """
        digests = list({digest for _, digest in manifest})
        found: dict[str, Any] = {}
        if digests:
            result = session.execute(
                select(
                    _TABLE.c.digest,
                    _TABLE.c.compression,
                    _TABLE.c.data,
                    _TABLE.c.location,
                ).where(_TABLE.c.tenant_id == tenant_id, _TABLE.c.digest.in_(digests))
            )
            found = {row.digest: row for row in result}
        raws: dict[str, bytes] = {}
        out: list[tuple[str | None, bytes]] = []
        for key, digest in manifest:
            if digest not in raws:
                raws[digest] = self._read_one(
                    tenant_id, checkpoint_id, key, digest, found.get(digest)
                )
            out.append((key, raws[digest]))
        return out

    def _read_one(
        self,
        tenant_id: uuid.UUID,
        checkpoint_id: uuid.UUID,
        key: str | None,
        digest: str,
        row: Any,
    ) -> bytes:
        if row is None:
            raise corrupted(checkpoint_id, key, "the part is missing from the database")
        data = row.data
        if data is None:
            if row.location is None:
                raise corrupted(checkpoint_id, key, "the part has neither bytes nor a location")
            try:
                data = self.blobs.get(row.location)
            except BlobNotFoundError:
                location = self.blobs.uri(row.location)
                raise corrupted(checkpoint_id, key, f"the blob {location} is missing") from None
        try:
            raw = decompress(bytes(data), row.compression)
        except ValueError as exc:
            raise corrupted(checkpoint_id, key, str(exc)) from None
        if sha256_hex(raw) != digest:
            raise corrupted(checkpoint_id, key, "the part does not match its sha256 checksum")
        return raw


def corrupted(checkpoint_id: uuid.UUID, key: str | None, reason: str) -> CheckpointCorruptedError:
    """The CHECKPOINT_CORRUPTED error for one part (``key`` None = the whole state)."""
    where = "the whole state" if key is None else f"part {key!r}"
    return CheckpointCorruptedError(
        f"Checkpoint {checkpoint_id} is corrupted: {where}: {reason}",
        details={"checkpoint_id": str(checkpoint_id), "part": key, "reason": reason},
    )
