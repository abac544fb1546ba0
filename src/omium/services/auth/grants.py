"""What a user is granted: the union of their roles' permissions."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omium.services.auth.permissions import ALL_PERMISSIONS
from omium.store.models import Role, UserRole


def user_grants(session: Session, user_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """The user's role names (sorted) and permissions (in catalog order)."""
    rows = session.execute(
        select(Role.name, Role.permissions)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)
    ).all()
    granted: set[str] = set()
    for _, permissions in rows:
        granted.update(permissions or [])
    return sorted(name for name, _ in rows), [p for p in ALL_PERMISSIONS if p in granted]
