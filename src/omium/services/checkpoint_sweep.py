"""The checkpoint sweep: retention, unreferenced parts and orphan blobs.

Three passes, each its own transaction:

1. **Expired checkpoints** (``expires_at`` passed) are deleted, except those still needed:
   the live checkpoint an execution names as ``last_successful_checkpoint`` or
   ``current_checkpoint`` (recovery resumes from it) and any checkpoint a rollback or a
   failure record refers to (a pending rollback restores it; history keeps the others).
2. **Unreferenced parts**: parts no checkpoint manifest names any more, and older than the
   grace period, are deleted, then their blob-store objects. On PostgreSQL this pass holds
   ``SHARE ROW EXCLUSIVE`` on ``checkpoint_blobs``: a writer inserts its parts (taking ROW
   EXCLUSIVE) before its checkpoint row and keeps that lock until it commits, so while the
   sweep holds the lock no writer is between "my part already exists" and "my checkpoint
   names it" — every part a committed or future checkpoint relies on is seen as referenced
   or is inserted again. SQLite writers are serialized by BEGIN IMMEDIATE anyway.
3. **Orphan blobs**: objects in the blob store that no part row names and that are older
   than the grace period (an upload whose transaction never committed) are deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, exists, or_, select, text
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.services.checkpoints import manifest_digests
from omium.store.blobs import BlobStore
from omium.store.db import Database
from omium.store.models import Checkpoint, CheckpointBlob, Execution, Failure, Rollback
from omium.store.uow import UnitOfWork

#: Parts and objects younger than this are never collected: a writer may be between its
#: upload and its commit.
DEFAULT_GRACE = timedelta(hours=1)

_BATCH = 500
_BLOBS = cast(Table, CheckpointBlob.__table__)


@dataclass
class SweepReport:
    """What one sweep removed."""

    expired_checkpoints_deleted: int = 0
    expired_checkpoints_kept: int = 0
    parts_deleted: int = 0
    bytes_freed: int = 0
    blobs_deleted: int = 0
    orphan_blobs_deleted: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _chunks(items: list[Any], size: int = _BATCH) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CheckpointSweeper:
    """Runs the sweep over one tenant or all of them."""

    def __init__(self, db: Database, blobs: BlobStore, *, grace: timedelta = DEFAULT_GRACE) -> None:
        self.db = db
        self.blobs = blobs
        self.grace = grace

    def run(
        self,
        *,
        tenant_id: uuid.UUID | None = None,
        orphans: bool = True,
        now: datetime | None = None,
    ) -> SweepReport:
        now = now or utcnow()
        report = SweepReport()
        self._delete_expired(report, tenant_id, now)
        self._delete_unreferenced_parts(report, tenant_id, now - self.grace)
        if orphans:
            self._delete_orphan_blobs(report, tenant_id, now - self.grace)
        return report

    # ------------------------------------------------------------ 1. retention

    def _delete_expired(
        self, report: SweepReport, tenant_id: uuid.UUID | None, now: datetime
    ) -> None:
        needed = or_(
            and_(
                Checkpoint.superseded_at.is_(None),
                or_(
                    Checkpoint.checkpoint_name == Execution.last_successful_checkpoint,
                    Checkpoint.checkpoint_name == Execution.current_checkpoint,
                ),
            ),
            exists().where(
                or_(
                    Rollback.to_checkpoint_id == Checkpoint.id,
                    Rollback.from_checkpoint_id == Checkpoint.id,
                )
            ),
            exists().where(Failure.checkpoint_id == Checkpoint.id),
        )
        with UnitOfWork(self.db) as uow:
            stmt = (
                select(Checkpoint.id, needed.label("needed"))
                .join(Execution, Execution.id == Checkpoint.execution_id)
                .where(Checkpoint.expires_at.is_not(None), Checkpoint.expires_at <= now)
            )
            if tenant_id is not None:
                stmt = stmt.where(Execution.tenant_id == tenant_id)
            expired = uow.session.execute(stmt).all()
            doomed = [row.id for row in expired if not row.needed]
            report.expired_checkpoints_kept += len(expired) - len(doomed)
            for chunk in _chunks(doomed):
                uow.session.execute(delete(Checkpoint).where(Checkpoint.id.in_(chunk)))
            uow.commit()
        report.expired_checkpoints_deleted += len(doomed)

    # ------------------------------------------------------ 2. unreferenced parts

    def _referenced(self, session: Session, tenant_id: uuid.UUID | None) -> set[tuple[Any, str]]:
        stmt = select(Execution.tenant_id, Checkpoint.state_manifest).join(
            Execution, Execution.id == Checkpoint.execution_id
        )
        if tenant_id is not None:
            stmt = stmt.where(Execution.tenant_id == tenant_id)
        referenced: set[tuple[Any, str]] = set()
        for owner, manifest in session.execute(stmt):
            referenced.update((owner, digest) for digest in manifest_digests(manifest))
        return referenced

    def _delete_unreferenced_parts(
        self, report: SweepReport, tenant_id: uuid.UUID | None, cutoff: datetime
    ) -> None:
        doomed_locations: list[str] = []
        with UnitOfWork(self.db) as uow:
            session = uow.session
            if self.db.dialect == "postgresql":
                session.execute(text("LOCK TABLE checkpoint_blobs IN SHARE ROW EXCLUSIVE MODE"))
            referenced = self._referenced(session, tenant_id)
            stmt = select(
                _BLOBS.c.tenant_id, _BLOBS.c.digest, _BLOBS.c.stored_size, _BLOBS.c.location
            ).where(_BLOBS.c.created_at < cutoff)
            if tenant_id is not None:
                stmt = stmt.where(_BLOBS.c.tenant_id == tenant_id)
            doomed = [
                row
                for row in session.execute(stmt)
                if (row.tenant_id, row.digest) not in referenced
            ]
            for chunk in _chunks(doomed):
                by_tenant: dict[Any, list[str]] = {}
                for row in chunk:
                    by_tenant.setdefault(row.tenant_id, []).append(row.digest)
                for owner, digests in by_tenant.items():
                    session.execute(
                        delete(_BLOBS).where(
                            _BLOBS.c.tenant_id == owner, _BLOBS.c.digest.in_(digests)
                        )
                    )
            uow.commit()
        for row in doomed:
            report.parts_deleted += 1
            report.bytes_freed += int(row.stored_size)
            if row.location:
                doomed_locations.append(row.location)
        # After the commit: were the commit to fail, the rows would still name the objects.
        # Each upload has its own key, so a writer that stored the same content meanwhile
        # did so under another key.
        for location in doomed_locations:
            self.blobs.delete(location)
            report.blobs_deleted += 1

    # ------------------------------------------------------------- 3. orphans

    def _delete_orphan_blobs(
        self, report: SweepReport, tenant_id: uuid.UUID | None, cutoff: datetime
    ) -> None:
        prefix = f"{tenant_id.hex}/" if tenant_id is not None else ""
        # Listed before the rows are read: an object uploaded and committed in between is
        # younger than the grace period, so it is not a candidate anyway.
        candidates = [info.key for info in self.blobs.list(prefix) if info.modified_at < cutoff]
        if not candidates:
            return
        with UnitOfWork(self.db, read_only=True) as uow:
            stmt = select(_BLOBS.c.location).where(_BLOBS.c.location.is_not(None))
            if tenant_id is not None:
                stmt = stmt.where(_BLOBS.c.tenant_id == tenant_id)
            known = set(uow.session.scalars(stmt))
        for key in candidates:
            if key not in known:
                self.blobs.delete(key)
                report.orphan_blobs_deleted += 1
