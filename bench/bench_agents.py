"""Agents of the engine benchmark (loaded through OMIUM_AGENT_MODULES by bench workers)."""

from __future__ import annotations

import time
from typing import Any

from omium.agents import AgentContext, agent


@agent("bench_noop")
def bench_noop(ctx: AgentContext) -> dict[str, Any]:
    return {}


@agent("bench_sleep")
def bench_sleep(ctx: AgentContext) -> dict[str, Any]:
    time.sleep(0.3)
    return {}
