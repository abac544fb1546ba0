"""A real Omium API server per test, and an owner registered through the client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from omium.api.app import create_app
from omium.bootstrap import Runtime
from omium.client import Client
from omium.store.db import Database
from omium.testing.http import serve
from tests.api.conftest import make_limiter, make_settings

PASSWORD = "Correct-horse-42"


@pytest.fixture
def server(db: Database, tmp_path: Path) -> Iterator[str]:
    runtime = Runtime(settings=make_settings(db, tmp_path), db=db)
    with serve(create_app(runtime, rate_limiter=make_limiter())) as base_url:
        yield base_url


@dataclass
class Owner:
    email: str
    client: Client


@pytest.fixture
def owner(server: str) -> Iterator[Owner]:
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    client = Client(server, api_key="")
    client.register(email, PASSWORD, "Acme Corp", first_name="Ada", last_name="Lovelace")
    try:
        yield Owner(email, client)
    finally:
        client.close()


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the CLI keeps its session during the test (never the real user's)."""
    path = tmp_path / "config"
    monkeypatch.setenv("OMIUM_CONFIG_DIR", str(path))
    monkeypatch.delenv("OMIUM_API_KEY", raising=False)
    monkeypatch.delenv("OMIUM_SERVER", raising=False)
    return path


@pytest.fixture
def drain(db: Database, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Run a worker (its own engine, the same database) until nothing is left to run."""
    from omium.engine import build_engine

    engine = build_engine(make_settings(db, tmp_path), db)

    def run() -> None:
        asyncio.run(engine.worker(poll_seconds=0.05).run(until_idle=True))

    yield run
    engine.close()
