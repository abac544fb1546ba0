"""Agents the engine tests run (registered on import, as an operator's module would be)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from omium.agents import AgentContext, agent

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
