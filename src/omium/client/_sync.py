"""``omium.Client``: the REST API from synchronous Python."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from omium.client import _calls as api
from omium.client._base import DEFAULT_TIMEOUT, BaseClient, TokenCallback
from omium.client._calls import Call, Id
from omium.client._errors import error_from_response, unreachable
from omium.client._sse import Event, iter_sse
from omium.schemas.access import ApiKey, ApiKeyCreated, ApiKeyList
from omium.schemas.auth import LoginResponse, Me, RefreshResponse, RegisterResponse
from omium.schemas.executions import Execution
from omium.schemas.resources import (
    Checkpoint,
    CheckpointPage,
    ExecutionAnalytics,
    ExecutionEnvelope,
    ExecutionPage,
    FailurePage,
    RecoveryResponse,
    RollbackResponse,
    WorkflowPage,
)
from omium.schemas.workflows import Workflow
from omium.types import RecoveryActionType, TriggerType

T = TypeVar("T")


class Client(BaseClient):
    """A synchronous client of an Omium server.

    ::

        with Client("http://127.0.0.1:8000", api_key="om_...") as client:
            execution = client.start_execution(workflow_id, {"customer_data": {...}})
            for event in client.iter_events(execution.id):
                print(event.event_type, event.data)

    Every method raises :class:`omium.client.ApiError` (a subclass matching the error, e.g.
    ``ApiNotFoundError``, which is also an :class:`omium.errors.NotFoundError`) when the server
    answers with an error, carrying its LLD code, status and request id.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        on_tokens: TokenCallback | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            api_key=api_key,
            access_token=access_token,
            refresh_token=refresh_token,
            on_tokens=on_tokens,
        )
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: Call[T]) -> T:
        response = self._request(call)
        if self._should_refresh(call, response):
            self._refresh()
            response = self._request(call)
        return self._parse(call, response)

    def _request(self, call: Call[Any]) -> httpx.Response:
        try:
            return self._http.request(
                call.method,
                call.path,
                json=call.json,
                params=call.params or None,
                headers=self._headers(call),
            )
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc) from exc

    def _refresh(self) -> None:
        token = self.credentials.refresh_token
        assert token is not None
        self._store_tokens(self._send(api.refresh(token)))

    # -- auth -----------------------------------------------------------------------------

    def register(
        self,
        email: str,
        password: str,
        tenant_name: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> RegisterResponse:
        """Create a tenant and its owner; the client then uses the new tokens."""
        tokens = self._send(api.register(email, password, tenant_name, first_name, last_name))
        self._store_tokens(tokens)
        return tokens

    def login(self, email: str, password: str, *, mfa_code: str | None = None) -> LoginResponse:
        """Log in; the client then uses (and refreshes) the returned tokens."""
        tokens = self._send(api.login(email, password, mfa_code))
        self._store_tokens(tokens)
        return tokens

    def refresh_tokens(self) -> RefreshResponse:
        """Trade the refresh token for a new pair now (done by itself on expiry)."""
        token = self.credentials.refresh_token
        if token is None:
            raise ValueError("no refresh token: log in first")
        tokens = self._send(api.refresh(token))
        self._store_tokens(tokens)
        return tokens

    def me(self) -> Me:
        """Who the credentials belong to: user, tenant, roles and permissions."""
        return self._send(api.me())

    def logout(self) -> None:
        """Revoke the refresh token (when logged in) and forget the tokens."""
        if self.credentials.refresh_token:
            self._send(api.logout(self.credentials.refresh_token))
        self.credentials.access_token = self.credentials.refresh_token = None

    # -- executions -----------------------------------------------------------------------

    def start_execution(
        self,
        workflow_id: Id,
        input_params: dict[str, Any] | None = None,
        *,
        trigger_type: TriggerType | str = TriggerType.API,
        metadata: dict[str, Any] | None = None,
    ) -> Execution:
        """Start an execution of a published workflow (``status`` is ``pending``)."""
        return self._send(api.start_execution(workflow_id, input_params, trigger_type, metadata))

    def list_executions(
        self,
        *,
        status: str | None = None,
        workflow_id: Id | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> ExecutionPage:
        return self._send(api.list_executions(status, workflow_id, limit, offset))

    def get_execution(self, execution_id: Id) -> Execution:
        return self._send(api.get_execution(execution_id))

    def pause_execution(self, execution_id: Id) -> ExecutionEnvelope:
        return self._send(api.pause_execution(execution_id))

    def resume_execution(
        self, execution_id: Id, *, checkpoint_name: str | None = None
    ) -> ExecutionEnvelope:
        """Resume a paused or rolled-back execution, optionally from a named checkpoint."""
        return self._send(api.resume_execution(execution_id, checkpoint_name))

    def cancel_execution(self, execution_id: Id) -> ExecutionEnvelope:
        return self._send(api.cancel_execution(execution_id))

    def list_checkpoints(
        self,
        execution_id: Id,
        *,
        include_superseded: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> CheckpointPage:
        """The checkpoints of an execution in order (with ``include_superseded``, also the
        ones a rollback went back past, which are kept)."""
        return self._send(api.list_checkpoints(execution_id, include_superseded, limit, offset))

    def iter_events(
        self, execution_id: Id, *, last_event_id: str | None = None, follow: bool = True
    ) -> Iterator[Event]:
        """An execution's events (Server-Sent Events), live until the execution ends; with
        ``follow=False`` only those recorded so far. Resume after ``last_event_id``."""
        call: Call[None] = Call("GET", api.events_path(execution_id), lambda _: None)
        headers = {**self._headers(call), "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        try:
            params = {"follow": "true" if follow else "false"}
            stream = self._http.stream(
                "GET", call.path, headers=headers, params=params, timeout=None
            )
            with stream as response:
                if response.is_error:
                    response.read()
                    raise error_from_response(response)
                yield from iter_sse(response.iter_lines())
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc) from exc

    # -- checkpoints ----------------------------------------------------------------------

    def get_checkpoint(self, checkpoint_id: Id) -> Checkpoint:
        return self._send(api.get_checkpoint(checkpoint_id))

    def create_checkpoint(
        self,
        execution_id: Id,
        checkpoint_name: str,
        state: dict[str, Any],
        *,
        agent_id: Id | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Checkpoint:
        return self._send(
            api.create_checkpoint(execution_id, checkpoint_name, state, agent_id, metadata)
        )

    def rollback(
        self,
        checkpoint_id: Id,
        *,
        reason: str | None = None,
    ) -> RollbackResponse:
        """Restore a checkpoint's state; the execution is ``rolled_back`` until resumed."""
        return self._send(api.rollback(checkpoint_id, reason))

    # -- failures -------------------------------------------------------------------------

    def list_failures(
        self,
        *,
        execution_id: Id | None = None,
        severity: str | None = None,
        status: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> FailurePage:
        return self._send(api.list_failures(execution_id, severity, status, limit, offset))

    def recover_failure(
        self,
        failure_id: Id,
        action_type: RecoveryActionType | str,
        action_config: dict[str, Any] | None = None,
    ) -> RecoveryResponse:
        return self._send(api.recover_failure(failure_id, action_type, action_config))

    # -- analytics ------------------------------------------------------------------------

    def execution_analytics(
        self,
        *,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        group_by: str | None = "day",
    ) -> ExecutionAnalytics:
        return self._send(api.execution_analytics(start_date, end_date, group_by))

    # -- workflows ------------------------------------------------------------------------

    def create_workflow(
        self, name: str, definition: dict[str, Any], *, description: str | None = None
    ) -> Workflow:
        return self._send(api.create_workflow(name, definition, description))

    def publish_version(self, workflow_id: Id, definition: dict[str, Any]) -> Workflow:
        """Store a new version of the definition (running executions keep theirs)."""
        return self._send(api.publish_version(workflow_id, definition))

    def list_workflows(
        self, *, status: str | None = None, limit: int = 20, offset: int = 0
    ) -> WorkflowPage:
        return self._send(api.list_workflows(status, limit, offset))

    def get_workflow(self, workflow_id: Id) -> Workflow:
        return self._send(api.get_workflow(workflow_id))

    def publish_workflow(self, workflow_id: Id) -> Workflow:
        return self._send(api.publish_workflow(workflow_id))

    def archive_workflow(self, workflow_id: Id) -> Workflow:
        return self._send(api.archive_workflow(workflow_id))

    # -- API keys -------------------------------------------------------------------------

    def create_api_key(
        self,
        name: str,
        *,
        permissions: list[str] | None = None,
        expires_at: datetime | None = None,
    ) -> ApiKeyCreated:
        """Create an API key; its secret (``.key``) is in this answer only.

        ``permissions`` must be a subset of yours; default: all of yours.
        """
        return self._send(api.create_api_key(name, permissions, expires_at))

    def list_api_keys(self, *, limit: int = 50, offset: int = 0) -> ApiKeyList:
        """Your API keys (every key of the tenant with ``user:update``); never the secrets."""
        return self._send(api.list_api_keys(limit, offset))

    def get_api_key(self, key_id: Id) -> ApiKey:
        return self._send(api.get_api_key(key_id))

    def revoke_api_key(self, key_id: Id) -> None:
        self._send(api.revoke_api_key(key_id))
