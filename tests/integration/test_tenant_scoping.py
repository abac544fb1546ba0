"""Repositories cannot see, change or point at another tenant's rows."""

from __future__ import annotations

import uuid

import pytest

from omium.errors import ErrorCode, NotFoundError
from omium.store.db import Database
from omium.store.models import (
    Agent,
    ApiKey,
    Base,
    Checkpoint,
    ConsensusAck,
    ConsensusLog,
    Execution,
    Failure,
    Role,
    Tenant,
    User,
    UserRole,
    Workflow,
)
from omium.store.uow import UnitOfWork
from tests.factories import World


@pytest.fixture
def world(db: Database) -> World:
    with db.session() as session:
        world = World(session)
        session.commit()
    return world


def _ids(world: World, model: type[Base]) -> tuple[uuid.UUID, uuid.UUID]:
    attr = {
        Tenant: "tenant",
        User: "user",
        Workflow: "workflow",
        Execution: "execution",
        Agent: "agent",
        Checkpoint: "checkpoint",
    }[model]
    return getattr(world, f"{attr}_a").id, getattr(world, f"{attr}_b").id


SCOPED_MODELS = [Tenant, User, Workflow, Execution, Agent, Checkpoint]


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_get_list_count_see_only_own_rows(db: Database, world: World, model: type[Base]) -> None:
    own, foreign = _ids(world, model)
    with UnitOfWork(db, read_only=True) as uow:
        repo = uow.repo(model, world.tenant_a.id)
        assert repo.get(own) is not None
        assert repo.get(foreign) is None
        listed = [row.id for row in repo.list()]  # type: ignore[attr-defined]
        assert listed == [own]
        assert repo.count() == 1


@pytest.mark.parametrize(
    ("model", "code"),
    [
        (Execution, ErrorCode.EXECUTION_NOT_FOUND),
        (Workflow, ErrorCode.WORKFLOW_NOT_FOUND),
        (Checkpoint, ErrorCode.CHECKPOINT_NOT_FOUND),
        (Agent, ErrorCode.RESOURCE_NOT_FOUND),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_require_reports_another_tenants_row_as_not_found(
    db: Database, world: World, model: type[Base], code: ErrorCode
) -> None:
    _, foreign = _ids(world, model)
    with UnitOfWork(db) as uow, pytest.raises(NotFoundError) as caught:
        uow.repo(model, world.tenant_a.id).require(foreign)
    assert caught.value.code == code
    assert caught.value.http_status == 404


def test_delete_of_another_tenants_row_is_refused_and_changes_nothing(
    db: Database, world: World
) -> None:
    with UnitOfWork(db) as uow:
        foreign = uow.session.get(Execution, world.execution_b.id)
        assert foreign is not None
        with pytest.raises(NotFoundError):
            uow.repo(Execution, world.tenant_a.id).delete(foreign)
        uow.commit()
    with UnitOfWork(db) as uow:
        assert uow.repo(Execution, world.tenant_b.id).get(world.execution_b.id) is not None


def test_add_with_another_tenant_id_is_refused(db: Database, world: World) -> None:
    with UnitOfWork(db) as uow, pytest.raises(NotFoundError):
        uow.repo(Role, world.tenant_a.id).add(
            Role(tenant_id=world.tenant_b.id, name="sneaky", permissions=[])
        )


def test_add_fills_in_the_tenant(db: Database, world: World) -> None:
    with UnitOfWork(db) as uow:
        role = uow.repo(Role, world.tenant_a.id).add(Role(name="developer", permissions=[]))
        uow.commit()
    assert role.tenant_id == world.tenant_a.id


def test_add_pointing_at_another_tenants_parent_is_refused(db: Database, world: World) -> None:
    with UnitOfWork(db) as uow:
        repo = uow.repo(Checkpoint, world.tenant_a.id)
        with pytest.raises(NotFoundError) as caught:
            repo.add(
                Checkpoint(
                    execution_id=world.execution_b.id,
                    checkpoint_name="x",
                    checkpoint_index=0,
                    state_size_bytes=0,
                    state_blob_uri="file:///x",
                    checksum="0" * 64,
                )
            )
        assert caught.value.code == ErrorCode.EXECUTION_NOT_FOUND
        with pytest.raises(NotFoundError):
            uow.repo(Execution, world.tenant_a.id).add(Execution(workflow_id=world.workflow_b.id))
        with pytest.raises(NotFoundError):
            uow.repo(ApiKey, world.tenant_a.id).add(
                ApiKey(user_id=world.user_b.id, name="k", key_hash="h", key_prefix="p")
            )


def test_rows_reached_through_two_parents_are_scoped(db: Database, world: World) -> None:
    with UnitOfWork(db) as uow:
        log = ConsensusLog(
            execution_id=world.execution_b.id,
            term=1,
            log_index=1,
            sender_agent_id=world.agent_b.id,
            message_type="handoff",
            message={},
            acks_required=1,
        )
        uow.repo(ConsensusLog, world.tenant_b.id).add(log)
        ack = uow.repo(ConsensusAck, world.tenant_b.id).add(
            ConsensusAck(consensus_log_id=log.id, agent_id=world.agent_b.id)
        )
        role = uow.repo(Role, world.tenant_b.id).add(Role(name="viewer", permissions=[]))
        uow.repo(UserRole, world.tenant_b.id).add(
            UserRole(user_id=world.user_b.id, role_id=role.id)
        )
        uow.commit()
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.repo(ConsensusAck, world.tenant_a.id).get(ack.id) is None
        assert uow.repo(ConsensusAck, world.tenant_b.id).get(ack.id) is not None
        assert uow.repo(UserRole, world.tenant_a.id).count() == 0
        assert uow.repo(UserRole, world.tenant_b.id).count() == 1
        assert uow.repo(Failure, world.tenant_a.id).count() == 0


def test_an_uncommitted_unit_of_work_leaves_nothing(db: Database, world: World) -> None:
    with UnitOfWork(db) as uow:
        uow.repo(Role, world.tenant_a.id).add(Role(name="ghost", permissions=[]))
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.repo(Role, world.tenant_a.id).count() == 0
