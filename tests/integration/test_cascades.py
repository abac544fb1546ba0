"""ON DELETE CASCADE / RESTRICT / SET NULL behave as the LLD says, on both dialects."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omium.store.db import Database
from omium.store.models import (
    Agent,
    ApiKey,
    AuditLog,
    Base,
    Checkpoint,
    ConsensusAck,
    ConsensusLog,
    Execution,
    ExecutionMetrics,
    Failure,
    RecoveryAction,
    Role,
    Rollback,
    Tenant,
    User,
    UserRole,
    Workflow,
    WorkflowDefinition,
)
from tests.factories import World, make_user


def _count(session: Session, model: type[Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _populate_execution(session: Session, world: World) -> None:
    execution, agent, checkpoint = world.execution_a, world.agent_a, world.checkpoint_a
    failure = Failure(
        execution_id=execution.id, failure_type="timeout", severity="low", error_message="x"
    )
    session.add(failure)
    session.flush()
    log = ConsensusLog(
        execution_id=execution.id,
        term=1,
        log_index=1,
        sender_agent_id=agent.id,
        message_type="handoff",
        message={},
        acks_required=1,
    )
    session.add_all(
        [
            RecoveryAction(
                failure_id=failure.id,
                execution_id=execution.id,
                action_type="retry",
                action_config={},
            ),
            Rollback(
                execution_id=execution.id,
                to_checkpoint_id=checkpoint.id,
                trigger_reason="test",
            ),
            ExecutionMetrics(execution_id=execution.id, total_duration_ms=5),
            log,
        ]
    )
    session.flush()
    session.add(ConsensusAck(consensus_log_id=log.id, agent_id=agent.id))
    session.flush()


def test_deleting_an_execution_cascades_to_everything_under_it(db: Database) -> None:
    with db.session() as session:
        world = World(session)
        _populate_execution(session, world)
        session.commit()
        session.execute(delete(Execution).where(Execution.id == world.execution_a.id))
        session.commit()
        # Tenant B's execution keeps its agent and checkpoint; A's are gone.
        assert _count(session, Agent) == 1
        assert _count(session, Checkpoint) == 1
        for model in (Failure, RecoveryAction, Rollback, ExecutionMetrics, ConsensusLog):
            assert _count(session, model) == 0, model.__name__
        assert _count(session, ConsensusAck) == 0


def test_deleting_an_agent_cascades_to_its_checkpoints(db: Database) -> None:
    with db.session() as session:
        world = World(session)
        session.commit()
        session.execute(delete(Agent).where(Agent.id == world.agent_a.id))
        session.commit()
        remaining = session.scalars(select(Checkpoint.id)).all()
        assert remaining == [world.checkpoint_b.id]


def test_a_workflow_with_executions_cannot_be_deleted(db: Database) -> None:
    with db.session() as session:
        world = World(session)
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(delete(Workflow).where(Workflow.id == world.workflow_a.id))
            session.commit()


def test_a_user_who_created_a_workflow_cannot_be_deleted(db: Database) -> None:
    with db.session() as session:
        world = World(session)
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(delete(User).where(User.id == world.user_a.id))
            session.commit()


def test_deleting_a_user_nulls_their_api_keys_and_drops_their_role_grants(
    db: Database,
) -> None:
    with db.session() as session:
        world = World(session)
        leaver = make_user(session, world.tenant_a)
        role = Role(tenant_id=world.tenant_a.id, name="developer", permissions=[])
        session.add(role)
        session.flush()
        key = ApiKey(
            tenant_id=world.tenant_a.id,
            user_id=leaver.id,
            name="ci",
            key_hash="h" * 64,
            key_prefix="om_x",
        )
        session.add_all([key, UserRole(user_id=leaver.id, role_id=role.id)])
        session.commit()
        session.execute(delete(User).where(User.id == leaver.id))
        session.commit()
        session.expire_all()
        surviving_key = session.get(ApiKey, key.id)
        assert surviving_key is not None and surviving_key.user_id is None
        assert _count(session, UserRole) == 0
        assert session.get(Role, role.id) is not None


def test_deleting_a_tenant_removes_all_its_data_and_only_its_data(db: Database) -> None:
    with db.session() as session:
        world = World(session)
        _populate_execution(session, world)
        session.add(
            AuditLog(tenant_id=world.tenant_a.id, action="create", resource_type="workflow")
        )
        session.add(
            WorkflowDefinition(
                workflow_id=world.workflow_a.id,
                tenant_id=world.tenant_a.id,
                name="onboarding",
                version=1,
                definition={},
            )
        )
        session.commit()
        session.execute(delete(Tenant).where(Tenant.id == world.tenant_a.id))
        session.commit()
        for model in (User, Workflow, Execution, Agent, Checkpoint):
            assert _count(session, model) == 1, model.__name__  # tenant B's row
        for model in (AuditLog, WorkflowDefinition, Failure, ConsensusLog):
            assert _count(session, model) == 0, model.__name__


def test_a_checkpoint_a_rollback_went_to_cannot_be_deleted(db: Database) -> None:
    # rollbacks.to_checkpoint_id has no ON DELETE: history must not point at nothing.
    with db.session() as session:
        world = World(session)
        session.add(
            Rollback(
                execution_id=world.execution_a.id,
                to_checkpoint_id=world.checkpoint_a.id,
                trigger_reason="test",
            )
        )
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(delete(Checkpoint).where(Checkpoint.id == world.checkpoint_a.id))
            session.commit()
