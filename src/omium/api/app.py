"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from omium import __version__
from omium.api import health
from omium.api.errors import install_error_handlers
from omium.api.middleware import REQUEST_ID_HEADER, RequestEnvelopeMiddleware
from omium.api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from omium.api.routes import access, admin, auth, events
from omium.api.routes import engine as engine_routes
from omium.bootstrap import Runtime
from omium.engine import Engine, build_engine
from omium.services.auth import AuthKit
from omium.services.checkpoints import CheckpointService
from omium.services.executions import ExecutionService
from omium.services.metrics_cache import MetricsCache
from omium.services.recovery import RecoveryService
from omium.services.redis_relay import RedisRelay
from omium.services.workflows import WorkflowService

__all__ = ["REQUEST_ID_HEADER", "create_app", "create_app_from_environment"]

log = logging.getLogger(__name__)


def _default_rate_limiter(runtime: Runtime) -> RateLimiter:
    if runtime.settings.redis_url:
        return RedisRateLimiter(runtime.settings.redis_url)
    return MemoryRateLimiter()


def create_app(
    runtime: Runtime,
    *,
    rate_limiter: RateLimiter | None = None,
    redis_relay: RedisRelay | None = None,
    metrics_cache: MetricsCache | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """The REST API of one process, serving ``runtime``'s database."""
    kit = AuthKit(runtime.db, runtime.settings)
    # Sharing the process's engine lets a cancel reach a runner of this process at once
    # (through its event bus) instead of at the runner's next heartbeat.
    owns_engine = engine is None
    built = engine if engine is not None else build_engine(runtime.settings, runtime.db)
    workflows, executions, recovery = built.services()
    services = engine_routes.EngineServices(
        workflows=cast(WorkflowService, workflows),
        executions=cast(ExecutionService, executions),
        recovery=cast(RecoveryService, recovery),
        checkpoints=cast(CheckpointService, built.deps.checkpoints),
    )
    limiter = rate_limiter or _default_rate_limiter(runtime)
    relay = redis_relay
    if relay is None and runtime.settings.redis_url:
        relay = RedisRelay(runtime.db, runtime.settings.redis_url)
    cache = metrics_cache
    if cache is None and runtime.settings.redis_url:
        cache = MetricsCache(runtime.settings.redis_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Keys and secrets exist before the first request: generated on first start. A
        # database not yet migrated is reported by /ready; the keys then load on first use.
        # Sync routes run in anyio's thread pool, each holding at most one pooled database
        # connection at a time: more threads than pooled connections would open and close
        # overflow connections on every burst. Two connections stay for the relay thread.
        threads = max(1, runtime.db.pool_size - 2)
        to_thread.current_default_thread_limiter().total_tokens = threads
        try:
            kit.start()
        except SQLAlchemyError as exc:
            log.warning("auth keys not loaded at start: %s", type(exc).__name__)
        if relay is not None:
            relay.start()
        yield
        if relay is not None:
            relay.stop()
        await limiter.aclose()
        if cache is not None:
            cache.close()
        if owns_engine:
            built.close()

    app = FastAPI(
        title="Omium",
        version=__version__,
        description="Fault-tolerant runtime and control plane for multi-agent LLM workflows.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.auth = kit
    app.state.rate_limiter = limiter
    app.state.metrics_cache = cache
    app.state.engine = built
    app.state.engine_services = services
    app.add_middleware(
        RequestEnvelopeMiddleware, max_body_bytes=runtime.settings.max_request_body_bytes
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(auth.wellknown)
    app.include_router(access.router)
    app.include_router(engine_routes.router)
    app.include_router(events.router)
    app.include_router(admin.router)
    return app


def create_app_from_environment() -> FastAPI:
    """The app of one process of `omium api --workers N`: settings from the environment,
    the database already migrated by the parent."""
    from omium.bootstrap import build_runtime
    from omium.config import load_settings

    return create_app(build_runtime(load_settings(), migrate=False))
