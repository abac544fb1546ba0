"""Recording a failure and carrying out the recovery policy, in the runner's transaction.

Every action is a ``recovery_actions`` row: retry, rollback and prompt_edit are
``in_progress`` until the step's next attempt ends (then ``completed``/success or
``failed``); manual_intervention and escalate stay ``pending`` until someone recovers the
failure. ``fail`` is no action: the failure's ``recovery_status`` becomes ``failed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.domain import failures as fx
from omium.domain.recovery import decide, edited_prompt
from omium.domain.transitions import Action, check_transition
from omium.engine import journal
from omium.engine.events import EventBatch
from omium.errors import CheckpointCorruptedError
from omium.store.models import Execution, Failure, RecoveryAction, Rollback
from omium.store.uow import UnitOfWork
from omium.types import ExecutionStatus

if TYPE_CHECKING:
    from omium.engine.runner import Runner, RunResult, _Step
    from omium.engine.step import StepOutcome

FAILURES = cast(Table, Failure.__table__)
ACTIONS = cast(Table, RecoveryAction.__table__)
ROLLBACKS = cast(Table, Rollback.__table__)


@dataclass
class Plan:
    action: str
    delay_s: float = 0.0
    restored_state: dict[str, Any] | None = None
    new_prompt: str | None = None
    final_status: str = ""


def insert_failure(
    session: Session,
    execution_id: uuid.UUID,
    c: fx.Classified,
    *,
    agent_id: uuid.UUID | None,
    checkpoint_id: uuid.UUID | None,
    extra: dict[str, Any] | None = None,
) -> uuid.UUID:
    failure_id = uuid.uuid4()
    session.execute(
        insert(FAILURES).values(
            id=failure_id,
            execution_id=execution_id,
            agent_id=agent_id,
            checkpoint_id=checkpoint_id,
            failure_type=c.failure_type.value,
            severity=c.severity.value,
            error_message=c.message,
            stack_trace=c.stack_trace,
            root_cause=c.root_cause,
            suggested_fix=c.suggested_fix,
            recovery_status="pending",
            metadata={**c.metadata, **(extra or {})},
            detected_at=utcnow(),
        )
    )
    return failure_id


def insert_action(
    session: Session,
    failure_id: uuid.UUID,
    execution_id: uuid.UUID,
    action_type: str,
    config: dict[str, Any],
    status: str,
    *,
    triggered_by: uuid.UUID | None = None,
    success: bool | None = None,
) -> uuid.UUID:
    action_id = uuid.uuid4()
    now = utcnow()
    session.execute(
        insert(ACTIONS).values(
            id=action_id,
            failure_id=failure_id,
            execution_id=execution_id,
            action_type=action_type,
            action_config=config,
            triggered_by=triggered_by,
            triggered_at=now,
            status=status,
            started_at=now if status != "pending" else None,
            completed_at=now if status in ("completed", "failed") else None,
            success=success,
            metadata={},
        )
    )
    return action_id


def set_failure(session: Session, failure_id: uuid.UUID, **values: Any) -> None:
    session.execute(update(FAILURES).where(FAILURES.c.id == failure_id).values(**values))


def resolve_action(
    session: Session,
    action_id: uuid.UUID,
    failure_id: uuid.UUID | None,
    *,
    success: bool,
    error: str | None = None,
) -> None:
    now = utcnow()
    session.execute(
        update(ACTIONS)
        .where(ACTIONS.c.id == action_id)
        .values(
            status="completed" if success else "failed",
            success=success,
            completed_at=now,
            error=error,
        )
    )
    if failure_id is not None:
        set_failure(
            session,
            failure_id,
            recovery_status="resolved" if success else "failed",
            resolved_at=now if success else None,
        )


def handle_failure(
    uow: UnitOfWork,
    runner: Runner,
    st: _Step,
    outcome: StepOutcome,
    events: EventBatch,
    *,
    status: str,
) -> Plan:
    s = uow.session
    c = outcome.failure
    assert c is not None
    ex_id, tenant = runner.execution_id, runner.tenant_id
    failure_id = insert_failure(
        s,
        ex_id,
        c,
        agent_id=st.agent_row,
        checkpoint_id=st.start.id if st.start else None,
        extra={"step": st.spec.step, "attempt": st.attempts, "worker": runner.worker_id},
    )
    if st.attempt_id is not None:
        journal.finish_attempt(s, st.attempt_id, "failed", c.message[:2000])
        st.attempt_id = None
    st.failed += 1
    journal.update_agent(
        s, st.agent_row, status="failed", error=c.message, duration_ms=outcome.duration_ms
    )
    if st.pending_action is not None:
        resolve_action(s, st.pending_action, st.pending_failure, success=False, error=c.message)
        st.pending_action = st.pending_failure = None
    events.add(
        tenant,
        ex_id,
        "failure_detected",
        failure_id=str(failure_id),
        failure_type=c.failure_type.value,
        severity=c.severity.value,
        step=st.spec.step,
        agent=st.spec.agent,
        message=c.message,
        suggested_fix=c.suggested_fix,
    )
    agent = runner.definition.agent_of(st.spec)
    decision = decide(
        c,
        agent,
        runner.definition.policies,
        step_retries=st.failed - 1,
        execution_retries=runner.retry_count,
        rng=runner.deps.rng,
    )
    plan = Plan(decision.action, decision.delay_s)
    config: dict[str, Any] = {
        "step": st.spec.step,
        "agent": agent.id,
        "next_attempt": st.attempts + 1,
        "delay_s": round(decision.delay_s, 3),
        "reason": decision.reason,
    }
    if decision.action in ("retry", "rollback", "prompt_edit"):
        if decision.action == "rollback":
            assert st.start is not None
            try:
                plan.restored_state = dict(
                    runner.deps.checkpoints.get_state(uow, tenant, st.start.id)
                )
            except CheckpointCorruptedError as exc:
                return _fail(
                    uow,
                    runner,
                    failure_id,
                    c,
                    events,
                    reason=f"rollback could not restore {st.start.name}: {exc.message}",
                )
            rollback_id = uuid.uuid4()
            s.execute(
                insert(ROLLBACKS).values(
                    id=rollback_id,
                    execution_id=ex_id,
                    from_checkpoint_id=runner.last_checkpoint_id,
                    to_checkpoint_id=st.start.id,
                    trigger_reason=c.message[:255],
                    trigger_type="policy",
                    status="completed",
                    started_at=utcnow(),
                    completed_at=utcnow(),
                    rollback_success=True,
                    affected_agents=journal.uuid_array(s, [st.agent_row]),
                    metadata={"failure_id": str(failure_id)},
                )
            )
            config.update(to_checkpoint=st.start.name, rollback_id=str(rollback_id))
            events.add(
                tenant,
                ex_id,
                "rollback",
                rollback_id=str(rollback_id),
                to_checkpoint=st.start.name,
                trigger_type="policy",
            )
        if decision.action == "prompt_edit":
            old = runner.prompts.get(agent.id, agent.config.prompt)
            plan.new_prompt = (
                edited_prompt(agent, c)
                if old is None or not runner.prompts.get(agent.id)
                else f"{old}\n{edited_prompt(agent, c).splitlines()[-1]}"
            )
            config.update(old_prompt=old, new_prompt=plan.new_prompt)
            _set_prompt_override(s, ex_id, agent.id, plan.new_prompt)
            journal.update_agent(
                s,
                st.agent_row,
                config={
                    **agent.config.model_dump(mode="json", exclude_none=True),
                    "prompt": plan.new_prompt,
                    "step": st.spec.step,
                    "display_name": agent.name or agent.id,
                },
            )
        action_id = insert_action(s, failure_id, ex_id, decision.action, config, "in_progress")
        set_failure(s, failure_id, recovery_action=decision.action, recovery_status="in_progress")
        st.pending_action, st.pending_failure = action_id, failure_id
        runner.retry_count += 1
        journal.fence(
            s, ex_id, runner.worker_id, runner._lease_until(), retry_count=runner.retry_count
        )
        events.add(
            tenant,
            ex_id,
            "recovery_action",
            action_id=str(action_id),
            action_type=decision.action,
            failure_id=str(failure_id),
            **{k: v for k, v in config.items() if k in ("next_attempt", "delay_s")},
        )
        return plan
    if decision.action in ("manual_intervention", "escalate"):
        target = check_transition(status, Action.PAUSE, execution_id=ex_id)
        action_id = insert_action(
            s,
            failure_id,
            ex_id,
            decision.action,
            {**config, "suggested_fix": c.suggested_fix},
            "pending",
        )
        set_failure(s, failure_id, recovery_action=decision.action, recovery_status="pending")
        journal.interrupt_attempts(s, ex_id)
        journal.fence(
            s,
            ex_id,
            runner.worker_id,
            utcnow(),
            status=target.value,
            error=c.message,
            lease_owner=None,
            lease_expires_at=None,
        )
        events.add(
            tenant,
            ex_id,
            "recovery_action",
            action_id=str(action_id),
            action_type=decision.action,
            failure_id=str(failure_id),
            status="pending",
        )
        events.add(
            tenant, ex_id, "execution_paused", reason=decision.action, failure_id=str(failure_id)
        )
        plan.final_status = ExecutionStatus.PAUSED.value
        return plan
    return _fail(uow, runner, failure_id, c, events, reason=decision.reason)


def _fail(
    uow: UnitOfWork,
    runner: Runner,
    failure_id: uuid.UUID,
    c: fx.Classified,
    events: EventBatch,
    *,
    reason: str,
) -> Plan:
    s = uow.session
    ex_id = runner.execution_id
    set_failure(s, failure_id, recovery_status="failed")
    journal.interrupt_attempts(s, ex_id)
    now = utcnow()
    duration = int((now - runner.started_at).total_seconds() * 1000)
    error = f"{c.message} ({reason})" if reason and not reason.startswith("policy") else c.message
    journal.fence(
        s,
        ex_id,
        runner.worker_id,
        now,
        status=ExecutionStatus.FAILED.value,
        error=error,
        completed_at=now,
        duration_ms=duration,
        lease_owner=None,
        lease_expires_at=None,
        retry_count=runner.retry_count,
    )
    runner._write_metrics(uow, duration)
    events.add(
        runner.tenant_id,
        ex_id,
        "execution_failed",
        failure_id=str(failure_id),
        failure_type=c.failure_type.value,
        error=error,
    )
    return Plan("fail", final_status=ExecutionStatus.FAILED.value)


def _set_prompt_override(
    session: Session, execution_id: uuid.UUID, agent: str, prompt: str
) -> None:
    meta = session.scalar(select(Execution.metadata_).where(Execution.id == execution_id)) or {}
    overrides = dict(meta.get("agent_overrides", {}))
    overrides[agent] = {**overrides.get(agent, {}), "prompt": prompt}
    session.execute(
        update(journal.EXECUTIONS)
        .where(journal.EXECUTIONS.c.id == execution_id)
        .values(metadata={**meta, "agent_overrides": overrides})
    )


def fail_on_load(runner: Runner, exc: CheckpointCorruptedError) -> RunResult:
    """The last checkpoint cannot be restored: a state_sync failure; the execution fails."""
    from omium.engine.runner import RunResult

    c = fx.classify_state_sync(None, None, exc.message)
    events = EventBatch()
    with UnitOfWork(runner.deps.db) as uow:
        s = uow.session
        status = journal.fence(s, runner.execution_id, runner.worker_id, utcnow())
        check_transition(status, Action.FAIL, execution_id=runner.execution_id)
        failure_id = insert_failure(
            s,
            runner.execution_id,
            c,
            agent_id=None,
            checkpoint_id=None,
            extra={"details": exc.details},
        )
        set_failure(s, failure_id, recovery_status="failed")
        now = utcnow()
        journal.fence(
            s,
            runner.execution_id,
            runner.worker_id,
            now,
            status=ExecutionStatus.FAILED.value,
            error=c.message,
            completed_at=now,
            lease_owner=None,
            lease_expires_at=None,
        )
        events.add(
            runner.tenant_id,
            runner.execution_id,
            "failure_detected",
            failure_id=str(failure_id),
            failure_type=c.failure_type.value,
            severity=c.severity.value,
            message=c.message,
            suggested_fix=c.suggested_fix,
        )
        events.add(
            runner.tenant_id,
            runner.execution_id,
            "execution_failed",
            failure_id=str(failure_id),
            failure_type=c.failure_type.value,
            error=c.message,
        )
        events.flush(s)
        uow.commit()
    runner.deps.bus.publish(events)
    return RunResult(ExecutionStatus.FAILED.value, runner.execution_id)
