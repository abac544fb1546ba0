"""Tables of the auth service beyond the LLD (migration 0003).

- ``signing_keys``: the RSA keys access tokens are signed with. One is active; retired keys
  stay published in the JWKS until every token they signed has expired.
- ``refresh_tokens``: opaque refresh tokens, stored hashed. Each refresh rotates the token
  within its family; presenting a used token again revokes the whole family (token theft).
- ``login_attempts``: failed and successful logins, to slow down and lock password guessing.
- ``server_secrets``: secrets the server generates on first start (the key that encrypts
  TOTP secrets), shared by every process on the same database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, created_at, uuid_pk
from omium.store.types import InetAddress, UTCDateTime, UUIDType


class SigningKey(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (Index("idx_signing_keys_active", "active"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    kid: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    algorithm: Mapped[str] = mapped_column(String(16), nullable=False)
    private_key_pem: Mapped[str] = mapped_column(Text, nullable=False)
    public_key_pem: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = created_at()
    #: When the key stopped signing; it verifies until ``retired_at`` + the token lifetime.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("idx_refresh_tokens_family", "family_id"),
        Index("idx_refresh_tokens_user", "user_id"),
        Index("idx_refresh_tokens_tenant", "tenant_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    #: Every token issued by rotation from one login shares the login's family.
    family_id: Mapped[uuid.UUID] = mapped_column(UUIDType, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: Set when the token was exchanged for a new one; a second use is a replay.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("idx_login_attempts_email_created", "email", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    #: The email as given (lowercased), whether or not an account has it.
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    ip_address: Mapped[str | None] = mapped_column(InetAddress)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = created_at()


class ServerSecret(Base):
    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at()
