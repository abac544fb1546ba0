"""Who is calling: a user with a token, or an API key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from omium.errors import PermissionDeniedError


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, always inside one tenant."""

    tenant_id: uuid.UUID
    #: The user (for an API key: the user who created it, None once that user is deleted).
    user_id: uuid.UUID | None
    email: str | None
    roles: tuple[str, ...]
    permissions: frozenset[str]
    #: Set when the caller authenticated with an API key.
    api_key_id: uuid.UUID | None = None

    @property
    def subject(self) -> str:
        """A stable key for per-caller limits: the API key, else the user."""
        if self.api_key_id is not None:
            return f"key:{self.api_key_id}"
        return f"user:{self.user_id}"

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise 403 AUTH_INSUFFICIENT_PERMISSIONS unless granted ``permission``."""
        if permission not in self.permissions:
            raise PermissionDeniedError(
                f"Permission '{permission}' is required",
                details={"required_permission": permission},
            )
