"""The composition root: builds a process's shared objects from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from omium.config import Settings
from omium.store.db import Database
from omium.store.migrate import upgrade


@dataclass
class Runtime:
    """What every role of one process shares: settings and the database."""

    settings: Settings
    db: Database

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open the database (creating the data directory) and, by default, bring it to head."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    if migrate:
        upgrade(db.engine)
    return Runtime(settings=settings, db=db)
