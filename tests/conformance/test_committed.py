"""A standalone checkpoint (``create_committed``): durable on return, all-or-nothing, the same
rows as a checkpoint written in a unit of work — on every backend."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from omium.errors import ConflictError, ErrorCode, NotFoundError
from omium.services.checkpoints import CheckpointService
from omium.store.db import Database
from omium.store.models import Checkpoint, CheckpointBlob, Execution
from omium.store.uow import UnitOfWork
from tests.conformance.conftest import Scene
from tests.conformance.helpers import random_text, read_state


def _count(db: Database, model: type[Checkpoint] | type[CheckpointBlob]) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_committed_checkpoint_reads_back_from_another_connection(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = {"query": "héllo", "n": 1, "nested": {"a": [1, 2, None]}}
    row = service.create_committed(clean_db, scene.tenant_id, scene.execution_id, "a", state)
    second = service.create_committed(
        clean_db, scene.tenant_id, scene.execution_id, "b", {**state, "n": 2}, changed_keys=["n"]
    )
    assert (row.checkpoint_index, second.checkpoint_index) == (0, 1)
    assert read_state(clean_db, service, scene, row.id) == state
    assert read_state(clean_db, service, scene, second.id) == {**state, "n": 2}
    with UnitOfWork(clean_db, read_only=True) as uow:
        stored = service.get(uow, scene.tenant_id, second.id)
        assert stored.checksum == second.checksum
        assert stored.state_blob_uri == f"db://checkpoints/{second.id}"
        execution = uow.session.get(Execution, scene.execution_id)
        assert execution is not None and execution.checkpoint_count == 2


def test_a_large_part_goes_to_the_blob_store_before_the_row_commits(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = {"big": random_text(400 * 1024), "small": "x"}
    row = service.create_committed(clean_db, scene.tenant_id, scene.execution_id, "a", state)
    assert not row.state_blob_uri.startswith("db://")
    assert read_state(clean_db, service, scene, row.id) == state


def test_a_taken_name_writes_nothing(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    service.create_committed(clean_db, scene.tenant_id, scene.execution_id, "a", {"k": 1})
    parts = _count(clean_db, CheckpointBlob)
    with pytest.raises(ConflictError):
        service.create_committed(
            clean_db, scene.tenant_id, scene.execution_id, "a", {"k": 2, "new": "part"}
        )
    assert (_count(clean_db, Checkpoint), _count(clean_db, CheckpointBlob)) == (1, parts)
    again = service.create_committed(clean_db, scene.tenant_id, scene.execution_id, "b", {"k": 2})
    assert again.checkpoint_index == 1  # the failed write took nothing, not even an index


@pytest.mark.parametrize("foreign", ["execution", "agent", "both"])
def test_an_unknown_execution_or_agent_writes_nothing(
    clean_db: Database, service: CheckpointService, scene: Scene, foreign: str
) -> None:
    execution_id = scene.execution_id if foreign == "agent" else uuid.uuid4()
    agent_id = None if foreign == "execution" else uuid.uuid4()
    with pytest.raises(NotFoundError) as raised:
        service.create_committed(
            clean_db, scene.tenant_id, execution_id, "a", {"k": 1}, agent_id=agent_id
        )
    if foreign != "agent":
        assert raised.value.code == ErrorCode.EXECUTION_NOT_FOUND
    assert (_count(clean_db, Checkpoint), _count(clean_db, CheckpointBlob)) == (0, 0)


def test_a_part_gone_since_the_last_write_is_stored_again(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = {f"key_{i}": random_text(1000) for i in range(3)}
    service.create_committed(clean_db, scene.tenant_id, scene.execution_id, "a", state)
    with clean_db.engine.begin() as conn:
        conn.execute(CheckpointBlob.__table__.delete())
    again = service.create_committed(clean_db, scene.tenant_id, scene.execution_id, "b", state)
    assert _count(clean_db, CheckpointBlob) == 3
    assert read_state(clean_db, service, scene, again.id) == state
