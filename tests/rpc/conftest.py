"""A real gRPC server per test (grpcio asyncio on a socket) over the suite's database."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from omium.config import Settings
from omium.engine import Engine, build_engine
from omium.rpc.generated import consensus_pb2_grpc, execution_pb2_grpc
from omium.rpc.server import GrpcServer, build_services
from omium.schemas.access import ApiKeyCreate
from omium.schemas.auth import RegisterRequest
from omium.schemas.workflows import WorkflowCreate
from omium.services.api_keys import create_api_key
from omium.services.auth import AuthKit
from omium.services.auth.accounts import register
from omium.services.context import RequestContext
from omium.services.workflows import WorkflowService
from omium.store.db import Database
from omium.testing.grpc import serve_grpc
from tests.engine import agents as engine_agents

PASSWORD = "Correct-horse-42"


@dataclass
class Caller:
    """A registered owner of a fresh tenant and the credentials a gRPC call carries."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


@dataclass
class Rpc:
    target: str
    channel: grpc.Channel
    kit: AuthKit
    engine: Engine
    db: Database

    @property
    def consensus(self) -> consensus_pb2_grpc.ConsensusServiceStub:
        return consensus_pb2_grpc.ConsensusServiceStub(self.channel)

    @property
    def executions(self) -> execution_pb2_grpc.ExecutionServiceStub:
        return execution_pb2_grpc.ExecutionServiceStub(self.channel)

    def register(self) -> Caller:
        body = RegisterRequest(
            email=f"owner-{uuid.uuid4().hex[:10]}@example.com",
            password=PASSWORD,
            tenant_name="Acme Corp",
        )
        registered = register(self.kit, RequestContext(None), body)
        return Caller(registered.tenant.id, registered.user.id, registered.access_token)

    def api_key(self, owner: Caller, permissions: list[str]) -> Caller:
        principal = self.kit.authenticator.authenticate(owner.token)
        created = create_api_key(
            self.db,
            RequestContext(principal),
            ApiKeyCreate(name="limited", permissions=permissions),
        )
        return Caller(owner.tenant_id, owner.user_id, created.key)

    def workflow(self, caller: Caller, definition: dict[str, Any]) -> uuid.UUID:
        created = WorkflowService(self.db).create(
            caller.tenant_id,
            WorkflowCreate(name="wf", definition=definition),
            created_by=caller.user_id,
        )
        return created.id


@pytest.fixture
def rpc(db: Database, tmp_path: Path) -> Iterator[Rpc]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db.url,
        blob_url=(tmp_path / "blobs").as_uri(),
        worker_lease_seconds=5,
    )
    kit = AuthKit(db, settings)
    kit.start()
    engine = build_engine(settings, db)
    services = build_services(db, kit.authenticator, engine)
    engine_agents.calls.clear()
    engine_agents.gate.clear()
    with serve_grpc(lambda: GrpcServer(services)) as target:
        channel = grpc.insecure_channel(target)
        try:
            yield Rpc(target, channel, kit, engine, db)
        finally:
            engine_agents.gate.set()
            channel.close()
            engine.close()


@pytest.fixture
def worker(rpc: Rpc) -> Iterator[None]:
    """A worker running executions in the background for the test's duration."""
    the_worker = rpc.engine.worker(poll_seconds=0.05)
    thread = threading.Thread(target=lambda: asyncio.run(the_worker.run()), daemon=True)
    thread.start()
    try:
        yield
    finally:
        engine_agents.gate.set()
        the_worker.request_stop()
        thread.join(30)
