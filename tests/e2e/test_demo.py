"""`omium demo` and `omium run` as a newcomer runs them: real processes, fresh data dirs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from omium.store.db import Database
from omium.store.models import Execution, Failure, RecoveryAction, Rollback

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "onboarding"


def _omium(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMIUM_")}
    clean.update(env, COLUMNS="120")
    return subprocess.run(
        [sys.executable, "-m", "omium", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_recovers_from_the_injected_hallucination(tmp_path: Path) -> None:
    result = _omium("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    # The story, as the newcomer reads it.
    assert "hallucination" in text
    assert "offer.apr >= 0.025 && offer.apr <= 0.085" in text
    assert "suggested fix" in text
    assert "rollback to offer_agent_start" in text
    assert "completed" in text
    assert "omium executions show" in text
    assert "/docs" in text

    # The records: a fresh data dir under the working directory holds them all.
    db = Database(f"sqlite:///{tmp_path / '.omium' / 'omium.db'}")
    try:
        with db.session(read_only=True) as s:
            executions = s.scalars(select(Execution)).all()
            assert [e.status for e in executions] == ["completed"]
            execution = executions[0]
            assert execution.result is not None
            assert 0.025 <= execution.result["offer"]["apr"] <= 0.085
            failures = s.scalars(select(Failure)).all()
            assert [(f.failure_type, f.execution_id) for f in failures] == [
                ("hallucination", execution.id)
            ]
            assert failures[0].suggested_fix
            assert "0.025" in failures[0].suggested_fix
            actions = s.scalars(select(RecoveryAction)).all()
            assert [(a.action_type, a.failure_id, a.success) for a in actions] == [
                ("rollback", failures[0].id, True)
            ]
            rollbacks = s.scalars(select(Rollback)).all()
            assert len(rollbacks) == 1
            assert rollbacks[0].execution_id == execution.id
            assert rollbacks[0].status == "completed"
    finally:
        db.dispose()

    # "Look at it again" works as printed.
    again = _omium("executions", "show", str(execution.id), "--local", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    shown = json.loads(again.stdout)
    assert shown["status"] == "completed"
    assert [f["failure_type"] for f in shown["failures"]] == ["hallucination"]
    assert [r["to_checkpoint"] for r in shown["rollbacks"]] == ["offer_agent_start"]
    assert {c["name"] for c in shown["checkpoints"]} >= {
        "kyc_validated",
        "credit_scored",
        "offer_generated",
    }
    assert all(c["size_bytes"] > 0 for c in shown["checkpoints"])


def _copy_example(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    target = tmp_path / "onboarding"
    shutil.copytree(EXAMPLE, target)
    return target, yaml.safe_load((target / "workflow.yaml").read_text())


def test_run_exits_non_zero_when_the_execution_fails(tmp_path: Path) -> None:
    folder, doc = _copy_example(tmp_path)
    offer = next(a for a in doc["definition"]["agents"] if a["id"] == "offer_agent")
    # The fault now fires on every attempt: the retries run out.
    offer["config"]["faults"][0]["attempts"] = [1, 2, 3, 4, 5]
    offer["config"]["recovery_policies"]["max_retries"] = 1
    (folder / "workflow.yaml").write_text(yaml.safe_dump(doc))

    result = _omium(
        "run",
        str(folder / "workflow.yaml"),
        "--input",
        f"@{folder / 'input.json'}",
        "--json",
        cwd=tmp_path,
        OMIUM_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    timeline = json.loads(result.stdout)
    assert timeline["status"] == "failed"
    assert [f["failure_type"] for f in timeline["failures"]] == ["hallucination"] * 2


def test_run_takes_inputs_as_key_value_pairs(tmp_path: Path) -> None:
    folder, doc = _copy_example(tmp_path)
    offer = next(a for a in doc["definition"]["agents"] if a["id"] == "offer_agent")
    del offer["config"]["faults"]
    (folder / "workflow.yaml").write_text(yaml.safe_dump(doc))
    customer = json.loads((folder / "input.json").read_text())["customer_data"]

    result = _omium(
        "run",
        str(folder / "workflow.yaml"),
        "--input",
        f"customer_data={json.dumps(customer)}",
        cwd=tmp_path,
        OMIUM_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "step 3 offer_agent done" in result.stdout
    assert "hallucination" not in result.stdout


def test_run_reports_a_missing_input(tmp_path: Path) -> None:
    result = _omium(
        "run",
        str(EXAMPLE / "workflow.yaml"),
        cwd=tmp_path,
        OMIUM_DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 1
    assert "customer_data" in result.stderr
