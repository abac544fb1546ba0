"""Agent runtimes: how a step's agent is invoked, one per framework.

``custom`` runs a registered Python callable (sync in a thread, async on the loop). The
llm/langgraph/crewai/autogen runtimes plug in through :func:`register_runtime` with the same
interface.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Protocol

from omium.agents.context import AgentContext
from omium.agents.registry import RegisteredAgent, lookup


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
        if entry.is_async:
            return _check_outputs(handler, await entry.fn(ctx))
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, functools.partial(entry.fn, ctx))
        return _check_outputs(handler, result)


_runtimes: dict[str, AgentRuntime] = {"custom": CustomRuntime()}


def register_runtime(runtime: AgentRuntime) -> None:
    _runtimes[runtime.framework] = runtime


def runtime_for(framework: str) -> AgentRuntime | None:
    return _runtimes.get(framework)
