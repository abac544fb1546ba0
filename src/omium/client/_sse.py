"""A small Server-Sent Events parser (the subset the Omium API speaks)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One event of an execution's stream."""

    #: the event type: execution_started, step_started, checkpoint_created, ...
    event_type: str
    #: the event's payload (the JSON ``data`` of the SSE message)
    data: dict[str, Any] = field(default_factory=dict)
    #: the SSE id; pass it back as ``last_event_id`` to resume after it
    id: str | None = None
    #: when the event was recorded (ISO 8601), when the server says
    timestamp: str | None = None


class SSEDecoder:
    """Feed lines, get events. Comments and retry fields are skipped."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> Event | None:
        line = line.rstrip("\r\n")
        if not line:
            return self._flush()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        return None

    def _flush(self) -> Event | None:
        if not self._data and not self._event:
            return None
        raw = "\n".join(self._data)
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw}
        data = parsed if isinstance(parsed, dict) else {"value": parsed}
        event_type = self._event or str(data.get("event_type") or "message")
        timestamp = data.get("timestamp")
        # The Omium API frames each event as {event_type, timestamp, data: payload}.
        if "event_type" in data and isinstance(data.get("data"), dict):
            data = data["data"]
        event = Event(
            event_type=event_type,
            data=data,
            id=self._id,
            timestamp=str(timestamp) if timestamp is not None else None,
        )
        self._event, self._data = "", []
        return event


def iter_sse(lines: Iterator[str]) -> Iterator[Event]:
    decoder = SSEDecoder()
    for line in lines:
        event = decoder.feed(line)
        if event is not None:
            yield event


async def aiter_sse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    decoder = SSEDecoder()
    async for line in lines:
        event = decoder.feed(line)
        if event is not None:
            yield event
