"""The client's Server-Sent Events parser."""

from __future__ import annotations

from omium.client._sse import Event, iter_sse


def test_events_with_ids_types_and_multiline_data() -> None:
    lines = [
        ": keep-alive",
        "id: 7",
        "event: step_started",
        'data: {"step": 1,',
        'data:  "agent": "kyc_agent"}',
        "",
        "",
        "retry: 1000",
        'data: {"event_type": "execution_completed"}',
        "",
    ]
    assert list(iter_sse(iter(lines))) == [
        Event("step_started", {"step": 1, "agent": "kyc_agent"}, "7"),
        # the last event id carries over, as in the SSE spec
        Event("execution_completed", {"event_type": "execution_completed"}, "7"),
    ]


def test_data_that_is_not_json_is_kept_raw() -> None:
    assert list(iter_sse(iter(["event: note", "data: hello", ""]))) == [
        Event("note", {"raw": "hello"}, None)
    ]
