"""Follow an execution's events live, from the transactional outbox (``execution_events``).

The outbox holds every event in commit order, whichever process committed it, so a follower
in the API or gRPC process sees what a worker elsewhere did: it reads the events after the
last one it delivered (:func:`omium.services.event_stream.events_after`, as the SSE endpoint
does) and waits a little when there are none. The stream ends after the execution's terminal
event (completed, failed, cancelled), or once an execution that had already ended has no
more events to give.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from omium.services import event_stream
from omium.services.context import RequestContext
from omium.store.db import Database

#: The events after which an execution produces no more (it ended).
TERMINAL_EVENTS = frozenset({"execution_completed", "execution_failed", "execution_cancelled"})


class ExecutionEventFeed:
    """An execution's events for one caller; another tenant's execution is not found."""

    def __init__(self, db: Database, *, poll_interval: float = 0.1, batch: int = 500) -> None:
        self._db = db
        self.poll_interval = poll_interval
        self.batch = batch

    async def follow(
        self, ctx: RequestContext, execution_id: uuid.UUID, *, after_id: int = 0
    ) -> AsyncIterator[event_stream.StoredEvent]:
        """Every event after ``after_id`` as it commits, until the execution has ended.

        Raises NotFoundError (before yielding anything) for an execution not in the tenant.
        """
        await asyncio.to_thread(event_stream.require_execution, self._db, ctx, execution_id)
        position = after_id
        while True:
            events, ended = await asyncio.to_thread(
                event_stream.events_after,
                self._db,
                ctx,
                execution_id,
                position,
                limit=self.batch,
            )
            for event in events:
                position = event.id
                yield event
                if event.event_type in TERMINAL_EVENTS:
                    return
            if ended and len(events) < self.batch:
                # Ended, and the read above (taken after the status) held every event left.
                return
            if not events:
                await asyncio.sleep(self.poll_interval)
