"""Each server command of the `omium` CLI against a real server and worker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from omium.cli.main import app
from tests.client.agents import definition
from tests.client.conftest import Owner


class Cli:
    def __init__(self, server: str) -> None:
        self.server = server
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, [*args, "--server", self.server])
        assert result.exit_code == code, result.output
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def cli(server: str, owner: Owner, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("OMIUM_API_KEY", owner.client.create_api_key("cli").key)
    return Cli(server)


def _workflow_file(tmp_path: Path, *, fault: bool) -> Path:
    path = tmp_path / "scoring.yaml"
    path.write_text(yaml.safe_dump({"name": "scoring", "definition": definition(fault=fault)}))
    return path


def test_workflows_apply_list_show_publish(cli: Cli, tmp_path: Path) -> None:
    created = cli.json("workflows", "apply", str(_workflow_file(tmp_path, fault=True)))
    assert (created["name"], created["version"]) == ("scoring", 1)
    again = cli.json("workflows", "apply", str(_workflow_file(tmp_path, fault=False)))
    assert (again["id"], again["version"]) == (created["id"], 2)
    listed = cli.json("workflows", "list")
    assert [w["id"] for w in listed["workflows"]] == [created["id"]]
    assert "scorer" in cli("workflows", "show", created["id"])
    assert cli.json("workflows", "publish", created["id"])["status"] == "published"
    cli("workflows", "apply", str(tmp_path / "missing.yaml"), code=2)


def test_executions_failures_and_recovery(
    cli: Cli, owner: Owner, tmp_path: Path, drain: Callable[[], None]
) -> None:
    wf = cli.json("workflows", "apply", str(_workflow_file(tmp_path, fault=True)))
    ex = owner.client.start_execution(wf["id"], {"applicant": {"name": "Ada"}})
    drain()

    listed = cli.json("executions", "list", "--status", "paused")
    assert [e["id"] for e in listed["executions"]] == [str(ex.id)]
    shown = cli.json("executions", "show", str(ex.id))
    assert shown["execution"]["status"] == "paused"
    assert [f["failure_type"] for f in shown["failures"]] == ["hallucination"]
    human = cli("executions", "show", str(ex.id))
    assert "hallucination" in human and "paused" in human

    failures = cli.json("failures", "list", "--execution", str(ex.id))
    failure_id = failures["failures"][0]["id"]
    assert failure_id in cli("failures", "list")
    recovered = cli.json("failures", "recover", failure_id, "--action", "retry")
    assert recovered["recovery_action"]["action_type"] == "retry"
    drain()
    assert cli.json("executions", "show", str(ex.id))["execution"]["status"] == "completed"

    events = [
        json.loads(line) for line in cli("executions", "events", str(ex.id), "--json").splitlines()
    ]
    assert events[-1]["event_type"] == "execution_completed"
    assert "failure_detected" in cli("executions", "events", str(ex.id))

    stats = cli.json("analytics")
    assert stats["total_executions"] == 1
    assert "success rate" in cli("analytics")


def test_checkpoints_and_control(
    cli: Cli, owner: Owner, tmp_path: Path, drain: Callable[[], None]
) -> None:
    # paused by the hallucination (a completed execution cannot be rolled back)
    wf = cli.json("workflows", "apply", str(_workflow_file(tmp_path, fault=True)))
    ex = owner.client.start_execution(wf["id"], {"applicant": {"name": "Ada"}})
    drain()
    page = cli.json("checkpoints", "list", "--execution", str(ex.id))
    by_name = {c["checkpoint_name"]: c for c in page["checkpoints"]}
    scored = by_name["scorer_complete"]
    assert len(cli.json("checkpoints", "show", scored["id"])["checksum"]) == 71
    assert "scorer_complete" in cli("checkpoints", "list", "--execution", str(ex.id))

    rolled = cli.json("checkpoints", "rollback", scored["id"], "--reason", "again")
    assert rolled["execution"]["status"] == "rolled_back"
    assert len(cli.json("checkpoints", "list", "-e", str(ex.id), "--all")["checkpoints"]) > len(
        cli.json("checkpoints", "list", "-e", str(ex.id))["checkpoints"]
    )
    assert str(ex.id) in cli("executions", "resume", str(ex.id))
    drain()
    assert cli.json("executions", "show", str(ex.id))["execution"]["status"] == "completed"
    cli("executions", "pause", str(ex.id), code=1)  # 409 EXECUTION_CANNOT_PAUSE

    pending = owner.client.start_execution(wf["id"], {"applicant": {"name": "Bo"}})
    paused = cli.json("executions", "pause", str(pending.id))
    assert paused["execution"]["status"] in ("paused", "pending")
    assert cli.json("executions", "cancel", str(pending.id))["execution"]["status"] == "cancelled"
    cli("executions", "show", "00000000-0000-0000-0000-000000000000", code=3)
