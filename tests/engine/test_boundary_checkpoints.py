"""A step boundary writes its checkpoints in its own statement (journal.apply_boundary)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select

from omium.agents import AgentContext, agent
from omium.engine.events import Event
from omium.store.models import Checkpoint, CheckpointBlob, ExecutionEvent
from omium.store.uow import UnitOfWork
from tests.engine.conftest import Env, linear

#: What the ``part_sweeper`` agent does when it runs (set by the test).
on_run: list[Callable[[], None]] = []


@agent("part_sweeper")
def part_sweeper(ctx: AgentContext) -> dict[str, Any]:
    for action in on_run:
        action()
    return {f"k{ctx.step}": "x" * 300}


def test_checkpoint_indexes_are_claimed_in_order_and_announced(env: Env) -> None:
    seen: list[Event] = []
    env.engine.bus.subscribe(lambda e: e.event_type == "checkpoint_created" and seen.append(e))
    ex = env.run(linear(3), n=1)
    assert ex.status == "completed"
    with UnitOfWork(env.db, read_only=True) as uow:
        rows = uow.session.execute(
            select(Checkpoint.id, Checkpoint.checkpoint_name, Checkpoint.checkpoint_index)
            .where(Checkpoint.execution_id == ex.id)
            .order_by(Checkpoint.checkpoint_index)
        ).all()
        outbox = uow.session.scalars(
            select(ExecutionEvent.payload).where(
                ExecutionEvent.execution_id == ex.id,
                ExecutionEvent.event_type == "checkpoint_created",
            )
        ).all()
    names = [name for _, name, _ in rows]
    assert names == [f"{k}_{p}" for k in ("a1", "a2", "a3") for p in ("start", "complete")]
    assert [index for _, _, index in rows] == list(range(6))
    assert ex.checkpoint_count == 6
    by_id = {str(cid): index for cid, _, index in rows}
    assert sorted((p["checkpoint_id"], p["checkpoint_index"]) for p in outbox) == sorted(
        by_id.items()
    )
    delivered = [(e.payload["checkpoint_id"], e.payload["checkpoint_index"]) for e in seen]
    assert sorted(delivered) == sorted(by_id.items())


def test_parts_gone_between_boundaries_are_written_again(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boundary checks the parts this process saw stored; when they are gone (here
    deleted while the agent runs), it writes nothing, then writes them again."""

    def sweep() -> None:
        with UnitOfWork(env.db) as uow:
            uow.session.execute(
                delete(CheckpointBlob).where(CheckpointBlob.tenant_id == env.tenant_id)
            )
            uow.commit()

    service = env.engine.deps.checkpoints
    missing: list[set[str]] = []
    real = service.parts_missing

    def parts_missing(uow: UnitOfWork, pending: Any, present: set[str], *, last: bool) -> None:
        missing.append(present)
        real(uow, pending, present, last=last)

    monkeypatch.setattr(service, "parts_missing", parts_missing)
    on_run[:] = [sweep]
    try:
        ex = env.run(linear(2, handler="part_sweeper"), n=1, blob="y" * 500)
    finally:
        on_run.clear()
    assert ex.status == "completed"
    assert missing and missing[0] == set()
    assert ex.result is not None and ex.result["k2"] == "x" * 300
    with UnitOfWork(env.db, read_only=True) as uow:
        last = uow.session.scalars(
            select(Checkpoint)
            .where(Checkpoint.execution_id == ex.id)
            .order_by(Checkpoint.checkpoint_index.desc())
        ).first()
        assert last is not None and last.checkpoint_name == "a2_complete"
        state = env.engine.deps.checkpoints.get_state(uow, env.tenant_id, last.id)
    assert state == {"n": 1, "blob": "y" * 500, "k1": "x" * 300, "k2": "x" * 300}
