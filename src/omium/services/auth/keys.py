"""RSA signing keys for access tokens: generated on first start, rotatable, published as JWKS.

Every process on one database shares the keys. A process re-reads them when a token names a
key id it does not know and, at most every ``refresh_seconds``, to pick up a rotation.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from omium.clock import utcnow
from omium.store.db import Database
from omium.store.models import SigningKey

ALGORITHM = "RS256"


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    public_key: rsa.RSAPublicKey
    private_key: rsa.RSAPrivateKey | None
    active: bool


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_key_row() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return SigningKey(
        kid=uuid.uuid4().hex,
        algorithm=ALGORITHM,
        private_key_pem=private_pem,
        public_key_pem=public_pem,
        active=True,
    )


def ensure_signing_key(db: Database) -> None:
    """Create the first signing key when the database has none active."""
    with db.session() as session:
        if session.scalar(select(SigningKey.id).where(SigningKey.active.is_(True)).limit(1)):
            return
        session.add(_new_key_row())
        try:
            session.commit()
        except IntegrityError:  # pragma: no cover - kids are random
            session.rollback()


def rotate_signing_key(db: Database) -> str:
    """Make a new key the active one; the old ones keep verifying until they age out."""
    with db.session() as session:
        session.execute(
            update(SigningKey)
            .where(SigningKey.active.is_(True))
            .values(active=False, retired_at=utcnow())
        )
        row = _new_key_row()
        session.add(row)
        session.commit()
        return row.kid


class SigningKeys:
    """The keys of one process: the active private key and every still-valid public key."""

    def __init__(self, db: Database, *, token_ttl_seconds: int, refresh_seconds: float = 30.0):
        self._db = db
        self._ttl = token_ttl_seconds
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._keys: dict[str, LoadedKey] = {}
        self._active: LoadedKey | None = None
        self._loaded_at = 0.0

    def load(self) -> None:
        """Read the keys from the database (creating the first one when there is none).

        Reading takes no write lock: a reload may happen inside a caller's write transaction
        (SQLite has one writer), so the key is only created when none is active.
        """
        rows = self._read()
        if not any(row.active for row in rows):
            ensure_signing_key(self._db)
            rows = self._read()
        keys: dict[str, LoadedKey] = {}
        active: LoadedKey | None = None
        for row in rows:
            public = serialization.load_pem_public_key(row.public_key_pem.encode())
            assert isinstance(public, rsa.RSAPublicKey)
            private = None
            if row.active:
                loaded = serialization.load_pem_private_key(
                    row.private_key_pem.encode(), password=None
                )
                assert isinstance(loaded, rsa.RSAPrivateKey)
                private = loaded
            key = LoadedKey(row.kid, public, private, row.active)
            keys[row.kid] = key
            if row.active:
                active = key
        with self._lock:
            self._keys = keys
            self._active = active
            self._loaded_at = time.monotonic()

    def _read(self) -> list[SigningKey]:
        cutoff = utcnow() - timedelta(seconds=self._ttl + 60)
        with self._db.session(read_only=True) as session:
            return list(
                session.scalars(
                    select(SigningKey)
                    .where((SigningKey.active.is_(True)) | (SigningKey.retired_at > cutoff))
                    # Two processes starting at once may both create a key: the newest signs.
                    .order_by(SigningKey.created_at, SigningKey.kid)
                ).all()
            )

    def _maybe_reload(self) -> None:
        if time.monotonic() - self._loaded_at > self._refresh_seconds or self._active is None:
            self.load()

    def active(self) -> LoadedKey:
        """The key new tokens are signed with."""
        self._maybe_reload()
        assert self._active is not None
        return self._active

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        """The public key ``kid``, re-reading the database once when it is unknown."""
        self._maybe_reload()
        key = self._keys.get(kid)
        if key is None and time.monotonic() - self._loaded_at > 1.0:
            self.load()
            key = self._keys.get(kid)
        return key.public_key if key else None

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set of every key a valid token may be signed with."""
        self._maybe_reload()
        out = []
        for key in self._keys.values():
            numbers = key.public_key.public_numbers()
            out.append(
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": ALGORITHM,
                    "kid": key.kid,
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            )
        return {"keys": out}
