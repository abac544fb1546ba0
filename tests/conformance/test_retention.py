"""Retention: expiry from the global or tenant setting; the sweep removes what nothing needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from omium.errors import NotFoundError
from omium.services.checkpoint_sweep import CheckpointSweeper
from omium.services.checkpoints import TENANT_RETENTION_KEY, CheckpointService
from omium.store.db import Database
from omium.store.models import CheckpointBlob, Execution, Rollback, Tenant
from omium.store.uow import UnitOfWork
from omium.types import CompressionType
from tests.conformance.conftest import Scene, make_scene
from tests.conformance.helpers import create, random_text, read_state

LATER = timedelta(days=30)


@pytest.fixture
def retaining(service: CheckpointService) -> CheckpointService:
    return CheckpointService(service.blobs, compression=CompressionType.ZSTD, retention_days=7)


def _sweeper(db: Database, service: CheckpointService) -> CheckpointSweeper:
    return CheckpointSweeper(db, service.blobs, grace=timedelta(minutes=5))


def test_expiry_comes_from_the_global_setting(
    clean_db: Database, retaining: CheckpointService, service: CheckpointService, scene: Scene
) -> None:
    kept = create(clean_db, retaining, scene, "a", {"x": 1})
    assert kept.expires_at == kept.created_at + timedelta(days=7)
    forever = create(clean_db, service, scene, "b", {"x": 1})
    assert forever.expires_at is None


def test_a_tenant_setting_overrides_the_global_one(
    clean_db: Database, retaining: CheckpointService
) -> None:
    with clean_db.session() as session:
        scene = make_scene(session, settings={TENANT_RETENTION_KEY: 2})
        session.commit()
    row = create(clean_db, retaining, scene, "a", {"x": 1})
    assert row.expires_at == row.created_at + timedelta(days=2)


def test_sweep_deletes_expired_checkpoints_and_their_parts(
    clean_db: Database, retaining: CheckpointService, service: CheckpointService, scene: Scene
) -> None:
    big = random_text(400 * 1024)
    shared = {"policy": random_text(2000)}
    old = create(clean_db, retaining, scene, "old", {"big": big, **shared})
    keep_forever = create(clean_db, service, scene, "forever", {"own": 1, **shared})
    with UnitOfWork(clean_db, read_only=True) as uow:
        location = service.parts.locations(
            uow.session, scene.tenant_id, [d for _, d in old.state_manifest["parts"]]
        )
        assert len(location) == 1
        before = service.storage_stats(uow, scene.tenant_id)

    report = _sweeper(clean_db, service).run(now=old.created_at + LATER)

    assert report.expired_checkpoints_deleted == 1
    assert report.parts_deleted == 1  # "big"; "policy" is still named by "forever"
    assert report.blobs_deleted == 1
    assert report.bytes_freed > 300 * 1024
    with UnitOfWork(clean_db, read_only=True) as uow:
        with pytest.raises(NotFoundError):
            service.get(uow, scene.tenant_id, old.id)
        assert service.storage_stats(uow, scene.tenant_id).parts == before.parts - 1
    assert read_state(clean_db, service, scene, keep_forever.id) == {"own": 1, **shared}
    assert not list(service.blobs.list(scene.tenant_id.hex))


def test_sweep_keeps_what_recovery_needs(
    clean_db: Database, retaining: CheckpointService, scene: Scene
) -> None:
    rows = [create(clean_db, retaining, scene, f"step_{i}", {"i": i}) for i in range(4)]
    with clean_db.session() as session:
        session.execute(
            update(Execution)
            .where(Execution.id == scene.execution_id)
            .values(last_successful_checkpoint="step_1")
        )
        session.add(
            Rollback(
                execution_id=scene.execution_id,
                to_checkpoint_id=rows[2].id,
                trigger_reason="hallucination",
                status="in_progress",
            )
        )
        session.commit()

    report = _sweeper(clean_db, retaining).run(now=rows[0].created_at + LATER)

    assert report.expired_checkpoints_deleted == 2
    assert report.expired_checkpoints_kept == 2
    with UnitOfWork(clean_db, read_only=True) as uow:
        left = retaining.list_for_execution(uow, scene.tenant_id, scene.execution_id)
        assert [r.checkpoint_name for r in left] == ["step_1", "step_2"]
    assert read_state(clean_db, retaining, scene, rows[1].id) == {"i": 1}
    assert read_state(clean_db, retaining, scene, rows[2].id) == {"i": 2}


def test_nothing_expires_before_its_time(
    clean_db: Database, retaining: CheckpointService, scene: Scene
) -> None:
    row = create(clean_db, retaining, scene, "young", {"i": 1})
    report = _sweeper(clean_db, retaining).run(now=row.created_at + timedelta(days=6))
    assert report.expired_checkpoints_deleted == 0
    assert report.parts_deleted == 0
    assert read_state(clean_db, retaining, scene, row.id) == {"i": 1}


def test_an_upload_that_never_committed_is_collected_after_the_grace_period(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    with UnitOfWork(clean_db) as uow:
        created = service.write(
            uow, scene.tenant_id, scene.execution_id, "crash", {"big": random_text(400 * 1024)}
        )
        assert created.storage.external_keys
        # No commit: the process "crashes" after the upload.
    [orphan] = [info.key for info in service.blobs.list(scene.tenant_id.hex)]
    with UnitOfWork(clean_db, read_only=True) as uow:
        assert service.count_for_execution(uow, scene.tenant_id, scene.execution_id) == 0

    sweeper = _sweeper(clean_db, service)
    assert sweeper.run().orphan_blobs_deleted == 0  # still within the grace period
    assert [i.key for i in service.blobs.list(scene.tenant_id.hex)] == [orphan]
    assert sweeper.run(now=created.checkpoint.created_at + LATER).orphan_blobs_deleted == 1
    assert not list(service.blobs.list(scene.tenant_id.hex))


def test_a_tenant_sweep_leaves_other_tenants_alone(
    clean_db: Database, retaining: CheckpointService, scene: Scene
) -> None:
    with clean_db.session() as session:
        other = make_scene(session)
        session.commit()
    mine = create(clean_db, retaining, scene, "a", {"x": "mine"})
    theirs = create(clean_db, retaining, other, "a", {"x": "theirs"})
    report = _sweeper(clean_db, retaining).run(
        tenant_id=scene.tenant_id, now=mine.created_at + LATER
    )
    assert report.expired_checkpoints_deleted == 1
    assert read_state(clean_db, retaining, other, theirs.id) == {"x": "theirs"}
    with clean_db.session() as session:
        assert session.query(CheckpointBlob).filter_by(tenant_id=other.tenant_id).count() == 1
        assert session.get(Tenant, scene.tenant_id) is not None
