"""Server secrets: the key that encrypts TOTP secrets at rest."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet
from sqlalchemy.exc import IntegrityError

from omium.config import Settings
from omium.store.db import Database
from omium.store.models import ServerSecret

FERNET_SECRET = "fernet_key"


def get_or_create_secret(db: Database, name: str, make: str) -> str:
    """The secret ``name``, stored on first use with the value ``make``; first writer wins."""
    with db.session(read_only=True) as session:
        row = session.get(ServerSecret, name)
        if row is not None:
            return row.value
    with db.session() as session:
        session.add(ServerSecret(name=name, value=make))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        else:
            return make
    with db.session(read_only=True) as session:
        row = session.get(ServerSecret, name)
        if row is None:  # pragma: no cover - the insert above lost to a row that vanished
            raise RuntimeError(f"server secret {name!r} could not be created")
        return row.value


def fernet(db: Database, settings: Settings) -> Fernet:
    """The Fernet of this deployment: from OMIUM_SECRET_KEY, else generated and stored."""
    if settings.secret_key is not None:
        digest = hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))
    key = get_or_create_secret(db, FERNET_SECRET, Fernet.generate_key().decode())
    return Fernet(key.encode())
