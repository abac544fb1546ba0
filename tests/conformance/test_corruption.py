"""Every read verifies: a damaged or missing part is CHECKPOINT_CORRUPTED, naming the part."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from omium.errors import CheckpointCorruptedError, ErrorCode
from omium.services.checkpoints import CheckpointService
from omium.store.db import Database
from omium.store.models import Checkpoint, CheckpointBlob
from omium.store.state_codec import canonical_json, sha256_hex
from tests.conformance.conftest import Scene
from tests.conformance.helpers import create, random_text, read_state


def _assert_corrupted(
    db: Database, service: CheckpointService, scene: Scene, checkpoint_id: uuid.UUID, part: Any
) -> CheckpointCorruptedError:
    with pytest.raises(CheckpointCorruptedError) as caught:
        read_state(db, service, scene, checkpoint_id)
    error = caught.value
    assert error.code is ErrorCode.CHECKPOINT_CORRUPTED
    assert error.details["checkpoint_id"] == str(checkpoint_id)
    assert error.details["part"] == part
    assert str(checkpoint_id) in error.message
    return error


def _update_part(db: Database, scene: Scene, digest: str, **values: Any) -> None:
    with db.engine.begin() as conn:
        result = conn.execute(
            update(CheckpointBlob)
            .where(CheckpointBlob.tenant_id == scene.tenant_id, CheckpointBlob.digest == digest)
            .values(**values)
        )
        assert result.rowcount == 1


def _digest(value: Any) -> str:
    return sha256_hex(canonical_json(value))


SMALL = {"customer": {"id": "cust_123", "verified": True}, "notes": "kept as is"}


def test_altered_inline_bytes(clean_db: Database, service: CheckpointService, scene: Scene) -> None:
    row = create(clean_db, service, scene, "cp", SMALL)
    _update_part(clean_db, scene, _digest(SMALL["customer"]), data=b'{"id":"cust_666"}')
    error = _assert_corrupted(clean_db, service, scene, row.id, "customer")
    assert "sha256" in error.message


def test_missing_part_row(clean_db: Database, service: CheckpointService, scene: Scene) -> None:
    row = create(clean_db, service, scene, "cp", SMALL)
    with clean_db.engine.begin() as conn:
        conn.execute(
            CheckpointBlob.__table__.delete().where(
                CheckpointBlob.digest == _digest(SMALL["notes"])
            )
        )
    error = _assert_corrupted(clean_db, service, scene, row.id, "notes")
    assert "missing" in error.message


def test_undecodable_part(clean_db: Database, service: CheckpointService, scene: Scene) -> None:
    state = {"big": "x" * 5000}
    row = create(clean_db, service, scene, "cp", state)
    _update_part(clean_db, scene, _digest(state["big"]), compression="gzip")
    error = _assert_corrupted(clean_db, service, scene, row.id, "big")
    assert "decompress" in error.message


def _external(service: CheckpointService, scene: Scene, db: Database) -> tuple[Any, str, str]:
    payload = random_text(400 * 1024)
    row = create(db, service, scene, "big", {"payload": payload, "small": 1})
    digest = _digest(payload)
    with db.session() as session:
        part = session.get(CheckpointBlob, (scene.tenant_id, digest))
        assert part is not None and part.data is None and part.location
        location = part.location
    return row, digest, location


def test_missing_external_blob(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row, _, location = _external(service, scene, clean_db)
    service.blobs.delete(location)
    error = _assert_corrupted(clean_db, service, scene, row.id, "payload")
    assert service.blobs.uri(location) in error.message


def test_altered_external_blob(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row, _, location = _external(service, scene, clean_db)
    original = service.blobs.get(location)
    service.blobs.put(location, original[:-1] + bytes([original[-1] ^ 1]))
    _assert_corrupted(clean_db, service, scene, row.id, "payload")


def test_truncated_external_blob(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row, _, location = _external(service, scene, clean_db)
    service.blobs.put(location, service.blobs.get(location)[:1000])
    _assert_corrupted(clean_db, service, scene, row.id, "payload")


MutateRow = Callable[[Checkpoint], dict[str, Any]]


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        (lambda row: {"checksum": "0" * 64}, "checksum"),
        (lambda row: {"state_manifest": None}, "manifest"),
        (lambda row: {"state_manifest": {**row.state_manifest, "keys": ["one"]}}, "manifest"),
        (
            lambda row: {"state_manifest": {"v": 1, "object": True, "parts": [[1, 2, 3]]}},
            "manifest",
        ),
        (
            # A manifest that names a real part under the wrong key: every part verifies,
            # the whole does not.
            lambda row: {
                "state_manifest": {
                    **row.state_manifest,
                    "keys": [key + "_" for key in row.state_manifest["keys"]],
                }
            },
            "checksum",
        ),
    ],
)
def test_altered_checkpoint_row(
    clean_db: Database,
    service: CheckpointService,
    scene: Scene,
    mutation: MutateRow,
    reason: str,
) -> None:
    row = create(clean_db, service, scene, "cp", SMALL)
    with clean_db.engine.begin() as conn:
        conn.execute(update(Checkpoint).where(Checkpoint.id == row.id).values(**mutation(row)))
    error = _assert_corrupted(clean_db, service, scene, row.id, None)
    assert reason in error.message


def test_corruption_is_never_an_empty_state(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    row = create(clean_db, service, scene, "cp", {})
    with clean_db.engine.begin() as conn:
        conn.execute(update(Checkpoint).where(Checkpoint.id == row.id).values(checksum="1" * 64))
    _assert_corrupted(clean_db, service, scene, row.id, None)
