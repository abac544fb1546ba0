"""The auth objects one process shares, built from its database and settings."""

from __future__ import annotations

from functools import cached_property

from cryptography.fernet import Fernet

from omium.config import Settings
from omium.services.auth.authenticator import Authenticator
from omium.services.auth.keys import SigningKeys
from omium.services.auth.secrets import fernet
from omium.store.db import Database


class AuthKit:
    """Signing keys, the authenticator and the secret box of one process.

    ``AuthKit(runtime.db, runtime.settings)`` serves the REST API, the gRPC server and the CLI.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.keys = SigningKeys(db, token_ttl_seconds=settings.access_token_ttl_seconds)
        self.authenticator = Authenticator(db, self.keys, cache_seconds=settings.auth_cache_seconds)

    def start(self) -> None:
        """Create the first signing key and server secret when there are none yet."""
        self.keys.load()
        _ = self.fernet

    @cached_property
    def fernet(self) -> Fernet:
        return fernet(self.db, self.settings)
