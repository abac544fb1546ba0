"""Agent runtimes and the operator's allow-list of agent callables."""

from omium.agents.context import AgentCancelled, AgentContext
from omium.agents.registry import agent, load_agent_modules, lookup, registered_names
from omium.agents.runtime import AgentRuntime, CustomRuntime, register_runtime, runtime_for
from omium.agents.threads import AgentInterrupted

__all__ = [
    "AgentCancelled",
    "AgentContext",
    "AgentInterrupted",
    "AgentRuntime",
    "CustomRuntime",
    "agent",
    "load_agent_modules",
    "lookup",
    "register_runtime",
    "registered_names",
    "runtime_for",
]
