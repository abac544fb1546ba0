"""The checkpoint service: durable, checksummed, deduplicated snapshots of execution state.

Used alike by the engine, the REST API and gRPC. Every method takes the caller's
:class:`~omium.store.uow.UnitOfWork` and never commits: the engine writes a checkpoint and the
rest of a step's changes in one transaction, so they become visible (and durable) together.

How a state is stored (see ``store/state_codec.py`` and ``store/checkpoint_parts.py``):

- the state is cut into one part per top-level key, each canonical JSON, addressed by its
  sha256 within the tenant; a part already held is not written again, so storage grows with
  what a step changed, not with the size of the state;
- the checkpoint row keeps a small manifest (``state_manifest``: key -> part digest), the
  Merkle root of the parts (``checksum``: sha256 of the canonical ``[[key, part sha256],
  ...]``) and the size of the whole canonical state (``state_size_bytes``);
- the parts of each execution's last state stay in process (store/encoding_cache.py): the
  next checkpoint serializes and hashes only the keys that changed;
- ``state_blob_uri`` is ``db://checkpoints/<id>`` when every part is inline in the database,
  otherwise the blob-store location of the state's largest part;
- every read verifies each part it loads and the root; any mismatch or missing part raises
  CHECKPOINT_CORRUPTED naming the checkpoint and the part.

This service owns ``executions.checkpoint_count``: the number of checkpoints ever taken in
the execution, which is also the next ``checkpoint_index`` (deleting a checkpoint never frees
an index, so the index always orders the checkpoints of an execution in time).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, exists, func, inspect, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from omium.clock import utcnow
from omium.config import Settings
from omium.errors import ConflictError, ErrorCode, NotFoundError, ValidationError
from omium.ids import time_ordered_uuid
from omium.store.blobs import BlobStore, open_blob_store
from omium.store.checkpoint_parts import (
    INLINE_MAX,
    PartStore,
    PreparedParts,
    StoredPart,
    WriteResult,
    corrupted,
)
from omium.store.checkpoint_writer import (
    AgentMissing,
    ExecutionMissing,
    LiveNameTaken,
    PartsMissing,
    insert_checkpoint,
)
from omium.store.db import Database
from omium.store.encoding_cache import EncodingCache, LastEncoding
from omium.store.manifest import WHOLE_STATE_CHECKSUM, Manifest, build_manifest, read_manifest
from omium.store.models import Checkpoint, Execution, Failure, Rollback, Tenant
from omium.store.scoping import scoped_select
from omium.store.state_codec import (
    EncodedState,
    StateEncodingError,
    assemble,
    encode_state,
    is_same_state,
    merkle_root,
    reusable,
    sha256_hex,
)
from omium.store.uow import UnitOfWork
from omium.types import CompressionType

#: The tenant setting (``tenants.settings``) that overrides the global retention.
TENANT_RETENTION_KEY = "checkpoint_retention_days"

_CHECKPOINTS = cast(Table, Checkpoint.__table__)
_EXECUTIONS = cast(Table, Execution.__table__)
_EXECUTION_MAPPER = inspect(Execution)
_CHECKPOINT_MANAGER = inspect(Checkpoint).class_manager


def inline_uri(checkpoint_id: uuid.UUID) -> str:
    return f"db://checkpoints/{checkpoint_id}"


@dataclass(frozen=True, slots=True)
class StorageStats:
    """What a tenant's checkpoint parts occupy."""

    parts: int
    raw_bytes: int
    stored_bytes: int
    inline_parts: int
    external_parts: int


@dataclass(frozen=True, slots=True)
class CreatedCheckpoint:
    """A new checkpoint and what it added to storage."""

    checkpoint: Checkpoint
    storage: WriteResult


@dataclass(slots=True)
class PendingCheckpoint:
    """A checkpoint encoded and its rows built, not yet inserted (:meth:`CheckpointService.
    prepare`): ``row`` the checkpoint's columns but its index, ``parts`` the part rows to
    insert and the digests to check."""

    tenant_id: uuid.UUID
    row: dict[str, Any]
    encoded: EncodedState
    #: the digest of the state's largest part when it may live in the blob store
    external: str | None
    #: the digests this process believed stored when it prepared the parts
    known: set[str]
    parts: PreparedParts


class _RetentionCache:
    """Per-tenant retention overrides, re-read at most every ``ttl`` seconds."""

    def __init__(self, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._items: dict[uuid.UUID, tuple[float, int | None]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session | Connection, tenant_id: uuid.UUID) -> int | None:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(tenant_id)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        settings = session.scalar(select(Tenant.settings).where(Tenant.id == tenant_id)) or {}
        value = settings.get(TENANT_RETENTION_KEY) if isinstance(settings, dict) else None
        days = int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None
        with self._lock:
            self._items[tenant_id] = (now, days)
        return days


@dataclass(frozen=True, slots=True)
class _LastParts:
    """The parts prepared for an execution's last encoded state, when all stay inline."""

    known: frozenset[str]
    parts: dict[str, StoredPart]


class _NeedsTransaction(Exception):
    """The write cannot be one autocommitted statement (a part goes to the blob store)."""


@dataclass(slots=True)
class _Request:
    """A validated, encoded checkpoint ready to store."""

    tenant_id: uuid.UUID
    execution_id: uuid.UUID
    index: int | None
    state: Any
    encoded: EncodedState
    #: the state's objects are kept for the next encoding (see _pending)
    keep_values: bool
    row: dict[str, Any]
    #: the execution's last encoding when ``encoded`` is it, reused as it is
    reused: LastEncoding | None


class CheckpointService:
    """Create, read, list, supersede and delete checkpoints (the caller commits)."""

    def __init__(
        self,
        blobs: BlobStore,
        *,
        compression: CompressionType = CompressionType.GZIP,
        retention_days: int | None = None,
        inline_max: int = INLINE_MAX,
    ) -> None:
        self.blobs = blobs
        self.parts = PartStore(blobs, inline_max=inline_max)
        self.compression = compression
        self.retention_days = retention_days
        self._retention = _RetentionCache()
        self._encodings = EncodingCache()

    # ---------------------------------------------------------------- writing

    def create(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        index: int | None = None,
        agent_id: uuid.UUID | None = None,
        preconditions: Any | None = None,
        postconditions: Any | None = None,
        validation_passed: bool = True,
        metadata: dict[str, Any] | None = None,
        changed_keys: Iterable[str] | None = None,
    ) -> Checkpoint:
        """Snapshot ``state`` as checkpoint ``name`` of the execution; the caller commits.

        ``index`` defaults to the execution's next index. ``changed_keys``, an optional
        hint: the top-level keys whose values may differ from the state this process last
        checkpointed for the execution; every other key must hold the same, unmutated
        object as then (it is then neither serialized nor hashed again). Without it every
        key is serialized, and only changed bytes are hashed. Raises NotFoundError
        (EXECUTION_NOT_FOUND) for an execution not in this tenant, ConflictError when the
        live line of the execution already has a checkpoint of that name, ValidationError
        when ``state`` is not a JSON document.
        """
        return self.write(
            uow,
            tenant_id,
            execution_id,
            name,
            state,
            index=index,
            agent_id=agent_id,
            preconditions=preconditions,
            postconditions=postconditions,
            validation_passed=validation_passed,
            metadata=metadata,
            changed_keys=changed_keys,
        ).checkpoint

    def write(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        index: int | None = None,
        agent_id: uuid.UUID | None = None,
        preconditions: Any | None = None,
        postconditions: Any | None = None,
        validation_passed: bool = True,
        metadata: dict[str, Any] | None = None,
        changed_keys: Iterable[str] | None = None,
    ) -> CreatedCheckpoint:
        """:meth:`create`, also saying what the checkpoint added to storage."""
        request = self._request(
            tenant_id,
            execution_id,
            name,
            state,
            index=index,
            agent_id=agent_id,
            preconditions=preconditions,
            postconditions=postconditions,
            validation_passed=validation_passed,
            metadata=metadata,
            changed_keys=changed_keys,
        )
        return self._write(uow.session, request)

    def create_committed(
        self,
        db: Database,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        index: int | None = None,
        agent_id: uuid.UUID | None = None,
        preconditions: Any | None = None,
        postconditions: Any | None = None,
        validation_passed: bool = True,
        metadata: dict[str, Any] | None = None,
        changed_keys: Iterable[str] | None = None,
    ) -> Checkpoint:
        """:meth:`create` in a transaction of its own, committed (durable) when it returns.

        For a caller with no unit of work open. On PostgreSQL a state whose parts all stay
        in the database is written by one statement in autocommit, which is its own
        transaction: one round trip instead of BEGIN, the statement and COMMIT. A state with
        a part for the blob store takes a transaction (the part is uploaded after the INSERT
        and before the commit). On SQLite: one write transaction on a plain connection.
        """
        request = self._request(
            tenant_id,
            execution_id,
            name,
            state,
            index=index,
            agent_id=agent_id,
            preconditions=preconditions,
            postconditions=postconditions,
            validation_passed=validation_passed,
            metadata=metadata,
            changed_keys=changed_keys,
        )
        if self._largest_if_external(request.encoded) is None:
            try:
                with db.statements() as conn:
                    return self._write(conn, request).checkpoint
            except _NeedsTransaction:
                pass
        with UnitOfWork(db) as uow:
            created = self._write(uow.session, request)
            uow.commit()
            return created.checkpoint

    def _request(
        self,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        index: int | None,
        agent_id: uuid.UUID | None,
        preconditions: Any | None,
        postconditions: Any | None,
        validation_passed: bool,
        metadata: dict[str, Any] | None,
        changed_keys: Iterable[str] | None,
        keep_values: bool = False,
    ) -> _Request:
        """Validate and encode a checkpoint to write (no database access).

        A caller that says no key changed (``changed_keys`` empty) since the last encoding,
        whose state holds the very objects encoded then, gets that encoding and manifest
        back as they are (``keep_values`` or a hint at that encoding kept the objects)."""
        if not name or len(name) > 255:
            raise ValidationError(
                "checkpoint_name must be 1 to 255 characters",
                code=ErrorCode.INVALID_FIELD_FORMAT,
                details={"field": "checkpoint_name"},
            )
        hint = None if changed_keys is None else frozenset(changed_keys)
        last = self._encodings.last(tenant_id, execution_id)
        if (
            hint is not None
            and not hint
            and last is not None
            and last.manifest is not None
            and is_same_state(state, last.previous, last.encoded)
        ):
            encoded, manifest, reused = last.encoded, last.manifest, last
        else:
            try:
                encoded = encode_state(
                    state, previous=None if last is None else last.previous, changed_keys=hint
                )
            except StateEncodingError as exc:
                raise ValidationError(str(exc), details={"field": "state"}) from None
            manifest, reused = build_manifest(encoded), None
        if index is not None and index < 0:
            raise ValidationError(
                "checkpoint_index must be >= 0", details={"field": "checkpoint_index"}
            )
        checkpoint_id = time_ordered_uuid()
        row: dict[str, Any] = {
            "id": checkpoint_id,
            "execution_id": execution_id,
            "agent_id": agent_id,
            "checkpoint_name": name,
            "state_size_bytes": encoded.size,
            "state_blob_uri": inline_uri(checkpoint_id),
            "checksum": encoded.checksum,
            "preconditions": preconditions,
            "postconditions": postconditions,
            "validation_passed": validation_passed,
            "metadata": dict(metadata or {}),
            "compression_type": self.compression.value,
            "created_at": None,
            "expires_at": None,
            "superseded_at": None,
            "state_manifest": manifest,
        }
        keep = keep_values or hint is not None
        return _Request(tenant_id, execution_id, index, state, encoded, keep, row, reused)

    def _write(self, target: Session | Connection, request: _Request) -> CreatedCheckpoint:
        """Store a checkpoint through ``target``: a session (the caller's unit of work) or
        a connection from :meth:`Database.statements` (autocommit on PostgreSQL)."""
        execution_id, row = request.execution_id, request.row
        autocommit = isinstance(target, Connection) and target.dialect.name == "postgresql"
        pending = self._pending(target, request)
        for attempt in range(3):
            if autocommit and pending.parts.keys:
                # A part for the blob store is uploaded between the INSERT and the commit.
                raise _NeedsTransaction
            try:
                outcome = insert_checkpoint(
                    target,
                    tenant_id=request.tenant_id,
                    row=row,
                    index=request.index,
                    parts=pending.parts.rows(),
                    known=pending.parts.known,
                )
                break
            except PartsMissing as missing:
                # Parts this process saw stored are only checked; when one is gone (swept,
                # or its transaction rolled back) the write is retried inserting it.
                self._reprepare(target, pending, missing.present, last=attempt > 0)
            except ExecutionMissing:
                raise NotFoundError(
                    f"Execution with ID '{execution_id}' not found",
                    code=ErrorCode.EXECUTION_NOT_FOUND,
                    details={"execution_id": str(execution_id)},
                ) from None
            except AgentMissing:
                raise NotFoundError(
                    f"Agent with ID '{row['agent_id']}' not found",
                    details={"agent_id": str(row["agent_id"])},
                ) from None
            except LiveNameTaken:
                name = row["checkpoint_name"]
                raise ConflictError(
                    f"Execution {execution_id} already has a live checkpoint named '{name}'",
                    details={"execution_id": str(execution_id), "checkpoint_name": name},
                ) from None
        else:  # pragma: no cover - the last attempt checks no known part
            raise RuntimeError("checkpoint parts kept disappearing")
        written = self._finish(target, pending, outcome.new_digests)
        if isinstance(target, Session) and target.identity_map:
            key = _EXECUTION_MAPPER.identity_key_from_primary_key((execution_id,))
            loaded = target.identity_map.get(key)
            if loaded is not None:
                set_committed_value(loaded, "checkpoint_count", outcome.checkpoint_count)
        return CreatedCheckpoint(_transient_checkpoint(row, outcome.checkpoint_index), written)

    def _pending(self, target: Session | Connection, request: _Request) -> PendingCheckpoint:
        """``request``'s rows, ready to insert: timestamps, retention, the parts to insert
        or check, the state's location. Its encoding becomes the execution's previous one
        at once, so the next checkpoint of the same transaction reuses it (a write that
        then fails costs that next checkpoint a fuller encoding, never a wrong one: the
        parts it reuses are checked by the insert)."""
        tenant_id, encoded, row = request.tenant_id, request.encoded, request.row
        now = utcnow()
        days = self._retention_days(target, tenant_id)
        row["created_at"] = now
        row["expires_at"] = now + timedelta(days=days) if days else None
        last = request.reused
        if last is not None and isinstance(last.parts, _LastParts):
            # The same state as the execution's last checkpoint (its start after its complete):
            # the same parts to insert or check. Only for a state whose parts all stay in the
            # database: a part's proposed blob-store key must not serve two transactions (see
            # blob_key), and its location is looked up.
            external, known = None, set(last.parts.known)
            prepared = PreparedParts(dict(last.parts.parts), {}, sorted(known))
        else:
            external = self._largest_if_external(encoded)
            known = self.parts.known(tenant_id, encoded.parts)
            prepared = self.parts.prepare(tenant_id, encoded.parts, self.compression, known)
            if external is not None:  # else it is the inline URI the request already holds
                row["state_blob_uri"] = self._state_uri(
                    target, tenant_id, row["id"], external, prepared
                )
        if last is None:
            # The state's objects are held only for a caller that names its changed keys or
            # prepares a checkpoint of a boundary (the others gain nothing from them); their
            # bytes always are.
            kept = reusable(request.state, encoded, keep_values=request.keep_values)
            entry = self._encodings.put(
                tenant_id, request.execution_id, kept, encoded, row["state_manifest"]
            )
            if external is None:
                entry.parts = _LastParts(frozenset(known), dict(prepared.parts))
        return PendingCheckpoint(tenant_id, row, encoded, external, known, prepared)

    def prepare(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        name: str,
        state: Any,
        *,
        agent_id: uuid.UUID | None = None,
        preconditions: Any | None = None,
        postconditions: Any | None = None,
        validation_passed: bool = True,
        metadata: dict[str, Any] | None = None,
        changed_keys: Iterable[str] | None = None,
    ) -> PendingCheckpoint:
        """Encode ``state`` and build the rows of checkpoint ``name`` without writing them:
        the caller inserts them (its ``checkpoint_index`` is left to the insert) in its own
        statement, then calls :meth:`finish` before committing.

        The encoding becomes the execution's previous one at once, so the next checkpoint
        of the same transaction (the engine's ``{agent}_start`` after ``{agent}_complete``)
        reuses it. Raises ValidationError like :meth:`create`."""
        request = self._request(
            tenant_id,
            execution_id,
            name,
            state,
            index=None,
            agent_id=agent_id,
            preconditions=preconditions,
            postconditions=postconditions,
            validation_passed=validation_passed,
            metadata=metadata,
            changed_keys=changed_keys,
            # The next checkpoint of the boundary (nothing runs in between) reuses them.
            keep_values=True,
        )
        return self._pending(uow.session, request)

    def parts_missing(
        self, uow: UnitOfWork, pending: PendingCheckpoint, present: set[str], *, last: bool
    ) -> None:
        """The insert found some parts this process believed stored gone (swept, or their
        transaction rolled back): ``pending`` is prepared again to insert them (``last``:
        to insert every part, checking none)."""
        self._reprepare(uow.session, pending, present, last=last)

    def _reprepare(
        self,
        target: Session | Connection,
        pending: PendingCheckpoint,
        present: set[str],
        *,
        last: bool,
    ) -> None:
        tenant_id = pending.tenant_id
        self.parts.forget(tenant_id, pending.known - present)
        pending.known = set() if last else present & pending.known
        pending.parts = self.parts.prepare(
            tenant_id, pending.encoded.parts, self.compression, pending.known
        )
        pending.row["state_blob_uri"] = self._state_uri(
            target, tenant_id, pending.row["id"], pending.external, pending.parts
        )

    def share_parts(self, pending: list[PendingCheckpoint]) -> None:
        """Checkpoints written by one statement: a part new to several is inserted (and
        uploaded) once, by the first that holds it; the others point at its location."""
        seen: dict[str, str | None] = {}
        for one in pending:
            prepared = one.parts
            for digest in [d for d in prepared.parts if d in seen]:
                del prepared.parts[digest]
                key = prepared.keys.pop(digest, None)
                if key is not None and one.row["state_blob_uri"] == self.blobs.uri(key):
                    location = seen[digest]
                    if location is not None:
                        one.row["state_blob_uri"] = self.blobs.uri(location)
            for digest in prepared.parts:
                seen[digest] = prepared.keys.get(digest)

    def finish(
        self, uow: UnitOfWork, pending: PendingCheckpoint, new_digests: set[str]
    ) -> WriteResult:
        """After the insert, before the commit: upload the large parts the insert found new
        (``new_digests``) and remember the parts as stored."""
        return self._finish(uow.session, pending, new_digests)

    def _finish(
        self, target: Session | Connection, pending: PendingCheckpoint, new_digests: set[str]
    ) -> WriteResult:
        prepared = pending.parts
        self.parts.remember(pending.tenant_id, [*prepared.parts, *prepared.known])
        written = self.parts.finish(prepared, new_digests & prepared.parts.keys())
        self._fix_state_uri(
            target, pending.tenant_id, pending.row, pending.external, prepared, written
        )
        return written

    def _retention_days(self, session: Session | Connection, tenant_id: uuid.UUID) -> int | None:
        override = self._retention.get(session, tenant_id)
        return override if override is not None else self.retention_days

    def _largest_if_external(self, encoded: EncodedState) -> str | None:
        """The digest of the state's largest part when it may live in the blob store."""
        largest = max(encoded.parts, key=lambda part: len(part.raw), default=None)
        # Compressed it can only shrink: a part this small is inline for sure.
        if largest is None or len(largest.raw) <= self.parts.inline_max:
            return None
        return largest.digest

    def _state_uri(
        self,
        session: Session | Connection,
        tenant_id: uuid.UUID,
        checkpoint_id: uuid.UUID,
        digest: str | None,
        prepared: PreparedParts,
    ) -> str:
        if digest is None:
            return inline_uri(checkpoint_id)
        # Large states only: one more query, to point at the object already stored.
        key = self.parts.locations(session, tenant_id, [digest]).get(digest)
        if key is None:
            key = prepared.keys.get(digest)
        return inline_uri(checkpoint_id) if key is None else self.blobs.uri(key)

    def _fix_state_uri(
        self,
        session: Session | Connection,
        tenant_id: uuid.UUID,
        row: dict[str, Any],
        digest: str | None,
        prepared: PreparedParts,
        written: WriteResult,
    ) -> None:
        if digest is None or digest in written.external_keys or digest not in prepared.keys:
            return
        if row["state_blob_uri"] != self.blobs.uri(prepared.keys[digest]):
            return
        # A concurrent writer stored the same large part between our lookup and our INSERT:
        # its object, not the one we proposed (and did not upload), holds the bytes.
        key = self.parts.locations(session, tenant_id, [digest]).get(digest)
        if key is not None:
            row["state_blob_uri"] = self.blobs.uri(key)
            session.execute(
                update(_CHECKPOINTS)
                .where(_CHECKPOINTS.c.id == row["id"])
                .values(state_blob_uri=row["state_blob_uri"])
            )

    def mark_superseded(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        after_index: int,
    ) -> int:
        """Mark the live checkpoints with an index above ``after_index`` superseded (a
        rollback went back over them); they are kept, their names become free again.
        Returns how many were marked."""
        session = uow.session
        self._require_execution(session, tenant_id, execution_id)
        now = utcnow()
        marked = list(
            session.execute(
                update(_CHECKPOINTS)
                .where(
                    _CHECKPOINTS.c.execution_id == execution_id,
                    _CHECKPOINTS.c.checkpoint_index > after_index,
                    _CHECKPOINTS.c.superseded_at.is_(None),
                )
                .values(superseded_at=now)
                .returning(_CHECKPOINTS.c.id)
                .execution_options(synchronize_session=False)
            ).scalars()
        )
        # Only the loaded rows that changed are brought up to date: the caller's other
        # pending changes in this unit of work stay as they are.
        for checkpoint_id in marked:
            loaded = session.identity_map.get(session.identity_key(Checkpoint, checkpoint_id))
            if loaded is not None:
                set_committed_value(loaded, "superseded_at", now)
        return len(marked)

    def delete(self, uow: UnitOfWork, tenant_id: uuid.UUID, checkpoint_id: uuid.UUID) -> None:
        """Delete a checkpoint row; its parts go with the next sweep once nothing names them.

        Raises ConflictError when a rollback or a failure record refers to it.
        """
        checkpoint = self.get(uow, tenant_id, checkpoint_id)
        session = uow.session
        referenced = session.scalar(
            select(
                or_(
                    exists().where(
                        or_(
                            Rollback.to_checkpoint_id == checkpoint_id,
                            Rollback.from_checkpoint_id == checkpoint_id,
                        )
                    ),
                    exists().where(Failure.checkpoint_id == checkpoint_id),
                )
            )
        )
        if referenced:
            raise ConflictError(
                f"Checkpoint {checkpoint_id} is referenced by a rollback or a failure record",
                details={"checkpoint_id": str(checkpoint_id)},
            )
        session.delete(checkpoint)
        session.flush()

    # ---------------------------------------------------------------- reading

    def get(self, uow: UnitOfWork, tenant_id: uuid.UUID, checkpoint_id: uuid.UUID) -> Checkpoint:
        """The checkpoint; NotFoundError (CHECKPOINT_NOT_FOUND) if absent or another tenant's."""
        return uow.repo(Checkpoint, tenant_id).require(checkpoint_id)

    def get_state(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, checkpoint: uuid.UUID | Checkpoint
    ) -> Any:
        """The state of a checkpoint, verified part by part and whole.

        Raises:
            CheckpointCorruptedError: a part is missing or altered, or the whole does not
                match the checkpoint's checksum.
        """
        row = (
            checkpoint
            if isinstance(checkpoint, Checkpoint)
            else self.get(uow, tenant_id, checkpoint)
        )
        manifest = _read_manifest(row)
        # Each part is verified against its sha256 as it is loaded.
        raws = self.parts.read(uow.session, tenant_id, row.id, manifest.parts)
        whole = assemble(raws, is_object=manifest.is_object)
        if manifest.version == WHOLE_STATE_CHECKSUM:
            checksum = sha256_hex(whole)
        else:
            checksum = merkle_root(manifest.parts)
        if checksum != row.checksum:
            raise corrupted(row.id, None, "the state does not match the checkpoint's checksum")
        return json.loads(whole)

    def get_by_name(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, execution_id: uuid.UUID, name: str
    ) -> Checkpoint | None:
        """The live (not superseded) checkpoint of that name in the execution, if any."""
        rows = uow.repo(Checkpoint, tenant_id).list(
            Checkpoint.execution_id == execution_id,
            Checkpoint.checkpoint_name == name,
            Checkpoint.superseded_at.is_(None),
        )
        return rows[0] if rows else None

    def latest(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, execution_id: uuid.UUID
    ) -> Checkpoint | None:
        """The live checkpoint with the highest index in the execution, if any."""
        rows = uow.repo(Checkpoint, tenant_id).list(
            Checkpoint.execution_id == execution_id,
            Checkpoint.superseded_at.is_(None),
            order_by=[Checkpoint.checkpoint_index.desc(), Checkpoint.created_at.desc()],
            limit=1,
        )
        return rows[0] if rows else None

    def list_for_execution(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        *,
        include_superseded: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Checkpoint]:
        """The execution's checkpoints in index order; NotFoundError for a foreign execution."""
        self._require_execution(uow.session, tenant_id, execution_id)
        criteria = [Checkpoint.execution_id == execution_id]
        if not include_superseded:
            criteria.append(Checkpoint.superseded_at.is_(None))
        return uow.repo(Checkpoint, tenant_id).list(
            *criteria,
            order_by=[Checkpoint.checkpoint_index, Checkpoint.created_at],
            limit=limit,
            offset=offset,
        )

    def count_for_execution(
        self,
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        *,
        include_superseded: bool = False,
    ) -> int:
        """How many checkpoints of the execution exist (live ones only by default)."""
        self._require_execution(uow.session, tenant_id, execution_id)
        criteria = [Checkpoint.execution_id == execution_id]
        if not include_superseded:
            criteria.append(Checkpoint.superseded_at.is_(None))
        return uow.repo(Checkpoint, tenant_id).count(*criteria)

    def storage_stats(self, uow: UnitOfWork, tenant_id: uuid.UUID) -> StorageStats:
        """The parts a tenant's checkpoints occupy (the dedup accounting)."""
        from omium.store.models import CheckpointBlob

        row = uow.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(CheckpointBlob.raw_size), 0),
                func.coalesce(func.sum(CheckpointBlob.stored_size), 0),
                func.count(CheckpointBlob.data),
                func.count(CheckpointBlob.location),
            ).where(CheckpointBlob.tenant_id == tenant_id)
        ).one()
        return StorageStats(
            parts=int(row[0]),
            raw_bytes=int(row[1]),
            stored_bytes=int(row[2]),
            inline_parts=int(row[3]),
            external_parts=int(row[4]),
        )

    def _require_execution(
        self, session: Session, tenant_id: uuid.UUID, execution_id: uuid.UUID
    ) -> None:
        found = session.scalar(
            scoped_select(Execution, tenant_id)
            .where(Execution.id == execution_id)
            .with_only_columns(Execution.id)
        )
        if found is None:
            raise NotFoundError(
                f"Execution with ID '{execution_id}' not found",
                code=ErrorCode.EXECUTION_NOT_FOUND,
                details={"execution_id": str(execution_id)},
            )

    def close(self) -> None:
        self.blobs.close()


def _transient_checkpoint(row: dict[str, Any], index: int) -> Checkpoint:
    """The written row as a (transient) Checkpoint. Its attributes are set as loading sets
    them, without the attribute events a constructor fires: nothing is pending on it."""
    checkpoint: Checkpoint = _CHECKPOINT_MANAGER.new_instance()
    values = checkpoint.__dict__
    values.update(row)
    values["metadata_"] = values.pop("metadata")
    values["checkpoint_index"] = index
    return checkpoint


def _read_manifest(row: Checkpoint) -> Manifest:
    try:
        return read_manifest(row.state_manifest)
    except ValueError as exc:
        raise corrupted(row.id, None, f"its manifest is unreadable ({exc})") from None


def build_checkpoint_service(settings: Settings) -> CheckpointService:
    """The checkpoint service configured by ``settings`` (blob store, compression, retention)."""
    return CheckpointService(
        open_blob_store(settings),
        compression=settings.checkpoint_compression,
        retention_days=settings.checkpoint_retention_days,
    )
