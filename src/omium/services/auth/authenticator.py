"""Turn a bearer credential (JWT access token or API key) into a Principal.

Shared by every edge: the REST API and the gRPC server call :meth:`Authenticator.authenticate`.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy import select, update

from omium.clock import utcnow
from omium.errors import AuthError, TokenExpiredError
from omium.services.auth.api_key_format import API_KEY_PREFIX, hash_api_key, prefix_of
from omium.services.auth.grants import user_grants
from omium.services.auth.keys import SigningKeys
from omium.services.auth.principal import Principal
from omium.services.auth.tokens import decode_access_token
from omium.store.db import Database
from omium.store.models import ApiKey, User

#: last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class Authenticator:
    def __init__(self, db: Database, keys: SigningKeys) -> None:
        self._db = db
        self._keys = keys

    def authenticate(self, bearer: str) -> Principal:
        """The principal behind ``bearer``; AuthError (401) when it proves nothing."""
        bearer = bearer.strip()
        if not bearer:
            raise AuthError("Missing credentials")
        if bearer.startswith(API_KEY_PREFIX):
            return self._api_key(bearer)
        return decode_access_token(self._keys, bearer)

    def authenticate_header(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer <credential>`` header value."""
        if not authorization:
            raise AuthError("Missing Authorization header")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise AuthError("Authorization header must be 'Bearer <token or API key>'")
        return self.authenticate(credential)

    def _api_key(self, key: str) -> Principal:
        prefix = prefix_of(key)
        if prefix is None:
            raise AuthError("Invalid API key")
        digest = hash_api_key(key)
        now = utcnow()
        with self._db.session(read_only=True) as session:
            candidates = session.scalars(select(ApiKey).where(ApiKey.key_prefix == prefix)).all()
            row = next((c for c in candidates if hmac.compare_digest(c.key_hash, digest)), None)
            if row is None:
                raise AuthError("Invalid API key")
            if row.revoked_at is not None:
                raise AuthError("API key revoked", details={"api_key_id": str(row.id)})
            if row.expires_at is not None and row.expires_at <= now:
                raise TokenExpiredError("API key expired", details={"api_key_id": str(row.id)})
            permissions = set(row.permissions or [])
            roles: list[str] = []
            email: str | None = None
            if row.user_id is not None:
                user = session.get(User, row.user_id)
                if user is None or user.status != "active":
                    raise AuthError("The API key's user is not active")
                roles, granted = user_grants(session, row.user_id)
                # A key never grants more than its user holds today.
                permissions &= set(granted)
                email = user.email
            principal = Principal(
                tenant_id=row.tenant_id,
                user_id=row.user_id,
                email=email,
                roles=tuple(roles),
                permissions=frozenset(permissions),
                api_key_id=row.id,
            )
            stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
            key_id = row.id
        if stale:
            with self._db.session() as session:
                session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
                session.commit()
        return principal
