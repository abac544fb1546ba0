"""Failures and manual recovery (LLD §2.4): list, read, recover."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from omium.clock import utcnow
from omium.domain.transitions import Action, check_transition
from omium.engine.events import EventBatch, EventBus
from omium.engine.recovery import insert_action, set_failure
from omium.errors import ErrorCode, NotFoundError, ValidationError
from omium.schemas.executions import Failure as FailureOut
from omium.schemas.executions import RecoverRequest
from omium.schemas.executions import RecoveryAction as ActionOut
from omium.services.executions import ExecutionService
from omium.store.models import Agent, Checkpoint, Execution, Failure, RecoveryAction
from omium.store.uow import UnitOfWork


def failure_schema(row: Failure) -> FailureOut:
    return FailureOut(
        id=row.id,
        execution_id=row.execution_id,
        agent_id=row.agent_id,
        checkpoint_id=row.checkpoint_id,
        failure_type=row.failure_type,
        severity=row.severity,
        error_message=row.error_message,
        root_cause=row.root_cause,
        suggested_fix=row.suggested_fix,
        recovery_action=row.recovery_action,
        recovery_status=row.recovery_status,
        detected_at=row.detected_at,
        resolved_at=row.resolved_at,
        metadata=dict(row.metadata_ or {}),
    )


def action_schema(row: RecoveryAction) -> ActionOut:
    return ActionOut(
        id=row.id,
        failure_id=row.failure_id,
        execution_id=row.execution_id,
        action_type=row.action_type,
        action_config=row.action_config,
        status=row.status,
        success=row.success,
        error=row.error,
        triggered_at=row.triggered_at,
        completed_at=row.completed_at,
    )


class RecoveryService:
    def __init__(self, executions: ExecutionService) -> None:
        self.executions = executions
        self.db = executions.db
        self.bus: EventBus = executions.bus

    def list_failures(
        self,
        tenant_id: uuid.UUID,
        *,
        execution_id: uuid.UUID | None = None,
        severity: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[FailureOut], int]:
        criteria: list[Any] = []
        if execution_id:
            criteria.append(Failure.execution_id == execution_id)
        if severity:
            criteria.append(Failure.severity == severity)
        if status:
            criteria.append(Failure.recovery_status == status)
        with UnitOfWork(self.db, read_only=True) as uow:
            repo = uow.repo(Failure, tenant_id)
            rows = repo.list(*criteria, order_by=[Failure.detected_at], limit=limit, offset=offset)
            return [failure_schema(r) for r in rows], repo.count(*criteria)

    def list_actions(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> list[ActionOut]:
        with UnitOfWork(self.db, read_only=True) as uow:
            rows = uow.repo(RecoveryAction, tenant_id).list(
                RecoveryAction.execution_id == execution_id,
                order_by=[RecoveryAction.triggered_at],
            )
            return [action_schema(r) for r in rows]

    def recover_failure(
        self,
        tenant_id: uuid.UUID,
        failure_id: uuid.UUID,
        request: RecoverRequest,
        *,
        triggered_by: uuid.UUID | None = None,
    ) -> ActionOut:
        """Apply a recovery to a failure; the execution retries its step from the checkpoint."""
        events = EventBatch()
        svc = self.executions
        with UnitOfWork(self.db) as uow:
            s = uow.session
            failure = uow.repo(Failure, tenant_id).get(failure_id)
            if failure is None:
                raise NotFoundError(
                    f"Failure with ID '{failure_id}' not found",
                    details={"failure_id": str(failure_id)},
                )
            row = uow.repo(Execution, tenant_id).require(failure.execution_id, for_update=True)
            check_transition(row.status, Action.RECOVER, execution_id=row.id)
            cfg = dict(request.action_config)
            step = (failure.metadata_ or {}).get("step")
            cfg.setdefault("step", step)
            if request.action_type == "prompt_edit":
                new_prompt = cfg.get("new_prompt")
                if not isinstance(new_prompt, str) or not new_prompt:
                    raise ValidationError(
                        "action_config.new_prompt is required for prompt_edit",
                        code=ErrorCode.MISSING_REQUIRED_FIELD,
                        details={"field": "action_config.new_prompt"},
                    )
                agent_row_id = cfg.get("agent_id") or failure.agent_id
                agent = s.get(Agent, uuid.UUID(str(agent_row_id))) if agent_row_id else None
                if agent is None or agent.execution_id != row.id:
                    raise NotFoundError("Agent not found", details={"agent_id": str(agent_row_id)})
                meta = dict(row.metadata_ or {})
                overrides = dict(meta.get("agent_overrides", {}))
                old = overrides.get(agent.name, {}).get("prompt") or (agent.config or {}).get(
                    "prompt"
                )
                overrides[agent.name] = {**overrides.get(agent.name, {}), "prompt": new_prompt}
                row.metadata_ = {**meta, "agent_overrides": overrides}
                agent.config = {**(agent.config or {}), "prompt": new_prompt}
                cfg.update(agent=agent.name, old_prompt=old, new_prompt=new_prompt)
            if request.action_type == "rollback":
                cp_id = cfg.get("checkpoint_id") or failure.checkpoint_id
                cp = s.get(Checkpoint, uuid.UUID(str(cp_id))) if cp_id else None
                if cp is None or cp.execution_id != row.id:
                    raise NotFoundError(
                        "Checkpoint not found",
                        code=ErrorCode.CHECKPOINT_NOT_FOUND,
                        details={"checkpoint_id": str(cp_id)},
                    )
                svc._roll_back(
                    uow,
                    row,
                    cp,
                    reason=f"recovery of failure {failure_id}",
                    triggered_by=triggered_by,
                    events=events,
                )
                cfg.update(checkpoint_id=str(cp.id), checkpoint_name=cp.checkpoint_name)
            now = utcnow()
            # A person acted on the pending escalation: it is done.
            s.execute(
                update(RecoveryAction)
                .where(
                    RecoveryAction.failure_id == failure_id,
                    RecoveryAction.status == "pending",
                )
                .values(status="completed", success=True, completed_at=now)
            )
            pausing = request.action_type in ("manual_intervention", "escalate")
            action_id = insert_action(
                s,
                failure_id,
                row.id,
                request.action_type,
                cfg,
                "pending" if pausing else "in_progress",
                triggered_by=triggered_by,
            )
            set_failure(
                s,
                failure_id,
                recovery_action=request.action_type,
                recovery_status="pending" if pausing else "in_progress",
            )
            events.add(
                tenant_id,
                row.id,
                "recovery_action",
                action_id=str(action_id),
                action_type=request.action_type,
                failure_id=str(failure_id),
                triggered_by=str(triggered_by) if triggered_by else None,
            )
            if not pausing:
                row.retry_count = (row.retry_count or 0) + 1
                svc._set_runnable(row)
                events.add(tenant_id, row.id, "execution_queued")
            s.flush()
            action = s.scalars(select(RecoveryAction).where(RecoveryAction.id == action_id)).one()
            out = action_schema(action)
            events.flush(s)
            uow.commit()
        self.bus.publish(events)
        return out
