"""The previous encoding of each execution's state, kept in process for the next checkpoint.

A step changes a few top-level keys of a state; the next checkpoint of the execution then
reuses the other keys' parts (bytes and sha256) instead of serializing and hashing them
again (state_codec.encode_state). What is kept is a value object and its canonical bytes:
that pairing does not depend on what else happens to the execution (another writer, a
rollback, a transaction rolled back), so a stale entry only costs a full encoding. A key is
skipped without serializing only when the caller names the keys it changed and the value is
the very object encoded before; otherwise it is serialized and compared, byte for byte.
Whether the parts are still stored is checked by the write itself
(store/checkpoint_writer.py).

The whole last encoding is kept too, with its manifest: a checkpoint of the very same state
(the engine's ``{agent}_start`` right after the ``{agent}_complete`` of the same boundary)
reuses it as it is.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from omium.store.state_codec import EncodedState, Previous

#: How many executions' encodings a process keeps.
MAX_EXECUTIONS = 1024
#: How many canonical bytes those encodings may hold in all.
MAX_BYTES = 64 * 1024 * 1024

_Key = tuple[uuid.UUID, uuid.UUID]


@dataclass(slots=True)
class LastEncoding:
    """An execution's last encoded state: what a later encoding may reuse, the encoding
    itself and its manifest (``None`` when not built); ``parts``, what the checkpoint
    service derived from it (its prepared parts), when it may be reused."""

    previous: Previous
    encoded: EncodedState
    manifest: dict[str, Any] | None
    parts: Any = None


class EncodingCache:
    """An LRU of (tenant, execution) -> the parts of its last encoded state; thread-safe."""

    def __init__(self, max_executions: int = MAX_EXECUTIONS, max_bytes: int = MAX_BYTES) -> None:
        self._max_executions = max_executions
        self._max_bytes = max_bytes
        self._items: OrderedDict[_Key, tuple[LastEncoding, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> Previous | None:
        last = self.last(tenant_id, execution_id)
        return None if last is None else last.previous

    def last(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> LastEncoding | None:
        with self._lock:
            hit = self._items.get((tenant_id, execution_id))
            if hit is None:
                return None
            self._items.move_to_end((tenant_id, execution_id))
            return hit[0]

    def put(
        self,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        previous: Previous,
        encoded: EncodedState,
        manifest: dict[str, Any] | None = None,
    ) -> LastEncoding:
        size = sum(len(part.raw) for part in encoded.parts)
        entry = LastEncoding(previous, encoded, manifest)
        with self._lock:
            old = self._items.pop((tenant_id, execution_id), None)
            if old is not None:
                self._bytes -= old[1]
            if size > self._max_bytes:
                return entry
            self._items[(tenant_id, execution_id)] = (entry, size)
            self._bytes += size
            while self._bytes > self._max_bytes or len(self._items) > self._max_executions:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
        return entry

    def drop(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> None:
        with self._lock:
            old = self._items.pop((tenant_id, execution_id), None)
            if old is not None:
                self._bytes -= old[1]
