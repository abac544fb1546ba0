"""What every RPC does around its handler: authenticate, authorize, map errors.

A call carries ``authorization: Bearer <jwt or api key>`` metadata. The token is checked by
the same authenticator as REST, the principal must hold the method's permission string, and
the handler runs with the principal's tenant. Any error leaves through :func:`abort` with the
LLD code; an unexpected one is logged and reported as INTERNAL without its trace.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

import grpc.aio
import pydantic

from omium.errors import AuthError, ErrorCode, OmiumError, ValidationError
from omium.rpc.errors import abort

log = logging.getLogger(__name__)

Req = TypeVar("Req")
Resp = TypeVar("Resp")
S = TypeVar("S", bound="Servicer")
Context = grpc.aio.ServicerContext[Any, Any]


class Principal(Protocol):
    """Who is calling: the tenant every query is scoped to, and what they may do."""

    @property
    def tenant_id(self) -> uuid.UUID: ...

    @property
    def user_id(self) -> uuid.UUID | None: ...

    def require(self, permission: str) -> None:
        """Raise PermissionDeniedError unless the principal holds ``permission``."""


class Authenticator(Protocol):
    def authenticate(self, token: str) -> Principal:
        """The principal of a JWT or API key; AuthError when it is not valid."""


def bearer_token(context: Context) -> str:
    """The token of the call's ``authorization: Bearer ...`` metadata."""
    for key, value in context.invocation_metadata() or ():
        if key.lower() == "authorization":
            text = value.decode() if isinstance(value, bytes) else value
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            break
    raise AuthError("Missing or malformed authorization metadata: use 'Bearer <token>'")


class Servicer:
    """Base of the servicers: holds the authenticator every call goes through."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    async def principal(self, context: Context, permission: str) -> Principal:
        token = bearer_token(context)
        principal = await asyncio.to_thread(self.authenticator.authenticate, token)
        principal.require(permission)
        return principal


def _as_omium_error(exc: Exception) -> OmiumError:
    if isinstance(exc, OmiumError):
        return exc
    if isinstance(exc, pydantic.ValidationError):
        return ValidationError(
            "Invalid request",
            code=ErrorCode.INVALID_INPUT,
            details={
                "errors": [
                    {"field": ".".join(map(str, error["loc"])), "message": error["msg"]}
                    for error in exc.errors()
                ]
            },
        )
    log.exception("unhandled error in an RPC")
    return OmiumError("Internal server error", code=ErrorCode.INTERNAL_ERROR)


def unary(
    permission: str,
) -> Callable[
    [Callable[[S, Req, Principal], Awaitable[Resp]]],
    Callable[[S, Req, Context], Awaitable[Resp]],
]:
    """Make ``handler(self, request, principal)`` an RPC method requiring ``permission``."""

    def decorate(
        handler: Callable[[S, Req, Principal], Awaitable[Resp]],
    ) -> Callable[[S, Req, Context], Awaitable[Resp]]:
        @functools.wraps(handler)
        async def method(self: S, request: Req, context: Context) -> Resp:
            try:
                principal = await self.principal(context, permission)
                return await handler(self, request, principal)
            except Exception as exc:  # every error leaves through the one mapper
                await abort(context, _as_omium_error(exc))

        return method

    return decorate


def server_stream(
    permission: str,
) -> Callable[
    [Callable[[S, Req, Principal], AsyncIterator[Resp]]],
    Callable[[S, Req, Context], AsyncIterator[Resp]],
]:
    """Like :func:`unary` for a handler that yields a stream of responses."""

    def decorate(
        handler: Callable[[S, Req, Principal], AsyncIterator[Resp]],
    ) -> Callable[[S, Req, Context], AsyncIterator[Resp]]:
        @functools.wraps(handler)
        async def method(self: S, request: Req, context: Context) -> AsyncIterator[Resp]:
            try:
                principal = await self.principal(context, permission)
                async for response in handler(self, request, principal):
                    yield response
            except Exception as exc:
                await abort(context, _as_omium_error(exc))

        return method

    return decorate
