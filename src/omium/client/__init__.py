"""The Python client of the Omium REST API: :class:`Client` (sync) and :class:`AsyncClient`.

It speaks HTTP only (httpx) and shares its request and response shapes with the server
(:mod:`omium.schemas`); it imports neither FastAPI nor SQLAlchemy, so it is light to install
in an application that only drives a remote Omium.
"""

from omium.client._async import AsyncClient
from omium.client._base import DEFAULT_SERVER, Credentials
from omium.client._errors import (
    ApiAuthError,
    ApiConflictError,
    ApiError,
    ApiNotFoundError,
    ApiPermissionDeniedError,
    ApiQuotaExceededError,
    ApiRateLimitError,
    ApiTokenExpiredError,
    ApiUnavailableError,
    ApiValidationError,
)
from omium.client._sse import Event
from omium.client._sync import Client

__all__ = [
    "DEFAULT_SERVER",
    "ApiAuthError",
    "ApiConflictError",
    "ApiError",
    "ApiNotFoundError",
    "ApiPermissionDeniedError",
    "ApiQuotaExceededError",
    "ApiRateLimitError",
    "ApiTokenExpiredError",
    "ApiUnavailableError",
    "ApiValidationError",
    "AsyncClient",
    "Client",
    "Credentials",
    "Event",
]
