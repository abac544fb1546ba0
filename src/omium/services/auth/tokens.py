"""Access tokens: JWT RS256 with the LLD §6.1 claims, and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from omium.errors import AuthError, TokenExpiredError
from omium.services.auth.keys import ALGORITHM, SigningKeys
from omium.services.auth.principal import Principal

#: Claims every access token must carry (LLD §6.1).
REQUIRED_CLAIMS = ("sub", "tenant_id", "email", "roles", "permissions", "iat", "exp")
REFRESH_TOKEN_PREFIX = "omr_"
#: Beyond LLD §6.1: the user's auth epoch when the token was issued. Disabling the user or
#: changing their roles bumps the epoch, and every token issued before stops working.
EPOCH_CLAIM = "auth_epoch"


@dataclass(frozen=True)
class AccessToken:
    """What a verified access token says."""

    principal: Principal
    auth_epoch: int
    expires_at: float


def issue_access_token(
    keys: SigningKeys,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    email: str,
    roles: list[str],
    permissions: list[str],
    ttl_seconds: int,
    auth_epoch: int = 0,
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    key = keys.active()
    if key.private_key is None:  # pragma: no cover - the active key is always loaded whole
        raise RuntimeError("the active signing key has no private part")
    payload = {
        "sub": str(user_id),
        "tenant_id": str(tenant_id),
        "email": email,
        "roles": roles,
        "permissions": permissions,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
        EPOCH_CLAIM: auth_epoch,
    }
    return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def _invalid(reason: str) -> AuthError:
    return AuthError("Invalid access token", details={"reason": reason})


def decode_access_token(keys: SigningKeys, token: str) -> AccessToken:
    """The principal and epoch of a validly signed access token; 401 for anything else.

    Only RS256 is accepted, with a key id we published: ``alg: none``, HS256 signed with the
    public key, a foreign key, a tampered payload or a missing claim all fail here.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _invalid("malformed") from None
    if header.get("alg") != ALGORITHM:
        raise _invalid("algorithm not allowed")
    kid = header.get("kid")
    public = keys.public_key(kid) if isinstance(kid, str) else None
    if public is None:
        raise _invalid("unknown signing key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpiredError("Access token expired") from None
    except jwt.PyJWTError:
        raise _invalid("signature or claims rejected") from None
    try:
        roles = claims["roles"]
        permissions = claims["permissions"]
        if not isinstance(roles, list) or not isinstance(permissions, list):
            raise ValueError("roles and permissions must be lists")
        # Tokens issued before epochs existed carry none: they belong to epoch 0.
        epoch = claims.get(EPOCH_CLAIM, 0)
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            raise ValueError("the auth epoch must be an integer")
        principal = Principal(
            tenant_id=uuid.UUID(str(claims["tenant_id"])),
            user_id=uuid.UUID(str(claims["sub"])),
            email=str(claims["email"]),
            roles=tuple(str(r) for r in roles),
            permissions=frozenset(str(p) for p in permissions),
        )
        return AccessToken(principal, epoch, float(claims["exp"]))
    except (ValueError, TypeError):
        raise _invalid("claims of the wrong type") from None


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the hash it is stored under."""
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 cannot be brute-forced, and lookup stays
    # a unique-index read.
    return hashlib.sha256(token.encode()).hexdigest()
