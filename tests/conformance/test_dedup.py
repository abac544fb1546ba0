"""Deduplication: storage grows with what a step changed, not with the size of the state."""

from __future__ import annotations

from omium.services.checkpoints import CheckpointService, StorageStats
from omium.store.db import Database
from omium.store.state_codec import canonical_json
from omium.store.uow import UnitOfWork
from tests.conformance.conftest import Scene, make_scene
from tests.conformance.helpers import random_text, read_state, write
from tests.factories import make_execution


def _stats(db: Database, service: CheckpointService, scene: Scene) -> StorageStats:
    with UnitOfWork(db, read_only=True) as uow:
        return service.storage_stats(uow, scene.tenant_id)


def _state(keys: int, size: int) -> dict[str, str]:
    return {f"key_{i}": random_text(size) for i in range(keys)}


def test_an_unchanged_state_stores_nothing_new(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = _state(4, 2000)
    first = write(clean_db, service, scene, "a", state)
    before = _stats(clean_db, service, scene)
    second = write(clean_db, service, scene, "b", dict(state))
    assert first.storage.new_parts == 4
    assert second.storage.new_parts == 0 and second.storage.new_bytes == 0
    assert second.storage.reused_parts == 4
    assert _stats(clean_db, service, scene) == before
    assert second.checkpoint.checksum == first.checkpoint.checksum
    assert read_state(clean_db, service, scene, second.checkpoint.id) == state


def test_changing_one_key_of_a_megabyte_state_stores_one_key(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    # 1 MB in ten keys of 100 KB, one of them over the inline limit once more: a step that
    # changes one key adds that key's bytes only.
    state = _state(10, 100 * 1024)
    state["key_9"] = random_text(400 * 1024)
    write(clean_db, service, scene, "step_0", state)
    base = _stats(clean_db, service, scene)
    changed_bytes = 0
    for step in range(1, 10):
        state = {**state, f"key_{step % 9}": random_text(100 * 1024)}
        changed_bytes += 100 * 1024
        created = write(clean_db, service, scene, f"step_{step}", state)
        assert created.storage.new_parts == 1
        assert created.storage.reused_parts == 9
    grown = _stats(clean_db, service, scene).stored_bytes - base.stored_bytes
    assert grown <= 1.2 * changed_bytes
    assert grown >= 0.5 * changed_bytes
    with UnitOfWork(clean_db, read_only=True) as uow:
        last = service.latest(uow, scene.tenant_id, scene.execution_id)
        assert last is not None
        assert service.get_state(uow, scene.tenant_id, last.id) == state
        assert last.state_size_bytes == len(canonical_json(state))


def test_ten_steps_store_at_most_a_fifth_more_than_they_changed(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = _state(10, 10 * 1024)
    changed = sum(len(canonical_json(v)) for v in state.values())
    write(clean_db, service, scene, "step_0", state)
    for step in range(1, 10):
        state = {**state, f"key_{step}": random_text(10 * 1024)}
        changed += len(canonical_json(state[f"key_{step}"]))
        write(clean_db, service, scene, f"step_{step}", state)
    assert _stats(clean_db, service, scene).stored_bytes <= 1.2 * changed


def test_parts_are_shared_within_a_tenant_not_across_tenants(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = _state(3, 1000)
    write(clean_db, service, scene, "a", state)
    with clean_db.session() as session:
        other_tenant = make_scene(session)
        sibling_id = make_execution(session, scene.workflow).id
        session.commit()
    with UnitOfWork(clean_db) as uow:
        again = service.write(uow, scene.tenant_id, sibling_id, "a", state)
        uow.commit()
    assert again.storage.new_parts == 0
    foreign = write(clean_db, service, other_tenant, "a", state)
    assert foreign.storage.new_parts == 3
    assert _stats(clean_db, service, other_tenant).parts == 3
    assert read_state(clean_db, service, other_tenant, foreign.checkpoint.id) == state


def test_identical_values_under_several_keys_are_stored_once(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    value = random_text(3000)
    created = write(clean_db, service, scene, "a", {"x": value, "y": value, "z": value})
    assert created.storage.new_parts == 1
    assert read_state(clean_db, service, scene, created.checkpoint.id) == {
        "x": value,
        "y": value,
        "z": value,
    }


def test_a_state_with_thousands_of_keys(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = {f"k{i:05d}": i for i in range(2500)} | {f"s{i}": f"v{i}" for i in range(2500)}
    created = write(clean_db, service, scene, "wide", state)
    assert created.storage.new_parts == 5000
    assert read_state(clean_db, service, scene, created.checkpoint.id) == state
