"""Dependencies of the routes: the runtime, the caller, permissions and rate limits.

``require("execution:create")`` authenticates the caller (JWT or API key), checks the
permission (403 AUTH_INSUFFICIENT_PERMISSIONS), counts the request against the caller's rate
limit for the route (429) and gives the route a :class:`RequestContext`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from omium.api.errors import request_id_of
from omium.api.ratelimit import RateLimiter
from omium.bootstrap import Runtime
from omium.errors import RateLimitError
from omium.services.auth import AuthKit, Principal
from omium.services.auth.authenticator import Authenticator
from omium.services.context import RequestContext

#: The pseudo-permission of routes any authenticated caller may use.
AUTHENTICATED = "authenticated"
#: The pseudo-permission of routes open to anyone (register, login, JWKS, health).
PUBLIC = "public"


# The dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in the thread
# pool, one hop per dependency per request. Only a credential not in the cache (a database
# read) goes to a thread here; the Redis rate limiter is asynchronous.


async def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def kit_of(request: Request) -> AuthKit:
    kit: AuthKit = request.app.state.auth
    return kit


def anonymous_context(request: Request) -> RequestContext:
    return RequestContext(
        principal=None,
        request_id=request_id_of(request),
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def _principal(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    authenticator: Authenticator = request.app.state.auth.authenticator
    header = request.headers.get("authorization")
    principal = authenticator.cached(header)
    if principal is None:
        principal = await run_in_threadpool(authenticator.authenticate_header, header)
    request.state.principal = principal
    return principal


async def _limit(request: Request, response: Response, subject: str) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    limit = request.app.state.runtime.settings.rate_limit_per_minute
    key = f"{subject}:{request.method}:{path}"
    decision = await limiter.hit(key, limit)
    headers = decision.headers()
    if not decision.allowed:
        error = RateLimitError(
            "Rate limit exceeded for this route",
            retry_after=decision.reset_after,
            details={"limit": limit, "window_seconds": 60},
        )
        error.headers = headers  # type: ignore[attr-defined]
        raise error
    response.headers.update(headers)


def require(permission: str) -> Callable[[Request, Response], Awaitable[RequestContext]]:
    """A dependency: the caller must hold ``permission`` (or only be authenticated)."""

    async def dependency(request: Request, response: Response) -> RequestContext:
        principal = await _principal(request)
        if permission != AUTHENTICATED:
            principal.require(permission)
        await _limit(request, response, principal.subject)
        return anonymous_context(request).with_principal(principal)

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


async def public(request: Request, response: Response) -> RequestContext:
    """A dependency of open routes: rate limited per client address."""
    ctx = anonymous_context(request)
    await _limit(request, response, f"ip:{ctx.ip_address}")
    return ctx


public.permission = PUBLIC  # type: ignore[attr-defined]

KitDep = Annotated[AuthKit, Depends(kit_of)]
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
PublicCtx = Annotated[RequestContext, Depends(public)]
AuthenticatedCtx = Annotated[RequestContext, Depends(require(AUTHENTICATED))]


async def _limit_param(limit: Annotated[int, Query(ge=1, le=200)] = 50) -> int:
    return limit


async def _offset_param(offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> int:
    return offset


Limit = Annotated[int, Depends(_limit_param)]
Offset = Annotated[int, Depends(_offset_param)]
