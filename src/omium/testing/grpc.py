"""Run a gRPC server on a real socket in a background thread (its own event loop), for tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol


class _Server(Protocol):
    async def start(self) -> int: ...

    async def stop(self, grace: float | None = ...) -> None: ...


@contextmanager
def serve_grpc(build: Callable[[], _Server], *, timeout: float = 10.0) -> Iterator[str]:
    """Build (inside the server's loop) and start a server on a free port; yields its target.

    ``build`` runs in the server thread, because grpc.aio objects belong to the loop they are
    created in.
    """
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()
    box: dict[str, object] = {}

    async def main() -> None:
        try:
            server = build()
            box["port"] = await server.start()
        except BaseException as exc:
            box["error"] = exc
            started.set()
            raise
        started.set()
        await stop.wait()
        await server.stop(1.0)

    thread = threading.Thread(
        target=lambda: loop.run_until_complete(main()), name="grpc-test-server", daemon=True
    )
    thread.start()
    if not started.wait(timeout) or "error" in box:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        raise RuntimeError(f"test gRPC server did not start: {box.get('error')!r}")
    try:
        yield f"127.0.0.1:{box['port']}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        loop.close()
