"""Omium: a fault-tolerant runtime and control plane for multi-agent LLM workflows.

Heavy parts load on first use, so ``import omium.client`` pulls in neither SQLAlchemy nor
FastAPI: an application that only drives a remote server stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from omium.errors import ErrorCode, OmiumError

if TYPE_CHECKING:
    from omium.agents import AgentContext, agent
    from omium.client import AsyncClient, Client
    from omium.config import Settings, load_settings
    from omium.engine.inline import LocalEngine

__version__ = "0.1.0"

_LAZY = {
    "AgentContext": "omium.agents",
    "agent": "omium.agents",
    "AsyncClient": "omium.client",
    "Client": "omium.client",
    "LocalEngine": "omium.engine.inline",
    "Settings": "omium.config",
    "load_settings": "omium.config",
}

__all__ = [
    "AgentContext",
    "AsyncClient",
    "Client",
    "ErrorCode",
    "LocalEngine",
    "OmiumError",
    "Settings",
    "__version__",
    "agent",
    "load_settings",
    "run",
]


def run(definition: Any, input_params: Any = None, **kwargs: Any) -> Any:
    """Run a workflow in this process to its end: see :func:`omium.engine.inline.run`
    (one-shot; :class:`LocalEngine` keeps the engine for many runs)."""
    from omium.engine.inline import run as _run

    return _run(definition, input_params, **kwargs)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'omium' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
