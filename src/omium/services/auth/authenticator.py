"""Turn a bearer credential (JWT access token or API key) into a Principal.

Shared by every edge: the REST API and the gRPC server call :meth:`Authenticator.authenticate`.

A token proves who the user was when it was issued; each (uncached) check also reads the
user's row, so a disabled or deleted user, or one whose epoch moved on (roles changed), is
refused. Verified principals are cached briefly (:mod:`omium.services.auth.cache`).
"""

from __future__ import annotations

import hmac
import time
from datetime import timedelta

from sqlalchemy import select, update

from omium.clock import utcnow
from omium.errors import AuthError, TokenExpiredError
from omium.services.auth.api_key_format import API_KEY_PREFIX, hash_api_key, prefix_of
from omium.services.auth.cache import PrincipalCache, credential_key
from omium.services.auth.grants import user_grants
from omium.services.auth.keys import SigningKeys
from omium.services.auth.principal import Principal
from omium.services.auth.tokens import decode_access_token
from omium.store.db import Database
from omium.store.models import ApiKey, User

#: last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
#: How long a verified credential is trusted without looking again (per process).
DEFAULT_CACHE_SECONDS = 5.0


class Authenticator:
    def __init__(
        self, db: Database, keys: SigningKeys, *, cache_seconds: float = DEFAULT_CACHE_SECONDS
    ) -> None:
        self._db = db
        self._keys = keys
        self.cache = PrincipalCache(cache_seconds)

    def authenticate(self, bearer: str) -> Principal:
        """The principal behind ``bearer``; AuthError (401) when it proves nothing."""
        bearer = bearer.strip()
        if not bearer:
            raise AuthError("Missing credentials")
        key = credential_key(bearer)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        generation = self.cache.generation
        if bearer.startswith(API_KEY_PREFIX):
            principal, expires_in = self._api_key(bearer)
        else:
            principal, expires_in = self._access_token(bearer)
        self.cache.put(key, principal, generation, expires_in)
        return principal

    def cached(self, authorization: str | None) -> Principal | None:
        """The principal of an ``Authorization`` header value when it is in the cache (no
        I/O: an event loop may call it); None means :meth:`authenticate_header` must look."""
        if not authorization:
            return None
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return None
        return self.cache.get(credential_key(credential))

    def authenticate_header(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer <credential>`` header value."""
        if not authorization:
            raise AuthError("Missing Authorization header")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise AuthError("Authorization header must be 'Bearer <token or API key>'")
        return self.authenticate(credential)

    def _access_token(self, token: str) -> tuple[Principal, float]:
        verified = decode_access_token(self._keys, token)
        principal = verified.principal
        with self._db.session(read_only=True) as session:
            user = session.execute(
                select(User.status, User.auth_epoch).where(
                    User.id == principal.user_id, User.tenant_id == principal.tenant_id
                )
            ).first()
        if user is None or user.status != "active":
            raise AuthError("The token's user is not active", details={"reason": "user_inactive"})
        if user.auth_epoch != verified.auth_epoch:
            raise AuthError(
                "The token was issued before the user's access changed; sign in again",
                details={"reason": "token_superseded"},
            )
        return principal, verified.expires_at - time.time()

    def _api_key(self, key: str) -> tuple[Principal, float]:
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
            expires_in = (
                (row.expires_at - now).total_seconds() if row.expires_at is not None else 1e9
            )
        if stale:
            with self._db.session() as session:
                session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
                session.commit()
        return principal, expires_in
