"""Agent runtimes: how a step's agent is invoked, one per framework.

``custom`` runs a registered Python callable (sync in an agent thread, async on the loop). The
llm/langgraph/crewai/autogen runtimes plug in through :func:`register_runtime` with the same
interface. A runtime's ``invoke`` is cancelled when its step is cancelled or times out; it
must then stop the agent (see :mod:`omium.agents.threads` for sync callables).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from omium.agents.context import AgentContext
from omium.agents.registry import RegisteredAgent, lookup
from omium.agents.threads import run_sync_agent


class UnknownAgent(LookupError):
    """No callable is registered under the name a workflow asked for."""


class AgentRuntime(Protocol):
    """Runs one agent of one framework for one step."""

    framework: str

    async def invoke(self, handler: str, ctx: AgentContext) -> dict[str, Any]:
        """Run ``handler`` with ``ctx``; return the step's outputs."""
        ...


def _check_outputs(name: str, result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"agent '{name}' returned {type(result).__name__}, expected a dict")
    return result


class CustomRuntime:
    """Framework ``custom``: a registered Python callable, sync or async."""

    framework = "custom"

    def resolve(self, handler: str) -> RegisteredAgent:
        entry = lookup(handler)
        if entry is None:
            raise UnknownAgent(handler)
        return entry

    async def invoke(self, handler: str, ctx: AgentContext) -> dict[str, Any]:
        entry = self.resolve(handler)
        if not entry.is_async:
            return _check_outputs(handler, await run_sync_agent(entry.fn, ctx, ctx.cancel_event))
        try:
            result = await entry.fn(ctx)
        except asyncio.CancelledError:
            ctx.cancel_event.set()
            raise
        return _check_outputs(handler, result)


_runtimes: dict[str, AgentRuntime] = {"custom": CustomRuntime()}


def register_runtime(runtime: AgentRuntime) -> None:
    _runtimes[runtime.framework] = runtime


def runtime_for(framework: str) -> AgentRuntime | None:
    return _runtimes.get(framework)
