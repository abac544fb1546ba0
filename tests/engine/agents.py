"""Agents the engine tests run (registered on import, as an operator's module would be)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

from omium.agents import AgentCancelled, AgentContext, AgentInterrupted, agent

gate = threading.Event()
calls: list[tuple[str, int]] = []


@agent("noop")
def noop(ctx: AgentContext) -> dict[str, Any]:
    return {}


@agent("kyc_agent")
def kyc(ctx: AgentContext) -> dict[str, Any]:
    calls.append(("kyc_agent", ctx.attempt))
    return {"kyc_verified": True, "kyc_score": 0.9}


@agent("credit_agent")
async def credit(ctx: AgentContext) -> dict[str, Any]:
    calls.append(("credit_agent", ctx.attempt))
    await asyncio.sleep(0)
    return {"credit_score": 700 if ctx.inputs["kyc_verified"] else 0}


@agent("offer_agent")
def offer(ctx: AgentContext) -> dict[str, Any]:
    # Follows its prompt: only a prompt that states the APR constraint gets a sane APR.
    calls.append(("offer_agent", ctx.attempt))
    sane = ctx.prompt is not None and "0.025" in ctx.prompt
    return {"offer": {"apr": 0.05 if sane else 0.0, "amount": 1000}}


@agent("flaky")
def flaky(ctx: AgentContext) -> dict[str, Any]:
    calls.append(("flaky", ctx.attempt))
    if ctx.attempt < 3:
        raise ConnectionError("upstream reset")
    return {"value": ctx.attempt}


@agent("blocker")
async def blocker(ctx: AgentContext) -> dict[str, Any]:
    calls.append(("blocker", ctx.attempt))
    await asyncio.to_thread(gate.wait)
    return {"blocked": False}


@agent("slow_sync")
def slow_sync(ctx: AgentContext) -> dict[str, Any]:
    time.sleep(5)
    return {}


@agent("counter")
def counter(ctx: AgentContext) -> dict[str, Any]:
    n = int(ctx.inputs.get("n", 0))
    return {f"s{ctx.step}": n + ctx.step}


@agent("chain")
def chain(ctx: AgentContext) -> dict[str, Any]:
    """Step k adds k to the previous value, after a little work (so kills land mid-step)."""
    time.sleep(0.03)
    prev = ctx.inputs.get(f"s{ctx.step - 1}", ctx.inputs.get("n", 0))
    return {f"s{ctx.step}": prev + ctx.step}


# ---------------------------------------------------------------- interruptible sync agents


class Probe:
    """What an interruptible sync agent did: entered, left, and how it ended."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.left = threading.Event()
        self.outcome: list[str] = []
        self.thread_ids: list[int] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


probe = Probe()
#: what the ``stuck`` agent blocks on (a C-level wait an async exception cannot break)
stuck_gate = threading.Event()
_SPIN_LIMIT_S = 60.0


def _spin(deadline: float) -> int:
    n = 0
    while time.monotonic() < deadline:
        n += 1
    return n


@agent("spin")
def spin(ctx: AgentContext) -> dict[str, Any]:
    """Pure Python work that never checks for cancellation (bounded, so a bug cannot hang)."""
    probe.thread_ids.append(threading.get_ident())
    probe.entered.set()
    try:
        n = _spin(time.monotonic() + _SPIN_LIMIT_S)
        probe.outcome.append("ran out")
        return {"spun": n}
    except AgentInterrupted:
        probe.outcome.append("interrupted")
        raise
    finally:
        probe.left.set()


@agent("stubborn")
def stubborn(ctx: AgentContext) -> dict[str, Any]:
    """Swallows the first two interrupts; the repeated raise still gets it out."""
    probe.entered.set()
    deadline = time.monotonic() + _SPIN_LIMIT_S
    swallowed = 0
    try:
        while time.monotonic() < deadline:
            try:
                _spin(deadline)
            except AgentInterrupted:
                swallowed += 1
                probe.outcome.append("swallowed")
                if swallowed >= 3:
                    raise
        probe.outcome.append("ran out")
        return {}
    except AgentInterrupted:
        probe.outcome.append("interrupted")
        raise
    finally:
        probe.left.set()


@agent("stuck")
def stuck(ctx: AgentContext) -> dict[str, Any]:
    """Blocked in a C-level wait: interrupted only once the wait returns."""
    probe.entered.set()
    try:
        stuck_gate.wait()
        probe.outcome.append("returned")
        return {"late": True}
    except AgentInterrupted:
        probe.outcome.append("interrupted")
        raise
    finally:
        probe.left.set()


@agent("polite")
def polite(ctx: AgentContext) -> dict[str, Any]:
    """Waits with ctx.sleep, which ends as soon as the step is stopped."""
    probe.entered.set()
    try:
        ctx.sleep(_SPIN_LIMIT_S)
        probe.outcome.append("slept")
        return {}
    except AgentCancelled:
        probe.outcome.append("cancelled")
        raise
    except AgentInterrupted:
        probe.outcome.append("interrupted")
        raise
    finally:
        probe.left.set()


@agent("spin_marked")
def spin_marked(ctx: AgentContext) -> dict[str, Any]:
    """``spin`` for worker processes: reports through files in ``ctx.inputs['marks']``."""
    marks = Path(ctx.inputs["marks"])
    (marks / "entered").write_text(str(os.getpid()))
    outcome = "ran out"
    try:
        return {"spun": _spin(time.monotonic() + _SPIN_LIMIT_S)}
    except AgentInterrupted:
        outcome = "interrupted"
        raise
    finally:
        (marks / "left").write_text(outcome)


@agent("appender")
def appender(ctx: AgentContext) -> dict[str, Any]:
    # Changes a value it was given in place (not one of its outputs), as careless code does.
    ctx.inputs["log"].append(ctx.step)
    return {f"seen_{ctx.step}": len(ctx.inputs["log"])}
