"""Omium: a fault-tolerant runtime and control plane for multi-agent LLM workflows."""

from typing import Any

from omium.agents import AgentContext, agent
from omium.config import Settings, load_settings
from omium.errors import ErrorCode, OmiumError

__version__ = "0.1.0"

__all__ = [
    "AgentContext",
    "ErrorCode",
    "OmiumError",
    "Settings",
    "__version__",
    "agent",
    "load_settings",
    "run",
]


def run(definition: Any, input_params: Any = None, **kwargs: Any) -> Any:
    """Run a workflow in this process to its end: see :func:`omium.engine.inline.run`."""
    from omium.engine.inline import run as _run

    return _run(definition, input_params, **kwargs)
