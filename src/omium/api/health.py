"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from omium import __version__
from omium.api.errors import request_id_of
from omium.bootstrap import Runtime
from omium.errors import ServiceUnavailableError
from omium.store.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="health")
def health() -> dict[str, str]:
    """The process is up. Says nothing of its dependencies (see /ready)."""
    return {"status": "ok", "version": __version__}


@router.get("/ready", operation_id="ready")
def ready(request: Request) -> Any:
    """The process can serve: its database answers at the schema it expects, Redis answers."""
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    failures: dict[str, str] = {}
    try:
        runtime.db.ping()
        revision = current_revision(runtime.db.engine)
        if revision != head_revision():
            failures["database"] = f"schema at {revision}, expected {head_revision()}"
        else:
            checks["database"] = "ok"
    except Exception as exc:
        failures["database"] = type(exc).__name__
    redis_url = runtime.settings.redis_url
    if redis_url:
        import redis

        try:
            client = redis.Redis.from_url(redis_url, socket_timeout=2)
            client.ping()
            client.close()
            checks["redis"] = "ok"
        except redis.RedisError as exc:
            failures["redis"] = type(exc).__name__
    if failures:
        error = ServiceUnavailableError(
            "Service not ready", details={"checks": {**checks, **failures}}
        )
        return JSONResponse(error.to_dict(request_id_of(request)), status_code=503)
    return {"status": "ready", "checks": checks}
