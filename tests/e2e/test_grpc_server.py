"""`omium grpc` alone and `omium server` (REST + gRPC + worker) as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from omium.rpc.generated import consensus_pb2, consensus_pb2_grpc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    env.update(OMIUM_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def _serving(target: str, deadline: float) -> bool:
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                return answer.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.RpcError:
                time.sleep(0.1)
    return False


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "omium", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture
def grpc_alone(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    proc = _start(["grpc", "--port", str(port)], _env(tmp_path))
    target = f"127.0.0.1:{port}"
    try:
        if not _serving(target, time.monotonic() + 90):
            proc.kill()
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"omium grpc did not serve:\n{out}")
        yield target, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_omium_grpc_serves_health_and_refuses_anonymous_calls(
    grpc_alone: tuple[str, subprocess.Popen[bytes]],
) -> None:
    target, proc = grpc_alone
    with grpc.insecure_channel(target) as channel:
        stub = consensus_pb2_grpc.ConsensusServiceStub(channel)
        with pytest.raises(grpc.RpcError) as anonymous:
            stub.GetConsensusStatus(
                consensus_pb2.GetConsensusStatusRequest(execution_id="0" * 32), timeout=5
            )
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _stop(proc) == 0


def test_omium_server_serves_rest_and_grpc(tmp_path: Path) -> None:
    api_port, grpc_port = _free_port(), _free_port()
    proc = _start(
        ["server", "--port", str(api_port), "--grpc-port", str(grpc_port)], _env(tmp_path)
    )
    try:
        assert _serving(f"127.0.0.1:{grpc_port}", time.monotonic() + 90)
        assert httpx.get(f"http://127.0.0.1:{api_port}/health", timeout=5).status_code == 200
    finally:
        if proc.poll() is None:
            _stop(proc)
