"""The permission strings of LLD §6.1 (``resource:action``) and the system roles.

A permission is granted through roles; an API key carries a subset of its creator's.
"""

from __future__ import annotations

from collections.abc import Iterable

from omium.errors import ErrorCode, ValidationError

_ACTIONS: dict[str, tuple[str, ...]] = {
    "workflow": ("create", "read", "update", "publish", "archive"),
    "agent_config": ("create", "read", "update", "delete"),
    "execution": ("create", "read", "pause", "resume", "cancel"),
    "checkpoint": ("create", "read", "rollback", "delete"),
    # The consensus log of an execution's handoffs (gRPC ConsensusService, LLD §3.2).
    "consensus": ("read", "write"),
    "failure": ("read", "recover"),
    "analytics": ("read",),
    "policy": ("create", "read", "update", "delete"),
    "audit": ("read",),
    "api_key": ("create", "read", "revoke"),
    "user": ("create", "read", "update", "delete"),
    "role": ("create", "read", "update", "delete", "assign"),
}

#: Every permission, in a stable order.
ALL_PERMISSIONS: tuple[str, ...] = tuple(
    f"{resource}:{action}" for resource, actions in _ACTIONS.items() for action in actions
)

_READ = tuple(p for p in ALL_PERMISSIONS if p.endswith(":read"))
_DEVELOPER = tuple(
    p
    for p in ALL_PERMISSIONS
    if p.split(":")[0]
    in {
        "workflow",
        "agent_config",
        "execution",
        "checkpoint",
        "consensus",
        "failure",
        "analytics",
        "policy",
    }
    or p in {"api_key:create", "api_key:read", "api_key:revoke", "user:read", "role:read"}
)

#: System roles, created with every tenant; their permissions cannot be edited.
SYSTEM_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "owner": ("Everything, including granting the owner role.", ALL_PERMISSIONS),
    "admin": ("Everything but granting or revoking the owner role.", ALL_PERMISSIONS),
    "developer": ("Build and run workflows; manage own API keys.", _DEVELOPER),
    "viewer": ("Read-only access to every resource.", _READ),
}


def validate_permissions(permissions: Iterable[str], *, field: str = "permissions") -> list[str]:
    """The permissions, deduplicated in catalog order; 422 naming any unknown one."""
    given = list(permissions)
    unknown = sorted(set(given) - set(ALL_PERMISSIONS))
    if unknown:
        raise ValidationError(
            f"Unknown permission(s): {', '.join(unknown)}",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": field, "unknown": unknown, "allowed": list(ALL_PERMISSIONS)},
        )
    wanted = set(given)
    return [p for p in ALL_PERMISSIONS if p in wanted]
