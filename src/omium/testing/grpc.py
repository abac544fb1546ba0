"""Run a gRPC server on a real socket in a background thread, for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from omium.rpc.server import BackgroundGrpc, GrpcServer


@contextmanager
def serve_grpc(build: Callable[[], GrpcServer], *, timeout: float = 10.0) -> Iterator[str]:
    """Start the server ``build`` makes (port 0 = a free one); yields ``127.0.0.1:<port>``."""
    background = BackgroundGrpc(build, grace=1.0)
    port = background.start(timeout)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        background.stop(timeout)
