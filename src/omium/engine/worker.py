"""A worker: claims executions, runs them, keeps their leases, and shuts down gracefully.

Side tasks (heartbeat) are watched: if one dies the worker stops. Concurrency is bounded by
``concurrency`` runners. In-process control (a cancel or rollback by a service of the same
process) interrupts a runner at once through the event bus; from another process it is
noticed by the next heartbeat, which finds the lease gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import threading
import uuid
from typing import Any

from omium.engine import claims
from omium.engine.events import Event
from omium.engine.runner import EngineDeps, Runner, RunResult

log = logging.getLogger(__name__)

_WAKE_EVENTS = frozenset({"execution_queued"})
_STOP_EVENTS = frozenset({"execution_cancelled", "execution_rolled_back"})


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        deps: EngineDeps,
        *,
        worker_id: str | None = None,
        concurrency: int = 8,
        poll_seconds: float = 0.5,
        grace_seconds: float = 30.0,
    ) -> None:
        self.deps = deps
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self.runners: dict[uuid.UUID, tuple[Runner, asyncio.Task[RunResult]]] = {}
        self.results: list[RunResult] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None

    # -------------------------------------------------------------- control from any thread

    def request_stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    def _on_event(self, event: Event) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if event.event_type in _WAKE_EVENTS and self._wake is not None:
            loop.call_soon_threadsafe(self._wake.set)
        elif event.event_type in _STOP_EVENTS:
            loop.call_soon_threadsafe(self._interrupt, event.execution_id)

    def _interrupt(self, execution_id: uuid.UUID) -> None:
        entry = self.runners.get(execution_id)
        if entry is not None:
            entry[0].interrupt()

    # -------------------------------------------------------------- main loop

    async def run(self, *, until_idle: bool = False) -> None:
        """Run until :meth:`request_stop` (or, with ``until_idle``, until nothing is left)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        unsubscribe = self.deps.bus.subscribe(self._on_event)
        heartbeat = asyncio.create_task(self._heartbeat_loop())
        log.info("worker %s started (concurrency %d)", self.worker_id, self.concurrency)
        try:
            while not self._stop.is_set():
                if heartbeat.done():
                    heartbeat.result()  # re-raise: a dead side task stops the worker
                free = self.concurrency - len(self.runners)
                claimed = (
                    claims.claim(
                        self.deps.db,
                        self.worker_id,
                        limit=free,
                        lease_seconds=self.deps.lease_seconds,
                    )
                    if free > 0
                    else []
                )
                for execution_id, tenant_id in claimed:
                    self._start(execution_id, tenant_id)
                if until_idle and not self.runners and not claimed:
                    break
                if claimed and free - len(claimed) > 0:
                    continue
                self._wake.clear()
                waiters: list[asyncio.Future[Any]] = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(self._stop.wait()),
                ]
                waiters += [t for _, t in self.runners.values()]
                await asyncio.wait(
                    waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for w in waiters[:2]:
                    w.cancel()
        finally:
            await self._shutdown()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await heartbeat
            unsubscribe()
            log.info("worker %s stopped", self.worker_id)

    def _start(self, execution_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        runner = Runner(self.deps, tenant_id, execution_id, self.worker_id)
        task = asyncio.create_task(runner.run())
        self.runners[execution_id] = (runner, task)
        task.add_done_callback(functools.partial(self._finished, execution_id))

    def _finished(self, execution_id: uuid.UUID, task: asyncio.Task[RunResult]) -> None:
        # A runner interrupted by a lost lease may end after this worker claimed the
        # execution again: only forget the entry if it is still this task's.
        entry = self.runners.get(execution_id)
        if entry is not None and entry[1] is task:
            del self.runners[execution_id]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("runner of %s crashed: %r", execution_id, exc, exc_info=exc)
            return
        self.results.append(task.result())
        if self._wake is not None:
            self._wake.set()

    async def _heartbeat_loop(self) -> None:
        # The heartbeat runs in its own thread: a busy event loop (steps committing, agents
        # starting) must never make a live worker's leases lapse.
        stop = threading.Event()
        loop = asyncio.get_running_loop()

        def beat() -> None:
            interval = min(1.0, self.deps.lease_seconds / 3)
            while not stop.wait(interval):
                held = list(self.runners)
                if not held:
                    continue
                kept = claims.heartbeat(self.deps.db, self.worker_id, held, self.deps.lease_seconds)
                for execution_id in set(held) - kept:
                    loop.call_soon_threadsafe(self._lost, execution_id)

        try:
            await asyncio.to_thread(beat)
        finally:
            stop.set()

    def _lost(self, execution_id: uuid.UUID) -> None:
        entry = self.runners.get(execution_id)
        if entry is not None:
            log.info("lease of %s lost; interrupting its runner", execution_id)
            entry[0].interrupt()

    async def _shutdown(self) -> None:
        """Let in-flight steps finish (up to the grace period), then hand the rest back."""
        if not self.runners:
            return
        for runner, _ in self.runners.values():
            runner.release()
        tasks = [t for _, t in self.runners.values()]
        _, pending = await asyncio.wait(tasks, timeout=self.grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        released = await asyncio.to_thread(claims.release_all, self.deps.db, self.worker_id)
        if released:
            log.info("worker %s handed back %d execution(s)", self.worker_id, released)
