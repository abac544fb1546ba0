"""The context a service call runs in: who asks, and the request it came with (for audit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from omium.services.auth.principal import Principal


@dataclass(frozen=True)
class RequestContext:
    """The caller and where the call came from; built by each edge (REST, gRPC, CLI)."""

    principal: Principal | None
    request_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None

    @property
    def tenant_id(self) -> uuid.UUID:
        if self.principal is None:
            raise RuntimeError("this call needs an authenticated principal")
        return self.principal.tenant_id

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.principal.user_id if self.principal else None

    def with_principal(self, principal: Principal) -> RequestContext:
        return RequestContext(principal, self.request_id, self.ip_address, self.user_agent)
