"""Round trips: what goes into a checkpoint comes back byte for byte, on every backend."""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

import pytest

from omium.errors import ConflictError, ErrorCode, NotFoundError, ValidationError
from omium.services.checkpoints import CheckpointService
from omium.store.db import Database
from omium.store.models import Execution
from omium.store.state_codec import canonical_json, canonical_state, sha256_hex
from omium.store.uow import UnitOfWork
from tests.conformance.conftest import Scene, make_scene


def _create(
    db: Database, service: CheckpointService, scene: Scene, name: str, state: Any, **kw: Any
):  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        row = service.create(uow, scene.tenant_id, scene.execution_id, name, state, **kw)
        uow.commit()
    return row


def _state(db: Database, service: CheckpointService, scene: Scene, checkpoint_id: uuid.UUID) -> Any:
    with UnitOfWork(db, read_only=True) as uow:
        return service.get_state(uow, scene.tenant_id, checkpoint_id)


def merkle_root(state: Any) -> str:
    """The documented checksum, computed independently: the sha256 of the canonical JSON of
    [[key, sha256 of the key's canonical value], ...] (key null for a non-object state)."""
    if isinstance(state, dict):
        pairs = [[key, sha256_hex(canonical_json(state[key]))] for key in sorted(state)]
    else:
        pairs = [[None, sha256_hex(canonical_json(state))]]
    return sha256_hex(json.dumps(pairs, separators=(",", ":"), ensure_ascii=False).encode())


def _deep(depth: int) -> Any:
    value: Any = {"leaf": "bottom"}
    for level in range(depth):
        value = {"level": level, "child": [value]}
    return value


STATES = {
    "unicode": {
        "name": "Zoë Ødegård",
        "emoji": "🚀✨",
        "cjk": "検証済み",
        "rtl": "مرحبا",
        "nul": "a\u0000b",
    },
    "nested": {"tree": _deep(200)},
    "types": {
        "i": 2**62,
        "big": -(2**70),
        "f": 0.1,
        "neg": -3.5e-10,
        "t": True,
        "n": None,
        "l": [],
        "o": {},
    },
    "empty": {},
    "list": [1, "two", {"three": 3}],
    "scalar": "just a string",
    "null": None,
}


@pytest.mark.parametrize("kind", sorted(STATES))
def test_state_round_trips(
    clean_db: Database, service: CheckpointService, scene: Scene, kind: str
) -> None:
    state = STATES[kind]
    row = _create(clean_db, service, scene, f"cp_{kind}", state)
    assert _state(clean_db, service, scene, row.id) == state
    assert row.checksum == merkle_root(state)
    assert row.state_size_bytes == len(canonical_state(state))
    assert row.state_blob_uri == f"db://checkpoints/{row.id}"


def test_ten_megabyte_state_round_trips_through_the_blob_store(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    # Random text: it does not compress below the inline limit.
    big = base64.b64encode(os.urandom(7_864_320)).decode()
    state = {"document": big, "meta": {"pages": 412}}
    row = _create(clean_db, service, scene, "big", state)
    assert row.state_size_bytes > 10 * 1024 * 1024
    assert row.state_blob_uri.startswith(("file://", "s3://"))
    digest = sha256_hex(canonical_json(big))
    with UnitOfWork(clean_db, read_only=True) as uow:
        [key] = service.parts.locations(uow.session, scene.tenant_id, [digest]).values()
    assert row.state_blob_uri == service.blobs.uri(key)
    assert _state(clean_db, service, scene, row.id) == state


def test_checkpoint_record_follows_the_lld(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row = _create(
        clean_db,
        service,
        scene,
        "kyc_validated",
        {"customer": {"id": "cust_123", "verified": True}},
        preconditions=["document.type != null"],
        postconditions=["customer.verified == true"],
        validation_passed=True,
        metadata={"step": "kyc"},
    )
    with UnitOfWork(clean_db, read_only=True) as uow:
        stored = service.get(uow, scene.tenant_id, row.id)
        assert stored.checkpoint_name == "kyc_validated"
        assert stored.checkpoint_index == 0
        assert stored.preconditions == ["document.type != null"]
        assert stored.postconditions == ["customer.verified == true"]
        assert stored.metadata_ == {"step": "kyc"}
        assert stored.compression_type == "zstd"
        assert stored.validation_passed is True
        assert stored.expires_at is None
        assert stored.superseded_at is None


def test_indexes_follow_creation_order_and_count_is_kept(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    rows = [_create(clean_db, service, scene, f"step_{i}", {"i": i}) for i in range(5)]
    assert [r.checkpoint_index for r in rows] == [0, 1, 2, 3, 4]
    with UnitOfWork(clean_db, read_only=True) as uow:
        listed = service.list_for_execution(uow, scene.tenant_id, scene.execution_id)
        assert [r.checkpoint_name for r in listed] == [f"step_{i}" for i in range(5)]
        assert service.count_for_execution(uow, scene.tenant_id, scene.execution_id) == 5
        latest = service.latest(uow, scene.tenant_id, scene.execution_id)
        assert latest is not None and latest.checkpoint_name == "step_4"
        execution = uow.session.get(type(scene.execution), scene.execution_id)
        assert execution is not None and execution.checkpoint_count == 5


def test_live_names_are_unique_until_superseded(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    for i, name in enumerate(["a", "b", "c"]):
        _create(clean_db, service, scene, name, {"v": i})
    with pytest.raises(ConflictError):
        _create(clean_db, service, scene, "b", {"v": 99})
    with UnitOfWork(clean_db) as uow:
        assert service.mark_superseded(uow, scene.tenant_id, scene.execution_id, after_index=0) == 2
        uow.commit()
    again = _create(clean_db, service, scene, "b", {"v": "rerun"})
    assert again.checkpoint_index == 3
    with UnitOfWork(clean_db, read_only=True) as uow:
        live = service.get_by_name(uow, scene.tenant_id, scene.execution_id, "b")
        assert live is not None and live.id == again.id
        assert service.get_by_name(uow, scene.tenant_id, scene.execution_id, "c") is None
        everything = service.list_for_execution(
            uow, scene.tenant_id, scene.execution_id, include_superseded=True
        )
        assert [(r.checkpoint_name, r.superseded_at is not None) for r in everything] == [
            ("a", False),
            ("b", True),
            ("c", True),
            ("b", False),
        ]
        assert service.get_state(uow, scene.tenant_id, everything[1].id) == {"v": 1}


def test_another_tenants_checkpoint_is_not_found(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row = _create(clean_db, service, scene, "private", {"secret": 1})
    with clean_db.session() as session:
        other = make_scene(session)
        session.commit()
    with UnitOfWork(clean_db) as uow:
        with pytest.raises(NotFoundError) as caught:
            service.get(uow, other.tenant_id, row.id)
        assert caught.value.code is ErrorCode.CHECKPOINT_NOT_FOUND
        with pytest.raises(NotFoundError) as caught:
            service.get_state(uow, other.tenant_id, row.id)
        assert caught.value.code is ErrorCode.CHECKPOINT_NOT_FOUND
        with pytest.raises(NotFoundError) as caught:
            service.create(uow, other.tenant_id, scene.execution_id, "x", {})
        assert caught.value.code is ErrorCode.EXECUTION_NOT_FOUND
        with pytest.raises(NotFoundError):
            service.list_for_execution(uow, other.tenant_id, scene.execution_id)


def test_a_state_that_is_not_json_is_refused(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    with UnitOfWork(clean_db) as uow, pytest.raises(ValidationError):
        service.create(uow, scene.tenant_id, scene.execution_id, "bad", {"when": object()})


def test_an_uncommitted_checkpoint_leaves_nothing(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    with UnitOfWork(clean_db) as uow:
        service.create(uow, scene.tenant_id, scene.execution_id, "lost", {"a": 1})
    with UnitOfWork(clean_db, read_only=True) as uow:
        assert service.count_for_execution(uow, scene.tenant_id, scene.execution_id) == 0
        assert service.storage_stats(uow, scene.tenant_id).parts == 0


def test_delete_removes_the_checkpoint(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row = _create(clean_db, service, scene, "gone", {"a": 1})
    with UnitOfWork(clean_db) as uow:
        service.delete(uow, scene.tenant_id, row.id)
        uow.commit()
    with UnitOfWork(clean_db) as uow, pytest.raises(NotFoundError):
        service.get(uow, scene.tenant_id, row.id)


def test_mark_superseded_keeps_the_callers_other_changes(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    rows = [_create(clean_db, service, scene, f"s{i}", {"i": i}) for i in range(3)]
    with UnitOfWork(clean_db) as uow:
        execution = uow.session.get(Execution, scene.execution_id)
        loaded = service.get(uow, scene.tenant_id, rows[2].id)
        assert execution is not None
        execution.current_checkpoint = "s0"  # not flushed yet
        assert service.mark_superseded(uow, scene.tenant_id, scene.execution_id, 0) == 2
        assert loaded.superseded_at is not None
        assert execution.current_checkpoint == "s0"
        uow.commit()
    with UnitOfWork(clean_db, read_only=True) as uow:
        execution = uow.session.get(Execution, scene.execution_id)
        assert execution is not None and execution.current_checkpoint == "s0"
