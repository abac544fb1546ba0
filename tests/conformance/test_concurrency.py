"""Concurrent writers to one execution: every checkpoint lands, indexes never collide."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from typing import Any

from omium.services.checkpoints import CheckpointService
from omium.store.blobs import BlobStore, FileBlobStore
from omium.store.blobs.s3 import S3BlobStore
from omium.store.db import Database
from omium.store.models import Execution
from omium.store.uow import UnitOfWork
from omium.types import CompressionType
from tests.conformance.conftest import Scene

WRITERS = 4
PER_WRITER = 8


def _shared_state(writer: int, step: int) -> dict[str, Any]:
    # A key every writer shares (the same part written concurrently), and their own keys.
    return {"shared": {"policy": "same for all"}, "writer": writer, "step": step}


def _write_many(
    db: Database, service: CheckpointService, scene: tuple[str, str], writer: int
) -> None:
    tenant_id, execution_id = uuid.UUID(scene[0]), uuid.UUID(scene[1])
    for step in range(PER_WRITER):
        with UnitOfWork(db) as uow:
            service.create(
                uow, tenant_id, execution_id, f"w{writer}_s{step}", _shared_state(writer, step)
            )
            uow.commit()


def _check(db: Database, service: CheckpointService, scene: Scene) -> None:
    with UnitOfWork(db, read_only=True) as uow:
        rows = service.list_for_execution(uow, scene.tenant_id, scene.execution_id)
        assert sorted(r.checkpoint_index for r in rows) == list(range(WRITERS * PER_WRITER))
        assert len({r.checkpoint_name for r in rows}) == WRITERS * PER_WRITER
        for row in rows:
            writer, step = (int(x[1:]) for x in row.checkpoint_name.split("_"))
            assert service.get_state(uow, scene.tenant_id, row.id) == _shared_state(writer, step)
        execution = uow.session.get(Execution, scene.execution_id)
        assert execution is not None and execution.checkpoint_count == WRITERS * PER_WRITER
        # The shared key is one part however many writers stored it at the same time (and
        # the small integers of "writer" and "step" are parts shared between those keys).
        distinct_ints = set(range(WRITERS)) | set(range(PER_WRITER))
        assert service.storage_stats(uow, scene.tenant_id).parts == 1 + len(distinct_ints)


def test_threads_writing_one_execution(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        try:
            _write_many(clean_db, service, (str(scene.tenant_id), str(scene.execution_id)), writer)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _check(clean_db, service, scene)


def open_store(spec: dict[str, Any]) -> BlobStore:
    """The blob store described by :func:`store_spec`, opened in another process."""
    if spec["kind"] == "s3":
        return S3BlobStore(
            spec["bucket"],
            spec["prefix"],
            endpoint_url=spec["endpoint"],
            access_key_id="testing",
            secret_access_key="testing",
        )
    return FileBlobStore.from_uri(spec["uri"])


def store_spec(service: CheckpointService) -> dict[str, Any]:
    blobs = service.blobs
    if isinstance(blobs, S3BlobStore):
        endpoint = blobs._client.meta.endpoint_url
        return {"kind": "s3", "bucket": blobs.bucket, "prefix": blobs.prefix, "endpoint": endpoint}
    assert isinstance(blobs, FileBlobStore)
    return {"kind": "file", "uri": blobs.root.as_uri()}


def _process_writer(url: str, spec: dict[str, Any], scene: tuple[str, str], writer: int) -> None:
    db = Database(url)
    try:
        service = CheckpointService(open_store(spec), compression=CompressionType.ZSTD)
        _write_many(db, service, scene, writer)
    finally:
        db.dispose()


def test_processes_writing_one_execution(
    clean_db: Database, service: CheckpointService, scene: Scene
) -> None:
    spec = store_spec(service)
    url = clean_db.engine.url.render_as_string(hide_password=False)
    ids = (str(scene.tenant_id), str(scene.execution_id))
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_process_writer, args=(url, spec, ids, w)) for w in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=90)
    assert [p.exitcode for p in processes] == [0] * WRITERS
    _check(clean_db, service, scene)
