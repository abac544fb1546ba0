"""Sync agents in their own threads, and how a cancel or a timeout reaches them.

A sync agent is a plain callable; the event loop cannot cancel it the way it cancels a
coroutine. When its step is cancelled (execution cancelled, lease lost) or times out, the
awaiting side gives up at once and the agent's thread is interrupted:

- cooperatively: the context's cancel event is set, so ``ctx.cancelled``,
  ``ctx.check_cancelled()`` and ``ctx.sleep()`` see it;
- asynchronously: :class:`AgentInterrupted` is raised inside the thread with
  ``PyThreadState_SetAsyncExc`` (what Temporal's Python SDK does for threaded activities).
  It is raised again every little while until the thread leaves the agent (an agent that
  swallows it does not keep running), and never once the agent has returned: raising and
  leaving are serialized by one lock, and a thread that was interrupted leaves by replacing
  an exception set but not yet raised with a private marker and catching that marker itself.

Never clear a pending exception with ``PyThreadState_SetAsyncExc(id, NULL)``: CPython signals
the interpreter's eval breaker even for NULL and only the target thread, raising a real
exception, turns it off again. On 3.11 a breaker left on makes any profiled or traced thread
spin forever at its next function entry (``cProfile`` hung the engine benchmark that way); on
3.12 every function call of every thread takes the slow path from then on.

An asynchronous exception is only raised when the thread next runs Python bytecode: a thread
blocked in a C call (``time.sleep``, a socket read without timeout) sees it when the call
returns. Nobody waits for that: the step is recorded cancelled or timed out at once, the
thread's late result is dropped (never written), and the threads are daemons, so a stuck agent
never holds up a worker's shutdown. Agents should wait with ``ctx.sleep()`` and give blocking
calls a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ctypes
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_FIRST_RETRY_SECONDS = 0.05
_MAX_RETRY_SECONDS = 1.0
_DRAIN_TRIES = 100


class AgentInterrupted(BaseException):
    """Raised inside a sync agent's thread when its step was cancelled or timed out.

    A BaseException, so ``except Exception`` in agent code does not swallow it.
    """


class _Drained(BaseException):
    """The marker an interrupted thread raises in itself to take back a pending interrupt."""


def _set_async_exc(thread_id: int, exc: type[BaseException]) -> int:
    api = getattr(ctypes, "pythonapi", None)
    if api is None:  # not CPython: cooperative cancellation only
        return 0
    return int(api.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc)))


def _checkpoint() -> None:
    """A Python call: entering it checks the eval breaker, so a pending exception is raised."""


_PENDING, _RUNNING, _LEFT = 0, 1, 2


class AgentCall:
    """One call of a sync agent: run in a pool thread, awaited on the loop, interruptible."""

    def __init__(
        self,
        fn: Callable[..., Any],
        arg: Any,
        cancel_event: threading.Event,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._fn = fn
        self._arg = arg
        self._cancel_event = cancel_event
        self._loop = loop
        self._context = contextvars.copy_context()
        self._lock = threading.Lock()
        self._state = _PENDING
        self._thread_id: int | None = None
        self._interrupted = False
        self._raised = False
        self._left = threading.Event()
        self.future: asyncio.Future[Any] = loop.create_future()

    # ------------------------------------------------------------------ the loop's side

    def interrupt(self) -> None:
        """Stop the agent: set its cancel event and raise in its thread until it leaves."""
        self._cancel_event.set()
        with self._lock:
            if self._interrupted or self._state == _LEFT:
                self._interrupted = True
                return
            self._interrupted = True
            running = self._state == _RUNNING
            if running:
                self._raise_locked()
        if running:
            threading.Thread(
                target=self._keep_raising, name="omium-agent-interrupter", daemon=True
            ).start()

    @property
    def finished(self) -> threading.Event:
        """Set once the thread has left the agent (returned, raised or was interrupted)."""
        return self._left

    def _raise_locked(self) -> None:
        thread_id = self._thread_id
        if self._state == _RUNNING and thread_id is not None:
            self._raised = _set_async_exc(thread_id, AgentInterrupted) > 0 or self._raised

    def _keep_raising(self) -> None:
        # An agent may catch the exception and carry on: raise again until it leaves.
        delay = _FIRST_RETRY_SECONDS
        while not self._left.wait(delay):
            with self._lock:
                self._raise_locked()
            delay = min(delay * 2, _MAX_RETRY_SECONDS)

    # ------------------------------------------------------------------ the thread's side

    def run(self) -> bool:
        """Run in a pool thread: call the agent once, leave, hand the outcome to the loop.

        False if an interrupt might still be pending in this thread: it must not be reused."""
        outcome: tuple[bool, Any] | None = None
        called = False
        clean = True
        while True:
            try:
                if not called:
                    called = True
                    outcome = self._invoke()
                if self._leave():
                    clean = self._drain()
                break
            except AgentInterrupted as exc:
                # Raised in this wrapper between the agent's end and the leave: the agent
                # is over either way; keep its outcome, or record the interrupt.
                if outcome is None:
                    outcome = (False, exc)
            except _Drained:
                break  # the marker came up before _drain: nothing is pending any more
        # Only now: threading's own code (Event.set) must never see a pending exception.
        self._left.set()
        assert outcome is not None
        self._deliver(outcome)
        return clean

    def _invoke(self) -> tuple[bool, Any]:
        try:
            with self._lock:
                if self._interrupted:
                    return (False, AgentInterrupted())
                self._thread_id = threading.get_ident()
                self._state = _RUNNING
            return (True, self._context.run(self._fn, self._arg))
        except BaseException as exc:
            return (False, exc)

    def _leave(self) -> bool:
        """Leave the agent: no interrupt is raised from now on. True if the thread was
        interrupted: an interrupt may still be pending, and is now replaced by the marker
        (same lock as the raising, so none can follow), which the caller must take back."""
        with self._lock:
            self._state = _LEFT
            thread_id = self._thread_id
            if not self._raised or thread_id is None:
                return False
            _set_async_exc(thread_id, _Drained)
            return True

    def _drain(self) -> bool:
        """Raise the pending marker here, before any pool code runs on this thread."""
        for _ in range(_DRAIN_TRIES):
            try:
                # Retaking the GIL re-arms the eval breaker for a pending exception (another
                # thread may have turned it off), and the call below checks it.
                time.sleep(0)
                _checkpoint()
            except _Drained:
                return True
        log.error("an agent thread could not take back its pending interrupt: retiring it")
        return False

    def _deliver(self, outcome: tuple[bool, Any]) -> None:
        def settle() -> None:
            if self.future.done():
                return  # cancelled or timed out meanwhile: the late outcome is dropped
            ok, value = outcome
            if ok:
                self.future.set_result(value)
            else:
                self.future.set_exception(value)

        # A closed loop (RuntimeError): nobody waits for this outcome any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(settle)


class AgentThreads:
    """A pool of daemon threads for sync agents: idle ones are reused, busy ones never block.

    Unlike the loop's default executor, a thread stuck in an interrupted agent takes no slot
    other agents need, and never holds up the process's exit. The pool grows to the most sync
    agents ever running at once and keeps its threads (an untimed wait is the cheap one).
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[AgentCall] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0

    def submit(self, call: AgentCall) -> None:
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1  # that idle thread is now reserved for this job
        self._jobs.put(call)
        if spawn:
            threading.Thread(target=self._work, name="omium-agent", daemon=True).start()

    def _work(self) -> None:
        while True:
            call = self._jobs.get()
            try:
                reusable = call.run()
            except BaseException:  # never raised to threading: log it, retire the thread
                log.exception("agent thread wrapper failed")
                reusable = False
            if not reusable:
                return  # never counted idle again: the next submit starts a fresh thread
            with self._lock:
                self._idle += 1


_pool = AgentThreads()


async def run_sync_agent(fn: Callable[..., Any], arg: Any, cancel_event: threading.Event) -> Any:
    """Run ``fn(arg)`` in an agent thread; if the awaiting task is cancelled (a cancel, a lost
    lease, a timeout), interrupt the thread and re-raise at once, without waiting for it."""
    call = AgentCall(fn, arg, cancel_event, asyncio.get_running_loop())
    _pool.submit(call)
    try:
        return await call.future
    except asyncio.CancelledError:
        call.interrupt()
        raise
