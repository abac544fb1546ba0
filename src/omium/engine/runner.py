"""The step runner: drives one claimed execution from its last checkpoint to an end.

Invariants (see CONTRACTS.md):
- Every write of a step boundary is one transaction opened by :meth:`Runner._boundary`: the
  completed steps' named and ``{agent}_complete`` checkpoints, the successors'
  ``{agent}_start`` checkpoints, agents rows, step attempts, execution counters and status,
  and the outbox events (the first boundary of a new run also inserts the agents rows, the
  last one completes the execution). Its fenced execution update (:func:`journal.fence`, or
  the one in :func:`journal.apply_boundary`'s statement) makes a worker that lost its lease
  commit nothing. On PostgreSQL it is one statement in autocommit when nothing else is in
  the transaction; on SQLite a transaction issued on the driver connection (SqliteUnit).
- Nothing after a step starts until its start checkpoint is committed.
- Definition, agents rows and checkpoint names are read once per run, never per step.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table

from omium.clock import utcnow
from omium.domain import failures as fx
from omium.domain.transitions import Action, check_transition
from omium.domain.workflow import (
    PINNED_AGENT_CONFIGS,
    FlowStep,
    WorkflowDefinition,
    apply_agent_configs,
)
from omium.engine import driver, journal
from omium.engine import recovery as rec
from omium.engine.events import EventBatch, EventBus
from omium.engine.sqlite_unit import SqliteUnit
from omium.engine.step import StepOutcome, run_attempt
from omium.errors import CheckpointCorruptedError, OmiumError
from omium.ids import time_ordered_uuid
from omium.store.db import Database
from omium.store.models import AgentMetrics
from omium.store.uow import UnitOfWork
from omium.types import ExecutionStatus

log = logging.getLogger(__name__)
AGENT_METRICS = cast(Table, AgentMetrics.__table__)

#: A hook run after a step's checkpoints are committed and before its successors start:
#: the consensus handoff (``consensus_required``) plugs in here. It returns None to go on,
#: or a classified failure (consensus_violation) for the recovery policies.
HandoffHook = Callable[["HandoffContext"], Any]


@dataclass(frozen=True)
class HandoffContext:
    db: Database
    tenant_id: uuid.UUID
    execution_id: uuid.UUID
    step: FlowStep
    successors: list[FlowStep]
    state: dict[str, Any]
    definition: WorkflowDefinition
    #: the agents rows of the step and of each successor step (by step number)
    sender_agent_id: uuid.UUID
    receiver_agent_ids: dict[int, uuid.UUID]


@dataclass
class RunResult:
    status: str  # completed, failed, paused, released, lost
    execution_id: uuid.UUID


@dataclass
class _Step:
    spec: FlowStep
    key: str
    agent_row: uuid.UUID
    start: journal.CheckpointRef | None = None
    attempt_id: uuid.UUID | None = None
    attempts: int = 0
    failed: int = 0
    done: bool = False
    started_at: datetime | None = None
    duration_ms: int = 0
    pending_action: uuid.UUID | None = None
    pending_failure: uuid.UUID | None = None
    restored_state: dict[str, Any] | None = None


@dataclass
class EngineDeps:
    db: Database
    checkpoints: journal.CheckpointStore
    bus: EventBus
    lease_seconds: float = 10.0
    handoff: HandoffHook | None = None
    rng: random.Random = field(default_factory=random.Random)


class Runner:
    """Runs one execution this worker holds the lease of."""

    def __init__(
        self,
        deps: EngineDeps,
        tenant_id: uuid.UUID,
        execution_id: uuid.UUID,
        worker_id: str,
        *,
        snapshot: journal.Snapshot | None = None,
    ) -> None:
        """``snapshot``: the execution as its start left it, when this process started and
        claimed it in one transaction (``ExecutionService.start_claimed``): nothing to read."""
        self.deps = deps
        self._snapshot = snapshot
        self.tenant_id = tenant_id
        self.execution_id = execution_id
        self.worker_id = worker_id
        self.cancel = threading.Event()
        self._release_requested = False
        self._status = ExecutionStatus.RUNNING.value
        self._unstarted: list[_Step] = []
        self._tasks: dict[int, asyncio.Task[StepOutcome]] = {}
        self._checkpoint_ms = 0.0
        # Consensus handoffs running, and the done steps whose successors wait for one.
        self._handoffs: dict[int, asyncio.Task[StepOutcome]] = {}
        self._awaiting: set[int] = set()
        self._consensus_ms = 0.0
        # State keys written since this boundary's last checkpoint (None: none taken yet).
        self._changed: set[str] | None = None
        # This boundary's checkpoint_created payloads and their checkpoint rows, whose index
        # the boundary's write claims.
        self._announced: list[tuple[dict[str, Any], dict[str, Any]]] = []
        # This boundary's start checkpoints: the steps and their checkpoint rows.
        self._starts: list[tuple[_Step, dict[str, Any]]] = []

    # ------------------------------------------------------------------ control

    def interrupt(self) -> None:
        """Stop now: the lease is gone (cancelled, rolled back, taken over)."""
        self.cancel.set()
        for task in [*self._tasks.values(), *self._handoffs.values()]:
            task.cancel()

    def release(self) -> None:
        """Stop at the next step boundary and give the execution back (graceful shutdown)."""
        self._release_requested = True

    # ------------------------------------------------------------------ helpers

    def _lease_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.deps.lease_seconds)

    def _unit(self) -> UnitOfWork:
        """A boundary's transaction: on SQLite straight on the driver connection."""
        db = self.deps.db
        return SqliteUnit(db) if db.dialect == "sqlite" else UnitOfWork(db)

    def _commit(self, uow: UnitOfWork, events: EventBatch) -> None:
        if events.unwritten:
            events.flush(uow.session)
        # A boundary sent in autocommit (journal.apply_boundary) left nothing to commit.
        if isinstance(uow, SqliteUnit) or uow.session.in_transaction():
            uow.commit()
        self.deps.bus.publish(events)

    def _checkpoint(
        self,
        uow: UnitOfWork,
        step: _Step,
        name: str,
        kind: str,
        state: dict[str, Any],
        pre: list[str] | None,
        post: list[str] | None,
        events: EventBatch,
        writes: journal.BoundaryWrites,
    ) -> journal.CheckpointRef:
        # The agent link is written with the row (the writer checks it by primary key in the
        # same statement on PostgreSQL): set afterwards, it cost an UPDATE of each checkpoint.
        # Within a boundary no agent runs between two checkpoints, so after the first one
        # the keys written since are all that can differ (the checkpoint service then reuses
        # the other keys' encoding). The first checkpoint of a boundary names none: an agent
        # may have changed a value it was given in place.
        changed, self._changed = self._changed, set()
        pending = self.deps.checkpoints.prepare(
            uow,
            self.tenant_id,
            self.execution_id,
            name,
            state,
            agent_id=step.agent_row,
            preconditions=pre,
            postconditions=post,
            metadata={
                "step": step.spec.step,
                "kind": kind,
                "agent": step.spec.agent,
                "attempt": step.attempts,
                "worker": self.worker_id,
            },
            changed_keys=changed,
        )
        writes.checkpoints.append(pending)
        checkpoint_id: uuid.UUID = pending.row["id"]
        # The index is claimed when the boundary is applied (journal.apply_boundary fills it
        # in, in this event's outbox row too); _indexed then completes the ref and the event.
        event = events.add(
            self.tenant_id,
            self.execution_id,
            "checkpoint_created",
            checkpoint_id=str(checkpoint_id),
            checkpoint_name=name,
            checkpoint_index=None,
            step=step.spec.step,
        )
        self._announced.append((event.payload, pending.row))
        self._last_checkpoint: str | None = name
        self.last_checkpoint_id: uuid.UUID | None = checkpoint_id
        return journal.CheckpointRef(checkpoint_id, name, -1, step.spec.step, kind)

    def _indexed(self) -> None:
        """After the boundary was applied: the claimed indexes into the start refs and the
        ``checkpoint_created`` events delivered after the commit."""
        announced, self._announced = self._announced, []
        for payload, row in announced:
            payload["checkpoint_index"] = int(row["checkpoint_index"])
        starts, self._starts = self._starts, []
        for st, row in starts:
            if st.start is not None:
                st.start = dataclasses.replace(st.start, index=int(row["checkpoint_index"]))

    # ------------------------------------------------------------------ load

    def _load(self) -> None:
        snap, self._snapshot = self._snapshot, None
        if snap is None:
            # One statement outside a transaction (PostgreSQL: no BEGIN/ROLLBACK round trips).
            with self.deps.db.read_connection() as conn:
                snap = journal.load_snapshot(conn, self.tenant_id, self.execution_id)
        ex = snap.execution
        meta = dict(ex.metadata or {})
        # The agent configs the execution pinned at start replace its agents' config_refs.
        self.definition = apply_agent_configs(snap.definition, meta.get(PINNED_AGENT_CONFIGS) or {})
        self._version = ex.workflow_version
        self.started_at = ex.started_at or utcnow()
        self.input_params = dict(ex.input_params or {})
        self.retry_count = ex.retry_count or 0
        self.prompts: dict[str, str] = {
            k: v["prompt"] for k, v in meta.get("agent_overrides", {}).items() if "prompt" in v
        }
        self.first_run = not snap.checkpoints and not snap.attempts
        live = {c.name: c for c in snap.checkpoints}
        last = snap.checkpoints[-1] if snap.checkpoints else None
        self._last_checkpoint = last.name if last else None
        self.last_checkpoint_id = last.id if last else None
        self.state: dict[str, Any] = dict(self.input_params)
        if last is not None:
            with UnitOfWork(self.deps.db, read_only=True) as uow:
                self.state = dict(self.deps.checkpoints.get_state(uow, self.tenant_id, last.id))
        self.steps: dict[int, _Step] = {}
        self._new_agents: list[dict[str, Any]] = []
        for spec in self.definition.flow:
            key = self.definition.step_key(spec)
            agent_row = snap.agents.get(spec.step)
            if agent_row is None:
                agent_row = time_ordered_uuid()
                aspec = self.definition.agent_of(spec)
                self._new_agents.append(
                    {
                        "id": agent_row,
                        "execution_id": self.execution_id,
                        "name": aspec.id,
                        "agent_type": aspec.handler,
                        "framework": aspec.framework,
                        "status": "pending",
                        "config": {
                            **aspec.config.model_dump(mode="json", exclude_none=True),
                            "step": spec.step,
                            "display_name": aspec.name or aspec.id,
                        },
                    }
                )
            st = _Step(spec, key, agent_row, start=live.get(f"{key}_start"))
            st.done = f"{key}_complete" in live
            mine = [a for a in snap.attempts if a.step == spec.step]
            st.attempts = len(mine)
            st.failed = sum(1 for a in mine if a.status == "failed")
            if spec.step in snap.actions:
                st.pending_action, st.pending_failure = snap.actions[spec.step]
            self.steps[spec.step] = st
        self.stale_attempts = any(a.status == "running" for a in snap.attempts)
        # A handoff accepted before a crash shows as a started successor; any other done
        # consensus step hands over again before its successors may start.
        self._handoffs_due = [
            n
            for n, st in sorted(self.steps.items())
            if st.done
            and self._needs_handoff(n)
            and not any(self.steps[m].start for m in self._successors(n))
        ]
        self._awaiting.update(self._handoffs_due)

    def _ready(self) -> list[_Step]:
        done = {n for n, s in self.steps.items() if s.done}
        return [
            s
            for n, s in sorted(self.steps.items())
            if not s.done
            and n not in self._tasks
            and all(d in done and d not in self._awaiting for d in s.spec.depends_on)
        ]

    # ------------------------------------------------------------------ run

    async def run(self) -> RunResult:
        try:
            self._load()
        except CheckpointCorruptedError as exc:
            return self._fail_on_load(exc)
        try:
            return await self._drive()
        except journal.LeaseLost:
            log.info("execution %s: lease lost, stopping", self.execution_id)
            self.interrupt()
            return RunResult("lost", self.execution_id)
        finally:
            for task in [*self._tasks.values(), *self._handoffs.values()]:
                task.cancel()

    async def _drive(self) -> RunResult:
        status = self._boundary([], None, first=True)
        if status == ExecutionStatus.RUNNING:
            self._start_handoffs(self._handoffs_due)
        while status != "terminal" and (self._tasks or self._handoffs):
            done, _ = await asyncio.wait(
                [*self._tasks.values(), *self._handoffs.values()],
                return_when=asyncio.FIRST_COMPLETED,
            )
            completed: list[StepOutcome] = []
            settled = False
            for task in done:
                outcome = task.result()
                if self._handoffs.get(outcome.step) is task:
                    del self._handoffs[outcome.step]
                    self._awaiting.discard(outcome.step)
                    settled = outcome.failure is None or settled
                    if outcome.failure is not None and (
                        self._on_handoff_failure(outcome) == "terminal"
                    ):
                        return RunResult(self._terminal, self.execution_id)
                    continue
                del self._tasks[outcome.step]
                if outcome.failure is None:
                    completed.append(outcome)
                elif self._on_failure(outcome) == "terminal":
                    return RunResult(self._terminal, self.execution_id)
            if completed or settled:
                handing = [o.step for o in completed if self._needs_handoff(o.step)]
                self._awaiting.update(handing)
                status = self._boundary(completed, None)
                if status == ExecutionStatus.RUNNING:
                    self._start_handoffs(handing)
        if status == "terminal":
            return RunResult(self._terminal, self.execution_id)
        # Nothing left to run in this process: paused, or handed back (shutdown).
        self._let_go(status)
        paused = status == ExecutionStatus.PAUSED
        return RunResult("paused" if paused else "released", self.execution_id)

    def _spawn(self, st: _Step, delay: float = 0.0) -> None:
        async def go() -> StepOutcome:
            if delay:
                await asyncio.sleep(delay)
            if st.attempt_id is None:
                self._begin_attempt(st)
            agent = self.definition.agent_of(st.spec)
            state = st.restored_state if st.restored_state is not None else self.state
            st.restored_state = None
            return await run_attempt(
                self.definition,
                st.spec,
                agent,
                state,
                execution_id=self.execution_id,
                tenant_id=self.tenant_id,
                attempt=st.attempts,
                prompt=self.prompts.get(agent.id, agent.config.prompt),
                cancel=self.cancel,
                rng=self.deps.rng,
            )

        self._tasks[st.spec.step] = asyncio.ensure_future(go())

    # ------------------------------------------------------------------ consensus handoffs

    def _successors(self, n: int) -> list[int]:
        return [s.step for s in self.definition.flow if n in s.depends_on]

    def _needs_handoff(self, n: int) -> bool:
        return (
            self.deps.handoff is not None
            and self.steps[n].spec.consensus_required
            and bool(self._successors(n))
        )

    def _start_handoffs(self, steps: list[int]) -> None:
        """Hand each step's committed state to its successors' agents (the hook decides)."""
        hook = self.deps.handoff
        if hook is None:
            return
        for n in steps:
            st = self.steps[n]
            ctx = HandoffContext(
                db=self.deps.db,
                tenant_id=self.tenant_id,
                execution_id=self.execution_id,
                step=st.spec,
                successors=[self.steps[m].spec for m in self._successors(n)],
                state=dict(self.state),
                definition=self.definition,
                sender_agent_id=st.agent_row,
                receiver_agent_ids={m: self.steps[m].agent_row for m in self._successors(n)},
            )

            async def go(st: _Step = st, ctx: HandoffContext = ctx) -> StepOutcome:
                started = time.perf_counter()
                try:
                    failure = await hook(ctx)
                except OmiumError as exc:
                    failure = fx.classify_consensus(st.spec.agent, st.spec.step, exc.message)
                elapsed = (time.perf_counter() - started) * 1000
                self._consensus_ms += elapsed
                return StepOutcome(st.spec.step, st.attempts, {}, failure, int(elapsed))

            self._handoffs[n] = asyncio.ensure_future(go())

    def _on_handoff_failure(self, outcome: StepOutcome) -> str:
        """The step's result was not accepted: take it out of the live line, then recover."""
        # Imported here: the hook module imports this one (HandoffContext).
        from omium.engine.handoff import supersede_step_checkpoints

        st = self.steps[outcome.step]
        with UnitOfWork(self.deps.db) as uow:
            journal.fence(uow.session, self.execution_id, self.worker_id, self._lease_until())
            supersede_step_checkpoints(
                uow, self.execution_id, [*st.spec.checkpoints, f"{st.key}_complete"]
            )
            uow.commit()
        st.done = False
        return self._on_failure(outcome)

    # ------------------------------------------------------------------ boundaries

    def _attempt_row(self, st: _Step, now: datetime) -> dict[str, Any]:
        st.attempts += 1
        st.attempt_id = time_ordered_uuid()
        st.started_at = now
        return {
            "id": st.attempt_id,
            "execution_id": self.execution_id,
            "step": st.spec.step,
            "agent_name": st.spec.agent,
            "attempt": st.attempts,
            "worker_id": self.worker_id,
            "status": "running",
            "started_at": now,
        }

    def _begin_attempt(self, st: _Step) -> None:
        """A retry's own small transaction: the attempt row and its event."""
        events = EventBatch()
        with UnitOfWork(self.deps.db) as uow:
            journal.fence(uow.session, self.execution_id, self.worker_id, self._lease_until())
            now = utcnow()
            journal.insert_attempts(uow.session, [self._attempt_row(st, now)])
            journal.update_agent(uow.session, st.agent_row, status="running", started_at=now)
            events.add(
                self.tenant_id,
                self.execution_id,
                "step_started",
                step=st.spec.step,
                agent=st.spec.agent,
                attempt=st.attempts,
            )
            self._commit(uow, events)

    def _boundary(
        self, completed: list[StepOutcome], starting: list[_Step] | None, *, first: bool = False
    ) -> str:
        """One transaction: complete ``completed``, start the steps now ready.

        The checkpoints go through the checkpoint service; every other row change and the
        fenced execution update are applied together by :func:`journal.apply_boundary`.
        """
        t0 = time.perf_counter()
        events = EventBatch()
        writes = journal.BoundaryWrites()
        now = utcnow()
        self._changed = None
        self._announced = []
        self._starts = []
        with self._unit() as uow:
            if first and self.first_run and not self.stale_attempts:
                # A new run: its agents rows go with the boundary, fenced by it (paused
                # meanwhile: its start checkpoints are kept, see below).
                writes.new_agents, self._new_agents = self._new_agents, []
            elif first:
                self._status = journal.fence(
                    uow.session, self.execution_id, self.worker_id, self._lease_until()
                )
                if self.stale_attempts:
                    journal.interrupt_attempts(uow.session, self.execution_id, at=now)
                journal.insert_agents(uow.session, self._new_agents)
                self._new_agents = []
            if first and self.first_run:
                events.add(
                    self.tenant_id,
                    self.execution_id,
                    "execution_started",
                    workflow_version=self.definition_version(),
                )
            for outcome in completed:
                st = self.steps[outcome.step]
                self.state.update(outcome.outputs)
                if self._changed is not None:
                    self._changed.update(outcome.outputs)
                agent = self.definition.agent_of(st.spec)
                for name in st.spec.checkpoints:
                    self._checkpoint(
                        uow,
                        st,
                        name,
                        "named",
                        self.state,
                        agent.config.preconditions,
                        agent.config.postconditions,
                        events,
                        writes,
                    )
                self._checkpoint(
                    uow,
                    st,
                    f"{st.key}_complete",
                    "complete",
                    self.state,
                    None,
                    agent.config.postconditions,
                    events,
                    writes,
                )
                st.done = True
                st.duration_ms = outcome.duration_ms
                writes.agents.append(
                    {
                        "id": st.agent_row,
                        "status": "completed",
                        "completed_at": now,
                        "output": outcome.outputs,
                        "duration_ms": outcome.duration_ms,
                    }
                )
                if st.attempt_id is not None:
                    writes.finished_attempts.append({"id": st.attempt_id, "status": "completed"})
                    st.attempt_id = None
                if st.pending_action is not None:
                    rec.resolve_action(
                        uow.session, st.pending_action, st.pending_failure, success=True
                    )
                    st.pending_action = st.pending_failure = None
                events.add(
                    self.tenant_id,
                    self.execution_id,
                    "step_completed",
                    step=st.spec.step,
                    agent=st.spec.agent,
                    duration_ms=outcome.duration_ms,
                )
            last_ok = self._last_checkpoint if completed else None
            if all(st.done for st in self.steps.values()) and self._status != "paused":
                rows = events.take_rows()
                completion = self._completion(now, events)
                status = journal.apply_boundary(
                    uow,
                    self.deps.checkpoints,
                    self.tenant_id,
                    self.execution_id,
                    self.worker_id,
                    self._lease_until(),
                    writes,
                    rows,
                    current_checkpoint=self._last_checkpoint,
                    last_successful_checkpoint=last_ok,
                    completion=completion,
                )
                self._indexed()
                if status == ExecutionStatus.COMPLETED:
                    self._commit(uow, events)
                    self._terminal = ExecutionStatus.COMPLETED.value
                    return "terminal"
                # Paused meanwhile: it completes once resumed.
                events.events = [e for e in events.events if e.event_type != "execution_completed"]
                self._commit(uow, events)
                self._status = status
                return status
            go_on = self._status == ExecutionStatus.RUNNING and not self._release_requested
            ready = (self._ready() if starting is None else starting) if go_on else []
            for st in ready:
                if st.start is None:
                    agent = self.definition.agent_of(st.spec)
                    st.start = self._checkpoint(
                        uow,
                        st,
                        f"{st.key}_start",
                        "start",
                        self.state,
                        agent.config.preconditions,
                        None,
                        events,
                        writes,
                    )
                    self._starts.append((st, writes.checkpoints[-1].row))
                writes.new_attempts.append(self._attempt_row(st, now))
                writes.agents.append({"id": st.agent_row, "status": "running", "started_at": now})
                events.add(
                    self.tenant_id,
                    self.execution_id,
                    "step_started",
                    step=st.spec.step,
                    agent=st.spec.agent,
                    attempt=st.attempts,
                )
            status = journal.apply_boundary(
                uow,
                self.deps.checkpoints,
                self.tenant_id,
                self.execution_id,
                self.worker_id,
                self._lease_until(),
                writes,
                events.take_rows(),
                current_checkpoint=self._last_checkpoint,
                last_successful_checkpoint=last_ok,
            )
            self._indexed()
            self._commit(uow, events)
        self._status = status
        self._checkpoint_ms += (time.perf_counter() - t0) * 1000
        if status != ExecutionStatus.RUNNING and ready:
            # Paused while this boundary was being written: the successors' start
            # checkpoints are kept, but they do not run until the execution is resumed.
            self._unstarted = ready
            return status
        for st in ready:
            self._spawn(st)
        return status

    def definition_version(self) -> int | None:
        return self._version

    def _completion(self, now: datetime, events: EventBatch) -> journal.Completion:
        """What completing the execution writes with the last boundary; its
        ``execution_completed`` event is taken from ``events`` (written only if the
        boundary completes the execution)."""
        check_transition(ExecutionStatus.RUNNING, Action.COMPLETE, execution_id=self.execution_id)
        sinks = {d for s in self.definition.flow for d in s.depends_on}
        output: dict[str, Any] = {}
        for spec in self.definition.flow:
            if spec.step not in sinks:
                keys = spec.outputs or []
                output.update({k: self.state[k] for k in keys if k in self.state})
        duration = int((now - self.started_at).total_seconds() * 1000)
        events.add(
            self.tenant_id,
            self.execution_id,
            "execution_completed",
            duration_ms=duration,
            output=output,
        )
        (event_row,) = events.take_rows()
        return journal.Completion(
            completed_at=now,
            result=self.state,
            output=output,
            duration_ms=duration,
            checkpoint=self._last_checkpoint,
            checkpoint_overhead_ms=int(self._checkpoint_ms),
            consensus_overhead_ms=int(self._consensus_ms),
            retry_count=self.retry_count,
            agent_durations=[(s.agent_row, s.duration_ms) for s in self.steps.values() if s.done],
            event_row=event_row,
            measured_at=utcnow(),
        )

    def _write_metrics(self, uow: UnitOfWork, duration: int) -> None:
        s = uow.session
        now = utcnow()
        journal.insert_execution_metrics(
            s,
            execution_id=self.execution_id,
            total_duration_ms=duration,
            checkpoint_overhead_ms=int(self._checkpoint_ms),
            consensus_overhead_ms=int(self._consensus_ms),
            retry_count=self.retry_count,
            measured_at=now,
        )
        rows = [
            {
                "id": time_ordered_uuid(),
                "agent_id": st.agent_row,
                "execution_id": self.execution_id,
                "duration_ms": st.duration_ms,
                "llm_provider": None,
                "llm_model": None,
                "measured_at": now,
            }
            for st in self.steps.values()
            if st.done
        ]
        driver.insert(s, AGENT_METRICS, rows)

    def _let_go(self, status: str) -> None:
        events = EventBatch()
        with UnitOfWork(self.deps.db) as uow:
            s = uow.session
            journal.fence(
                s,
                self.execution_id,
                self.worker_id,
                utcnow(),
                lease_owner=None,
                lease_expires_at=None,
            )
            for st in self._unstarted:
                if st.attempt_id is not None:
                    journal.finish_attempt(s, st.attempt_id, "interrupted")
                    st.attempt_id = None
                journal.update_agent(s, st.agent_row, status="pending")
            if status != ExecutionStatus.PAUSED:
                events.add(
                    self.tenant_id, self.execution_id, "execution_released", worker=self.worker_id
                )
            self._commit(uow, events)

    # ------------------------------------------------------------------ failures

    def _on_failure(self, outcome: StepOutcome) -> str:
        st = self.steps[outcome.step]
        assert outcome.failure is not None
        events = EventBatch()
        with UnitOfWork(self.deps.db) as uow:
            status = journal.fence(
                uow.session, self.execution_id, self.worker_id, self._lease_until()
            )
            plan = rec.handle_failure(
                uow,
                self,
                st,
                outcome,
                events,
                status=status,
            )
            self._commit(uow, events)
        if plan.action in ("retry", "rollback", "prompt_edit"):
            if plan.restored_state is not None:
                st.restored_state = plan.restored_state
            if plan.new_prompt is not None:
                self.prompts[st.spec.agent] = plan.new_prompt
            self._spawn(st, plan.delay_s)
            return str(status)
        # Pausing or failing ends this run: interrupt the siblings still running.
        self.interrupt()
        self._terminal = plan.final_status
        return "terminal"

    def _fail_on_load(self, exc: CheckpointCorruptedError) -> RunResult:
        return rec.fail_on_load(self, exc)
