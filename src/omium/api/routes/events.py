"""An execution's events as Server-Sent Events: live, resumable with ``Last-Event-ID``.

Each event's SSE id is its outbox row id, so a client that reconnects with the last id it saw
gets every later event exactly once. The stream ends after the execution finishes and its
last event is sent.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from omium.api.deps import RuntimeDep, require
from omium.api.errors import ERROR_RESPONSES
from omium.services import event_stream
from omium.services.context import RequestContext

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0


def _frame(event: event_stream.StoredEvent) -> bytes:
    data = {
        "event_type": event.event_type,
        "timestamp": event.created_at.isoformat(),
        "data": event.payload,
    }
    return f"id: {event.id}\nevent: {event.event_type}\ndata: {json.dumps(data)}\n\n".encode()


@router.get(
    "/executions/{execution_id}/events",
    operation_id="stream_execution_events",
    tags=["executions"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def stream_execution_events(
    execution_id: uuid.UUID,
    request: Request,
    rt: RuntimeDep,
    ctx: Annotated[RequestContext, Depends(require("execution:read"))],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, description="Same as Last-Event-ID.")] = None,
    follow: bool = True,
) -> StreamingResponse:
    """`follow=false` returns what is stored and ends."""
    await run_in_threadpool(event_stream.require_execution, rt.db, ctx, execution_id)
    start = after or 0
    if last_event_id and last_event_id.strip().isdigit():
        start = max(start, int(last_event_id.strip()))

    async def frames() -> AsyncIterator[bytes]:
        cursor = start
        idle = 0.0
        yield b": connected\n\n"
        while True:
            events, finished = await run_in_threadpool(
                event_stream.events_after, rt.db, ctx, execution_id, cursor
            )
            for event in events:
                cursor = event.id
                yield _frame(event)
            if events:
                idle = 0.0
                continue
            if finished or not follow or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_SECONDS)
            idle += POLL_SECONDS
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
