"""`omium checkpoints prune`: the sweep run by hand, in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from omium.bootstrap import build_runtime
from omium.config import load_settings
from omium.services.checkpoints import build_checkpoint_service
from omium.store.models import Checkpoint
from omium.store.uow import UnitOfWork
from tests.factories import make_execution, make_tenant, make_user, make_workflow


def _prune(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    env["OMIUM_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "omium", "checkpoints", "prune", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_prune_deletes_expired_checkpoints(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir, checkpoint_retention_days=1)
    runtime = build_runtime(settings)
    service = build_checkpoint_service(settings)
    try:
        with runtime.db.session() as session:
            tenant = make_tenant(session, slug="acme")
            workflow = make_workflow(session, tenant, make_user(session, tenant))
            execution = make_execution(session, workflow)
            session.commit()
        with UnitOfWork(runtime.db) as uow:
            old = service.create(uow, tenant.id, execution.id, "old", {"a": "old"})
            new = service.create(uow, tenant.id, execution.id, "new", {"a": "new"})
            uow.commit()
        with runtime.db.session() as session:
            past = old.created_at - timedelta(days=2)
            session.execute(
                update(Checkpoint).where(Checkpoint.id == old.id).values(expires_at=past)
            )
            session.commit()

        unknown = _prune(data_dir, "--tenant", "nobody")
        assert unknown.returncode == 2
        assert "nobody" in unknown.stderr

        done = _prune(data_dir, "--tenant", "acme", "--json", "--grace-minutes", "0")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["expired_checkpoints_deleted"] == 1
        assert report["parts_deleted"] == 1

        with UnitOfWork(runtime.db, read_only=True) as uow:
            left = service.list_for_execution(uow, tenant.id, execution.id)
            assert [c.checkpoint_name for c in left] == ["new"]
            assert service.get_state(uow, tenant.id, new.id) == {"a": "new"}

        text_run = _prune(data_dir, "--no-orphans")
        assert text_run.returncode == 0, text_run.stderr
        assert "expired checkpoints deleted: 0" in text_run.stdout
    finally:
        service.close()
        runtime.close()
