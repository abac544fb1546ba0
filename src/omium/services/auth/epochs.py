"""Auth epochs: moving a user's epoch on refuses every access token issued before.

Call :func:`bump_auth_epoch` in the transaction that disables a user or changes what they
are granted, and :func:`omium.services.auth.cache.forget_user` after its commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omium.store.models import User, UserRole


def bump_auth_epoch(session: Session, user_ids: Iterable[uuid.UUID]) -> None:
    ids = list(user_ids)
    if ids:
        session.execute(
            update(User)
            .where(User.id.in_(ids))
            .values(auth_epoch=User.auth_epoch + 1)
            .execution_options(synchronize_session=False)
        )


def holders_of(session: Session, role_id: uuid.UUID) -> list[uuid.UUID]:
    """The users granted the role ``role_id``."""
    return list(session.scalars(select(UserRole.user_id).where(UserRole.role_id == role_id)))
