"""Execution events: written to the outbox in the announcing transaction, then delivered.

An :class:`EventBatch` collects the events of one unit of work; :meth:`EventBatch.flush`
inserts them (one multi-row INSERT) before the commit; after the commit the caller hands the
batch to :meth:`EventBus.publish`, which calls every in-process subscriber. A subscriber that
raises is logged and skipped: it never undoes a committed change.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.store.models import ExecutionEvent

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset(
    {
        "execution_queued",
        "execution_started",
        "step_started",
        "step_completed",
        "checkpoint_created",
        "failure_detected",
        "recovery_action",
        "rollback",
        "execution_rolled_back",
        "execution_paused",
        "execution_resumed",
        "execution_completed",
        "execution_failed",
        "execution_cancelled",
        "execution_released",
    }
)


@dataclass(frozen=True)
class Event:
    tenant_id: uuid.UUID
    execution_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass
class EventBatch:
    """The events of one transaction."""

    events: list[Event] = field(default_factory=list)
    _written: int = 0

    def add(
        self, tenant_id: uuid.UUID, execution_id: uuid.UUID, event_type: str, **payload: Any
    ) -> Event:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        event = Event(tenant_id, execution_id, event_type, payload, utcnow())
        self.events.append(event)
        return event

    @property
    def unwritten(self) -> bool:
        """Whether some events have no outbox row written yet."""
        return self._written < len(self.events)

    def take_rows(self) -> list[dict[str, Any]]:
        """The outbox rows of the events not yet written; the caller writes them."""
        # A batch's events are nearly always of one execution: its id is written out once.
        last: uuid.UUID | None = None
        text = ""
        rows = []
        for e in self.events[self._written :]:
            if e.execution_id is not last:
                last, text = e.execution_id, str(e.execution_id)
            rows.append(
                {
                    "tenant_id": e.tenant_id,
                    "execution_id": e.execution_id,
                    "event_type": e.event_type,
                    "payload": {"execution_id": text, **e.payload},
                    "created_at": e.created_at,
                }
            )
        self._written = len(self.events)
        return rows

    def flush(self, session: Session) -> None:
        """Insert the events into the outbox, in the caller's transaction."""
        rows = self.take_rows()
        if rows:
            # The table, not the mapped class: a plain INSERT without the ORM's bulk machinery.
            session.execute(insert(_EVENTS), rows)


_EVENTS = cast(Table, ExecutionEvent.__table__)
Subscriber = Callable[[Event], None]


class EventBus:
    """In-process delivery of committed events to subscribers (thread-safe)."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, batch: EventBatch) -> None:
        if not batch.events:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for event in batch.events:
            for fn in subscribers:
                try:
                    fn(event)
                except Exception:
                    log.exception("event subscriber %r failed on %s", fn, event.event_type)
