"""Small helpers shared by the conformance tests."""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any

from omium.services.checkpoints import CheckpointService, CreatedCheckpoint
from omium.store.db import Database
from omium.store.models import Checkpoint
from omium.store.uow import UnitOfWork
from tests.conformance.conftest import Scene


def create(
    db: Database, service: CheckpointService, scene: Scene, name: str, state: Any, **kw: Any
) -> Checkpoint:
    return write(db, service, scene, name, state, **kw).checkpoint


def write(
    db: Database, service: CheckpointService, scene: Scene, name: str, state: Any, **kw: Any
) -> CreatedCheckpoint:
    with UnitOfWork(db) as uow:
        created = service.write(uow, scene.tenant_id, scene.execution_id, name, state, **kw)
        uow.commit()
    return created


def read_state(
    db: Database, service: CheckpointService, scene: Scene, checkpoint_id: uuid.UUID
) -> Any:
    with UnitOfWork(db, read_only=True) as uow:
        return service.get_state(uow, scene.tenant_id, checkpoint_id)


def random_text(size: int) -> str:
    """``size`` random characters: they compress to about 3/4 of their size at best."""
    return base64.b64encode(os.urandom(size * 3 // 4 + 3)).decode()[:size]
