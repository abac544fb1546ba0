"""What the sync and async clients share: credentials, headers, reading answers."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from omium import __version__
from omium.client._calls import Call
from omium.client._errors import ApiTokenExpiredError, error_from_response
from omium.schemas.auth import TokenPair

T = TypeVar("T")

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0


@dataclass
class Credentials:
    """What a client authenticates with: an API key, or a token pair from a login."""

    api_key: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None

    def bearer(self) -> str | None:
        return self.api_key or self.access_token

    def can_refresh(self) -> bool:
        return self.api_key is None and self.refresh_token is not None


TokenCallback = Callable[[TokenPair], None]


class BaseClient:
    """Settings and helpers of both clients; not used on its own."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        on_tokens: TokenCallback | None = None,
    ) -> None:
        """Args:
        base_url: the server, e.g. ``http://127.0.0.1:8000`` (default: ``OMIUM_SERVER`` or
            that address).
        api_key: an API key (default: ``OMIUM_API_KEY``); sent as a Bearer token.
        access_token, refresh_token: a token pair from :meth:`login`; an expired access token
            is refreshed once, transparently.
        on_tokens: called with the new tokens after a login or refresh (to store them).
        """
        url = base_url or os.environ.get("OMIUM_SERVER") or DEFAULT_SERVER
        self.base_url = url.rstrip("/")
        if api_key is None and access_token is None:
            api_key = os.environ.get("OMIUM_API_KEY") or None
        self.credentials = Credentials(api_key, access_token, refresh_token)
        self._on_tokens = on_tokens

    def _headers(self, call: Call[Any]) -> dict[str, str]:
        headers = {"User-Agent": f"omium-client/{__version__}", "Accept": "application/json"}
        bearer = self.credentials.bearer()
        if call.authenticated and bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return headers

    def _should_refresh(self, call: Call[Any], response: httpx.Response) -> bool:
        if not call.authenticated or response.status_code != 401:
            return False
        if not self.credentials.can_refresh():
            return False
        return isinstance(error_from_response(response), ApiTokenExpiredError)

    def _store_tokens(self, tokens: TokenPair) -> None:
        self.credentials.api_key = None
        self.credentials.access_token = tokens.access_token
        self.credentials.refresh_token = tokens.refresh_token
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    @staticmethod
    def _parse(call: Call[T], response: httpx.Response) -> T:
        if response.is_error:
            raise error_from_response(response)
        data = response.json() if response.content else None
        return call.parse(data)
