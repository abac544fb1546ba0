"""The FastAPI application factory."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from omium import __version__
from omium.api import health
from omium.api.errors import install_error_handlers
from omium.bootstrap import Runtime

REQUEST_ID_HEADER = "X-Request-ID"


def create_app(runtime: Runtime) -> FastAPI:
    """The REST API of one process, serving ``runtime``'s database."""
    app = FastAPI(
        title="Omium",
        version=__version__,
        description="Fault-tolerant runtime and control plane for multi-agent LLM workflows.",
    )
    app.state.runtime = runtime

    @app.middleware("http")
    async def _request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request.state.request_id = given[:128] if given else f"req_{uuid.uuid4().hex}"
        response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = request.state.request_id
        return response

    install_error_handlers(app)
    app.include_router(health.router)
    return app
