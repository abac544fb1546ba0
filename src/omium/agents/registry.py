"""The allow-list of agent callables: what a workflow may run, chosen by the operator.

A workflow names agents; it never names modules. Callables get here only through
``@omium.agent`` in modules the operator lists in ``OMIUM_AGENT_MODULES`` or exposes through
the ``omium.agents`` entry-point group, so a tenant cannot make a worker import anything.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, TypeVar, overload

from omium.errors import ConfigurationError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "omium.agents"

AgentFn = Callable[..., "dict[str, Any] | Awaitable[dict[str, Any]]"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RegisteredAgent:
    name: str
    fn: Callable[..., Any]
    is_async: bool


_registry: dict[str, RegisteredAgent] = {}
_lock = threading.Lock()
_loaded_modules: set[str] = set()


def register(name: str, fn: Callable[..., Any]) -> RegisteredAgent:
    """Register ``fn`` under ``name`` (re-registering the same function is a no-op)."""
    entry = RegisteredAgent(name, fn, inspect.iscoroutinefunction(fn))
    with _lock:
        old = _registry.get(name)
        if (
            old is not None
            and old.fn is not fn
            and (
                getattr(old.fn, "__qualname__", None) != getattr(fn, "__qualname__", None)
                or getattr(old.fn, "__module__", None) != getattr(fn, "__module__", None)
            )
        ):
            raise ConfigurationError(f"two different agents are registered as '{name}'")
        _registry[name] = entry
    return entry


@overload
def agent(name_or_fn: F) -> F: ...
@overload
def agent(name_or_fn: str | None = None) -> Callable[[F], F]: ...
def agent(name_or_fn: Any = None) -> Any:
    """Register a sync or async callable as an agent: ``@agent`` or ``@agent("kyc_agent")``.

    The callable receives an :class:`omium.agents.AgentContext` and returns a dict of outputs.
    """
    if callable(name_or_fn):
        register(name_or_fn.__name__, name_or_fn)
        return name_or_fn

    def deco(fn: F) -> F:
        register(name_or_fn or fn.__name__, fn)
        return fn

    return deco


def lookup(name: str) -> RegisteredAgent | None:
    return _registry.get(name)


def registered_names() -> list[str]:
    return sorted(_registry)


def load_agent_modules(
    modules: Iterable[str], *, entry_point_group: str = ENTRY_POINT_GROUP
) -> None:
    """Import the operator's agent modules and the entry-point group (idempotent)."""
    for module in modules:
        module = module.strip()
        if not module or module in _loaded_modules:
            continue
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigurationError(
                f"OMIUM_AGENT_MODULES lists '{module}', which cannot be imported: {exc}"
            ) from exc
        _loaded_modules.add(module)
    for ep in entry_points(group=entry_point_group):
        key = f"ep:{ep.name}={ep.value}"
        if key in _loaded_modules:
            continue
        loaded = ep.load()
        # An entry point may name a module (its @agent decorators register) or a callable.
        if callable(loaded) and not inspect.ismodule(loaded):
            register(ep.name, loaded)
        _loaded_modules.add(key)
        log.debug("loaded agent entry point %s", key)
