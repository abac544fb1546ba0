"""The checkpoint store conformance matrix: {SQLite, PostgreSQL} metadata x {file, S3} blobs.

PostgreSQL runs when ``OMIUM_TEST_DATABASE_URL`` is set (a fresh database per session). S3 is
moto's real HTTP server on a free local port, reached through boto3 like any S3 endpoint.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from sqlalchemy.orm import Session

from omium.services.checkpoints import CheckpointService
from omium.store.blobs import BlobStore, FileBlobStore
from omium.store.blobs.s3 import S3BlobStore
from omium.store.db import Database
from omium.store.migrate import upgrade
from omium.store.models import Base, Execution, Tenant, User, Workflow
from omium.types import CompressionType
from tests.conftest import (
    REQUIRE_SERVICES,
    TEST_DATABASE_URL,
    create_postgres_database,
    drop_postgres_database,
)
from tests.factories import make_execution, make_tenant, make_user, make_workflow

S3_BUCKET = "omium-conformance"
S3_KEY = "testing"
S3_SECRET = "testing"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "postgresql":
        if not TEST_DATABASE_URL:
            if REQUIRE_SERVICES:
                pytest.fail("PostgreSQL required but OMIUM_TEST_DATABASE_URL is not set")
            pytest.skip("OMIUM_TEST_DATABASE_URL not set")
        url = create_postgres_database(TEST_DATABASE_URL, prefix="omium_ckpt")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('ckpt') / 'omium.db'}"
    db = Database(url)
    upgrade(db.engine)
    try:
        yield db
    finally:
        db.dispose()
        if request.param == "postgresql":
            drop_postgres_database(url)


@pytest.fixture
def clean_db(store_db: Database) -> Iterator[Database]:
    yield store_db
    with store_db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )
    client.create_bucket(Bucket=S3_BUCKET)
    client.close()
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(params=["file", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    store: BlobStore
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        store = S3BlobStore(
            S3_BUCKET,
            f"run-{uuid.uuid4().hex[:12]}",
            endpoint_url=endpoint,
            access_key_id=S3_KEY,
            secret_access_key=S3_SECRET,
        )
    else:
        store = FileBlobStore(tmp_path / "blobs")
    yield store
    store.close()


@pytest.fixture
def service(blob_store: BlobStore) -> CheckpointService:
    return CheckpointService(blob_store, compression=CompressionType.ZSTD)


@dataclass
class Scene:
    tenant: Tenant
    user: User
    workflow: Workflow
    execution: Execution

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def execution_id(self) -> uuid.UUID:
        return self.execution.id


def make_scene(session: Session, **tenant_values: object) -> Scene:
    tenant = make_tenant(session, **tenant_values)
    user = make_user(session, tenant)
    workflow = make_workflow(session, tenant, user)
    execution = make_execution(session, workflow)
    return Scene(tenant, user, workflow, execution)


@pytest.fixture
def scene(clean_db: Database) -> Scene:
    with clean_db.session() as session:
        made = make_scene(session)
        session.commit()
    return made
