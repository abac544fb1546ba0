"""An agent's config_ref: checked when a definition is stored, pinned when an execution
starts, and what the runner runs (handler, prompt, timeout, recovery policies, conditions)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omium.cli.workflows import read_workflow_file
from omium.domain.workflow import load_workflow_file, parse_workflow_definition
from omium.errors import ErrorCode, ValidationError
from omium.schemas.executions import ExecutionCreate
from omium.schemas.workflows import WorkflowCreate
from omium.store.models import Agent, AgentConfig
from omium.store.uow import UnitOfWork
from tests.engine import agents
from tests.engine.conftest import Env
from tests.factories import make_tenant, make_user

SANE_PROMPT = "Generate offer terms; keep 0.025 <= apr <= 0.085."


def add_config(
    env: Env,
    config: dict[str, Any],
    *,
    tenant_id: uuid.UUID | None = None,
    name: str = "Offer Agent",
    version: str = "1.0.0",
    framework: str = "custom",
) -> uuid.UUID:
    with UnitOfWork(env.db) as uow:
        row = uow.repo(AgentConfig, tenant_id or env.tenant_id).add(
            AgentConfig(name=name, framework=framework, version=version, config=config)
        )
        uow.commit()
        return row.id


def edit_config(env: Env, config_id: uuid.UUID, config: dict[str, Any], version: str) -> None:
    with UnitOfWork(env.db) as uow:
        row = uow.repo(AgentConfig, env.tenant_id).require(config_id)
        row.config = config
        row.version = version
        uow.commit()


def offer_flow(ref: uuid.UUID | str, **agent: Any) -> dict[str, Any]:
    return {
        "agents": [{"id": "offer", "config_ref": str(ref), **agent}],
        "flow": [{"step": 1, "agent": "offer", "outputs": ["offer"]}],
        "policies": {"max_retries": 0, "backoff_base_ms": 1},
    }


def invalid(env: Env, definition: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        env.workflow(definition)
    return caught.value


def test_the_runner_runs_the_referenced_config(env: Env) -> None:
    ref = add_config(env, {"handler": "offer_agent", "prompt": SANE_PROMPT})
    ex = env.run(offer_flow(ref))
    assert ex.status == "completed"
    assert ex.result == {"offer": {"apr": 0.05, "amount": 1000}}
    assert agents.calls == [("offer_agent", 1)]
    pinned = ex.metadata["agent_configs"]["offer"]
    assert pinned["id"] == str(ref) and pinned["name"] == "Offer Agent"
    assert pinned["version"] == "1.0.0" and pinned["config"]["prompt"] == SANE_PROMPT
    with UnitOfWork(env.db) as uow:
        row = uow.session.scalars(select(Agent).where(Agent.execution_id == ex.id)).one()
        assert row.agent_type == "offer_agent" and row.config["prompt"] == SANE_PROMPT


def test_a_running_execution_keeps_the_config_it_started_with(env: Env) -> None:
    ref = add_config(env, {"handler": "offer_agent", "prompt": SANE_PROMPT})
    wf = env.workflow(offer_flow(ref))
    before = env.start(wf)
    edit_config(env, ref, {"handler": "offer_agent", "prompt": "Generate offer terms."}, "2.0.0")
    after = env.start(wf)
    env.drain()
    old = env.executions.get(env.tenant_id, before.id)
    new = env.executions.get(env.tenant_id, after.id)
    assert old.metadata["agent_configs"]["offer"]["version"] == "1.0.0"
    assert old.result == {"offer": {"apr": 0.05, "amount": 1000}}
    assert new.metadata["agent_configs"]["offer"]["version"] == "2.0.0"
    assert new.result == {"offer": {"apr": 0.0, "amount": 1000}}


def test_postconditions_and_recovery_policies_come_from_the_referenced_config(env: Env) -> None:
    ref = add_config(
        env,
        {
            "handler": "offer_agent",
            "prompt": "Generate offer terms.",
            "checkpoints": [
                {
                    "name": "offer_valid",
                    "postconditions": ["offer.apr >= 0.025 && offer.apr <= 0.085"],
                }
            ],
            "recovery_policies": {
                "on": {"hallucination": "prompt_edit"},
                "max_retries": 1,
                "prompt_edit": SANE_PROMPT,
            },
        },
    )
    ex = env.run(offer_flow(ref))
    assert ex.status == "completed" and ex.result == {"offer": {"apr": 0.05, "amount": 1000}}
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert f.failure_type == "hallucination"
    assert agents.calls == [("offer_agent", 1), ("offer_agent", 2)]


def test_the_referenced_timeout_interrupts_the_agent(env: Env) -> None:
    ref = add_config(env, {"handler": "spin", "recovery_policies": {"timeout_ms": 1000}})
    ex = env.run(offer_flow(ref))
    assert ex.status == "failed"
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert f.failure_type == "timeout" and "1000 ms" in f.error_message
    assert agents.probe.left.wait(30) and agents.probe.outcome == ["interrupted"]


def test_inline_config_keys_override_the_referenced_ones(env: Env) -> None:
    ref = add_config(env, {"handler": "offer_agent", "prompt": "Generate offer terms."})
    ex = env.run(offer_flow(ref, config={"prompt": SANE_PROMPT}))
    assert ex.result == {"offer": {"apr": 0.05, "amount": 1000}}
    stored = env.workflows.get(env.tenant_id, ex.workflow_id).definition
    # Only what was given is stored for a referencing agent (no defaults posing as overrides).
    assert stored["agents"] == [
        {"id": "offer", "config_ref": str(ref), "config": {"prompt": SANE_PROMPT}}
    ]


def test_an_unknown_reference_is_refused_with_the_agent_and_the_reference(env: Env) -> None:
    missing = uuid.uuid4()
    err = invalid(env, offer_flow(missing))
    assert err.code == ErrorCode.INVALID_INPUT and err.http_status == 422
    assert err.details == {
        "problem": "unknown_agent_config",
        "agent": "offer",
        "config_ref": str(missing),
    }
    assert f"agent 'offer' references agent config '{missing}'" in err.message
    bad = invalid(env, offer_flow("kyc-config"))
    assert bad.code == ErrorCode.INVALID_FIELD_FORMAT
    assert bad.details["problem"] == "config_ref_format"


def test_another_tenants_config_is_never_resolvable(env: Env) -> None:
    with UnitOfWork(env.db) as uow:
        other = make_tenant(uow.session)
        other_user = make_user(uow.session, other)
        uow.commit()
        other_id, other_user_id = other.id, other_user.id
    theirs = add_config(env, {"handler": "offer_agent"}, tenant_id=other_id)
    err = invalid(env, offer_flow(theirs))
    assert err.details["problem"] == "unknown_agent_config"
    # Exactly what a reference to nothing gets: nothing tells it the config exists.
    assert err.message == f"agent 'offer' references agent config '{theirs}', which does not exist"
    # Its owner can reference it.
    ok = env.workflows.create(
        other_id,
        WorkflowCreate(name="theirs", definition=offer_flow(theirs)),
        created_by=other_user_id,
    )
    assert ok.version == 1


def test_a_new_version_is_checked_too(env: Env) -> None:
    ref = add_config(env, {"handler": "offer_agent"})
    wf = env.workflow(offer_flow(ref))
    with pytest.raises(ValidationError) as caught:
        env.workflows.publish_version(env.tenant_id, wf, offer_flow(uuid.uuid4()))
    assert caught.value.details["problem"] == "unknown_agent_config"
    assert env.workflows.get(env.tenant_id, wf).version == 1


def test_a_config_that_does_not_fit_the_agent_is_refused(env: Env) -> None:
    crew = add_config(env, {"role": "Offer writer"}, framework="crewai")
    err = invalid(env, offer_flow(crew, framework="custom"))
    assert err.details["problem"] == "framework_mismatch"
    broken = add_config(env, {"recovery_policies": {"timeout_ms": -5}})
    err = invalid(env, offer_flow(broken))
    assert err.code == ErrorCode.INVALID_FIELD_FORMAT
    assert "recovery_policies.timeout_ms" in err.details["path"]


def test_a_config_deleted_before_the_start_is_refused_at_start(env: Env) -> None:
    ref = add_config(env, {"handler": "offer_agent"})
    wf = env.workflow(offer_flow(ref))
    with UnitOfWork(env.db) as uow:
        repo = uow.repo(AgentConfig, env.tenant_id)
        repo.delete(repo.require(ref))
        uow.commit()
    with pytest.raises(ValidationError) as caught:
        env.executions.start(env.tenant_id, ExecutionCreate(workflow_id=wf))
    assert caught.value.details["problem"] == "unknown_agent_config"


def test_metadata_cannot_smuggle_in_a_pinned_config(env: Env) -> None:
    ref = add_config(env, {"handler": "offer_agent", "prompt": SANE_PROMPT})
    wf = env.workflow(offer_flow(ref))
    forged = {"offer": {"config": {"handler": "noop"}}}
    ex = env.executions.start(
        env.tenant_id,
        ExecutionCreate(workflow_id=wf, metadata={"agent_configs": forged, "team": "risk"}),
    )
    assert ex.metadata["team"] == "risk"
    assert ex.metadata["agent_configs"]["offer"]["config"]["handler"] == "offer_agent"


def test_a_workflow_file_may_reference_a_config_file_next_to_it(env: Env, tmp_path: Path) -> None:
    (tmp_path / "agent_configs").mkdir()
    (tmp_path / "agent_configs" / "offer.yaml").write_text(
        "name: Offer Agent\nframework: custom\nversion: '1.0'\n"
        f"config:\n  handler: offer_agent\n  prompt: '{SANE_PROMPT}'\n"
        "  recovery_policies: {timeout_ms: 4000}\n",
        encoding="utf-8",
    )
    workflow = tmp_path / "workflow.yaml"
    workflow.write_text(
        "name: offers\ndefinition:\n  agents:\n"
        "    - {id: offer, config_ref: agent_configs/offer.yaml, config: {max_tokens: 5}}\n"
        "  flow:\n    - {step: 1, agent: offer, outputs: [offer]}\n",
        encoding="utf-8",
    )
    for definition in (
        load_workflow_file(workflow),
        parse_workflow_definition(read_workflow_file(workflow)[2]),
    ):
        [offer] = definition.agents
        assert offer.config_ref is None and offer.handler == "offer_agent"
        assert offer.config.prompt == SANE_PROMPT
        assert definition.timeout_ms(offer) == 4000
        assert offer.config.model_dump()["max_tokens"] == 5
    ex = env.run(load_workflow_file(workflow).to_json())
    assert ex.result == {"offer": {"apr": 0.05, "amount": 1000}}

    workflow.write_text(
        workflow.read_text(encoding="utf-8").replace("offer.yaml", "gone.yaml"), encoding="utf-8"
    )
    with pytest.raises(ValidationError) as caught:
        load_workflow_file(workflow)
    assert caught.value.details["problem"] == "config_ref_file"
    assert "agent 'offer': config_ref file 'agent_configs/gone.yaml' cannot be read" in (
        caught.value.message
    )
