"""The next checkpoint of an execution reuses the unchanged parts of the previous one; the
reuse never makes a checkpoint differ from a full encoding of its state."""

from __future__ import annotations

from typing import Any

from omium.services.checkpoints import CheckpointService
from omium.store.blobs import BlobStore
from omium.store.db import Database
from omium.store.manifest import build_manifest
from omium.store.state_codec import encode_state
from omium.store.uow import UnitOfWork
from omium.types import CompressionType
from tests.conformance.conftest import Scene
from tests.conformance.helpers import random_text, read_state, write


def _state() -> dict[str, Any]:
    return {f"key_{i}": {"n": i, "text": random_text(300)} for i in range(6)}


def test_naming_the_changed_keys_gives_the_full_encoding(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = _state()
    write(clean_db, service, scene, "s0", state, changed_keys=list(state))
    for step in range(1, 5):
        state = {**state, f"key_{step}": {"n": -step}, f"new_{step}": step}
        if step == 1:
            del state["key_0"]  # a key removed need not be named
        created = write(
            clean_db, service, scene, f"s{step}", state, changed_keys=[f"key_{step}", f"new_{step}"]
        )
        assert created.checkpoint.checksum == encode_state(state).checksum
        assert created.storage.new_parts == 2
        assert read_state(clean_db, service, scene, created.checkpoint.id) == state


def test_a_restored_state_mutated_in_place_is_encoded_again(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    # A rollback: the state comes back from a checkpoint as new objects, and a step changes
    # one of them in place without naming it; no part of the cache may stand in for it.
    state = _state()
    first = write(clean_db, service, scene, "s0", state)
    with UnitOfWork(clean_db, read_only=True) as uow:
        restored = service.get_state(uow, scene.tenant_id, first.checkpoint.id)
    restored["key_2"]["n"] = 99
    created = write(clean_db, service, scene, "s1", restored, changed_keys=[])
    assert read_state(clean_db, service, scene, created.checkpoint.id) == restored
    assert created.checkpoint.checksum == encode_state(restored).checksum


def test_without_the_hint_an_in_place_change_is_found(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = _state()
    write(clean_db, service, scene, "s0", state)
    state["key_3"]["text"] = "changed in place"
    created = write(clean_db, service, scene, "s1", state)
    assert created.storage.new_parts == 1
    assert read_state(clean_db, service, scene, created.checkpoint.id) == state


def test_a_rolled_back_checkpoint_leaves_the_next_one_whole(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    state = _state()
    write(clean_db, service, scene, "s0", state)
    changed = {**state, "key_1": {"n": "lost"}}
    with UnitOfWork(clean_db) as uow:
        service.write(
            uow, scene.tenant_id, scene.execution_id, "lost", changed, changed_keys=["key_1"]
        )
        # rolled back: no commit; the cache saw the lost state and its parts
    created = write(clean_db, service, scene, "s1", changed, changed_keys=[])
    assert created.storage.new_parts == 1
    assert read_state(clean_db, service, scene, created.checkpoint.id) == changed


def test_a_boundary_checkpoint_of_the_same_state_reuses_the_encoding(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    # The engine's {agent}_start right after an {agent}_complete: same state, no key changed.
    state = _state()
    with UnitOfWork(clean_db) as uow:
        complete = service.prepare(uow, scene.tenant_id, scene.execution_id, "a_complete", state)
        start = service.prepare(
            uow, scene.tenant_id, scene.execution_id, "b_start", state, changed_keys=[]
        )
        assert start.encoded is complete.encoded
        assert start.row["checksum"] == encode_state(state).checksum
        assert start.row["state_manifest"] == build_manifest(encode_state(state))
        assert start.row["state_blob_uri"] == f"db://checkpoints/{start.row['id']}"
        # The same parts to insert, in a mapping of its own (the boundary's write drops from
        # the later checkpoint the parts the earlier one inserts).
        assert start.parts.parts == complete.parts.parts
        assert start.parts.parts is not complete.parts.parts
        # A key named as changed is encoded again, the others are still reused.
        state["key_1"] = {"n": "next"}
        after = service.prepare(
            uow, scene.tenant_id, scene.execution_id, "c_start", state, changed_keys=["key_1"]
        )
        assert after.encoded is not start.encoded
        assert after.row["checksum"] == encode_state(state).checksum
        # Equal values in other objects: encoded (and compared) again, never taken on trust.
        copy = {key: dict(value) for key, value in state.items()}
        again = service.prepare(
            uow, scene.tenant_id, scene.execution_id, "d_start", copy, changed_keys=[]
        )
        assert again.encoded is not after.encoded
        assert again.row["checksum"] == after.row["checksum"]


def test_the_same_large_state_again_points_at_its_stored_blob(
    clean_db: Database, blob_store: BlobStore, scene: Scene
) -> None:
    service = CheckpointService(blob_store, compression=CompressionType.NONE, inline_max=64)
    state = {"big": random_text(500), "small": 1}
    first = write(clean_db, service, scene, "s0", state, changed_keys=list(state))
    second = write(clean_db, service, scene, "s1", state, changed_keys=[])
    assert second.checkpoint.checksum == first.checkpoint.checksum
    assert second.checkpoint.state_blob_uri == first.checkpoint.state_blob_uri
    assert not second.checkpoint.state_blob_uri.startswith("db://")
    assert read_state(clean_db, service, scene, second.checkpoint.id) == state
