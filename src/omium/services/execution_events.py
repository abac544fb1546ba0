"""Follow an execution's events live, from the transactional outbox (``execution_events``).

The outbox holds every event in commit order, whichever process committed it, so a follower
in the API or gRPC process sees what a worker elsewhere did: it reads the events after the
last one it delivered and waits a little when there are none. The stream ends after the
execution's terminal event (completed, failed, cancelled), or at once for an execution that
had already ended.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from omium.schemas.events import ExecutionEventOut
from omium.store.db import Database
from omium.store.models import Execution, ExecutionEvent
from omium.store.uow import UnitOfWork
from omium.types import ExecutionStatus

ENDED = frozenset(
    {ExecutionStatus.COMPLETED.value, ExecutionStatus.FAILED.value, ExecutionStatus.CANCELLED.value}
)


class ExecutionEventFeed:
    """Reads an execution's events for one tenant; another tenant's execution is not found."""

    def __init__(self, db: Database, *, poll_interval: float = 0.1, batch: int = 500) -> None:
        self._db = db
        self.poll_interval = poll_interval
        self.batch = batch

    def read(
        self, tenant_id: uuid.UUID, execution_id: uuid.UUID, *, after_id: int = 0
    ) -> tuple[list[ExecutionEventOut], bool]:
        """The events after ``after_id`` (up to one batch), and whether the execution ended."""
        with UnitOfWork(self._db, read_only=True) as uow:
            execution = uow.repo(Execution, tenant_id).require(execution_id)
            rows = uow.repo(ExecutionEvent, tenant_id).list(
                ExecutionEvent.execution_id == execution_id,
                ExecutionEvent.id > after_id,
                order_by=[ExecutionEvent.id],
                limit=self.batch,
            )
            events = [
                ExecutionEventOut(
                    id=row.id,
                    execution_id=row.execution_id,
                    event_type=row.event_type,
                    payload=row.payload,
                    created_at=row.created_at,
                )
                for row in rows
            ]
            return events, execution.status in ENDED

    async def follow(
        self, tenant_id: uuid.UUID, execution_id: uuid.UUID, *, after_id: int = 0
    ) -> AsyncIterator[ExecutionEventOut]:
        """Every event after ``after_id`` as it commits, until the execution has ended.

        Raises NotFoundError (before yielding anything) for an execution not in the tenant.
        """
        position = after_id
        while True:
            events, ended = await asyncio.to_thread(
                self.read, tenant_id, execution_id, after_id=position
            )
            for event in events:
                position = event.id
                yield event
                if event.terminal:
                    return
            if ended and len(events) < self.batch:
                # Ended, and the read above (taken with the status) held every event left.
                return
            if not events:
                await asyncio.sleep(self.poll_interval)
