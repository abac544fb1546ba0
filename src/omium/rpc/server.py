"""The gRPC server (grpcio asyncio): Omium's services, the standard health service, reflection."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from omium.engine import Engine
from omium.rpc.calls import Authenticator
from omium.rpc.consensus import ConsensusServicer
from omium.rpc.execution import ExecutionServicer
from omium.rpc.generated import (
    consensus_pb2,
    consensus_pb2_grpc,
    execution_pb2,
    execution_pb2_grpc,
)
from omium.services.consensus import ConsensusService
from omium.services.execution_events import ExecutionEventFeed
from omium.services.executions import ExecutionService
from omium.store.db import Database

log = logging.getLogger(__name__)

CONSENSUS_SERVICE = consensus_pb2.DESCRIPTOR.services_by_name["ConsensusService"].full_name
EXECUTION_SERVICE = execution_pb2.DESCRIPTOR.services_by_name["ExecutionService"].full_name


@dataclass
class GrpcServices:
    """What the servicers call: the same services the REST API calls."""

    authenticator: Authenticator
    consensus: ConsensusService
    executions: ExecutionService
    events: ExecutionEventFeed


class GrpcServer:
    """One asyncio gRPC server; ``await start()``, then ``await stop()``.

    The health service answers SERVING for "" and for every Omium service while the server
    runs, and NOT_SERVING once it begins to stop. Reflection lists every service.
    """

    def __init__(self, services: GrpcServices, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.address = f"{host}:{port}"
        self.port: int | None = None
        self._server = grpc.aio.server()
        self._health = health.aio.HealthServicer()
        self._services: list[str] = []
        auth = services.authenticator
        self._add(
            CONSENSUS_SERVICE,
            consensus_pb2_grpc.add_ConsensusServiceServicer_to_server,
            ConsensusServicer(auth, services.consensus),
        )
        self._add(
            EXECUTION_SERVICE,
            execution_pb2_grpc.add_ExecutionServiceServicer_to_server,
            ExecutionServicer(auth, services.executions, services.events),
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            [*self._services, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )

    @property
    def services(self) -> Sequence[str]:
        """The full names of the Omium services this server implements."""
        return tuple(self._services)

    def _add(
        self, name: str, register: Callable[[Any, grpc.aio.Server], None], servicer: Any
    ) -> None:
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


def build_services(db: Database, authenticator: Authenticator, engine: Engine) -> GrpcServices:
    """The services of one process, shared with its REST API and worker where it has them."""
    deps = engine.deps
    return GrpcServices(
        authenticator=authenticator,
        consensus=ConsensusService(db),
        executions=ExecutionService(deps.db, deps.checkpoints, deps.bus),
        events=ExecutionEventFeed(db),
    )


class BackgroundGrpc:
    """A gRPC server on its own event loop in a thread (``omium server``, tests).

    ``build`` runs in that thread: grpc.aio objects belong to the loop they are created in.
    """

    def __init__(self, build: Callable[[], GrpcServer], *, grace: float = 5.0) -> None:
        self._build = build
        self._grace = grace
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.port: int | None = None
        self._thread = threading.Thread(target=self._run, name="omium-grpc", daemon=True)

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        try:
            server = self._build()
            self.port = await server.start()
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        await self._stop.wait()
        await server.stop(self._grace)

    def start(self, timeout: float = 10.0) -> int:
        """Start the thread; returns the bound port once the server listens."""
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("the gRPC server did not start in time")
        if self._error is not None or self.port is None:
            raise RuntimeError(f"the gRPC server did not start: {self._error!r}")
        return self.port

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (running calls get the grace period) and join the thread."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
        if not self._loop.is_closed() and not self._thread.is_alive():
            self._loop.close()


async def serve_forever(build: Callable[[], GrpcServer], *, grace: float = 5.0) -> None:
    """Serve until SIGINT or SIGTERM (``omium grpc``)."""
    server = build()
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(grace)
