"""The gRPC server (grpcio asyncio): Omium's services, the standard health service, reflection."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from omium.rpc.calls import Authenticator
from omium.rpc.consensus import ConsensusServicer
from omium.rpc.generated import consensus_pb2, consensus_pb2_grpc
from omium.services.consensus import ConsensusService
from omium.store.db import Database

log = logging.getLogger(__name__)

CONSENSUS_SERVICE = consensus_pb2.DESCRIPTOR.services_by_name["ConsensusService"].full_name


class GrpcServer:
    """One asyncio gRPC server; ``await start()``, then ``await stop()``.

    The health service answers SERVING for "" and for every Omium service while the server
    runs, and NOT_SERVING once it begins to stop.
    """

    def __init__(
        self,
        db: Database,
        authenticator: Authenticator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.address = f"{host}:{port}"
        self.port: int | None = None
        self._server = grpc.aio.server()
        self._health = health.aio.HealthServicer()
        self._services: list[str] = []
        self._add(
            CONSENSUS_SERVICE,
            consensus_pb2_grpc.add_ConsensusServiceServicer_to_server,
            ConsensusServicer(authenticator, ConsensusService(db)),
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            [*self._services, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )

    @property
    def services(self) -> Sequence[str]:
        """The full names of the Omium services this server implements."""
        return tuple(self._services)

    def _add(self, name: str, register: Any, servicer: Any) -> None:
        register(servicer, self._server)
        self._services.append(name)

    async def start(self) -> int:
        """Bind and start serving; returns the bound port (useful with port 0)."""
        self.port = self._server.add_insecure_port(self.address)
        if not self.port:
            raise OSError(f"cannot bind the gRPC server to {self.address}")
        await self._server.start()
        for name in ("", *self._services):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC server on port %s: %s", self.port, ", ".join(self._services))
        return self.port

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()

    async def stop(self, grace: float | None = 5.0) -> None:
        """Report NOT_SERVING, let running calls finish for ``grace`` seconds, then stop."""
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
