"""The execution engine: step runner, recovery, claims and leases, workers, events."""

from __future__ import annotations

from dataclasses import dataclass

from omium.agents.registry import load_agent_modules
from omium.config import Settings
from omium.engine.events import Event, EventBus
from omium.engine.runner import EngineDeps, Runner, RunResult
from omium.engine.worker import Worker
from omium.store.db import Database

__all__ = [
    "Engine",
    "EngineDeps",
    "Event",
    "EventBus",
    "RunResult",
    "Runner",
    "Worker",
    "build_engine",
]


@dataclass
class Engine:
    """What services and workers of one process share."""

    settings: Settings
    deps: EngineDeps

    @property
    def bus(self) -> EventBus:
        return self.deps.bus

    def worker(self, **overrides: object) -> Worker:
        s = self.settings
        return Worker(
            self.deps,
            worker_id=str(overrides.get("worker_id") or s.worker_id or "") or None,
            concurrency=int(str(overrides.get("concurrency", s.worker_concurrency))),
            poll_seconds=float(str(overrides.get("poll_seconds", s.worker_poll_seconds))),
            grace_seconds=float(
                str(overrides.get("grace_seconds", s.worker_shutdown_grace_seconds))
            ),
        )

    def services(self) -> tuple[object, ...]:
        from omium.services.executions import ExecutionService
        from omium.services.recovery import RecoveryService
        from omium.services.workflows import WorkflowService

        executions = ExecutionService(self.deps.db, self.deps.checkpoints, self.deps.bus)
        return WorkflowService(self.deps.db), executions, RecoveryService(executions)

    def close(self) -> None:
        close = getattr(self.deps.checkpoints, "close", None)
        if close is not None:
            close()


def build_engine(settings: Settings, db: Database, *, bus: EventBus | None = None) -> Engine:
    """Load the operator's agent modules and wire the checkpoint service and the bus."""
    from omium.engine.handoff import ConsensusHandoff
    from omium.services.checkpoints import build_checkpoint_service
    from omium.services.consensus import ConsensusService

    load_agent_modules(settings.agent_module_list)
    deps = EngineDeps(
        db=db,
        checkpoints=build_checkpoint_service(settings),
        bus=bus or EventBus(),
        lease_seconds=settings.worker_lease_seconds,
        handoff=ConsensusHandoff(ConsensusService(db)),
    )
    return Engine(settings, deps)
