"""Workflow definitions: the LLD format, precise validation errors, files, versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from omium.domain.workflow import (
    check_input_params,
    load_workflow_file,
    parse_agent_config,
    parse_workflow_definition,
)
from omium.errors import ErrorCode, ValidationError

LLD_EXAMPLE: dict[str, Any] = {
    "agents": [
        {"id": "kyc_agent", "name": "KYC Agent", "framework": "custom"},
        {"id": "credit_agent", "name": "Credit Scoring Agent", "framework": "custom"},
    ],
    "flow": [
        {
            "step": 1,
            "agent": "kyc_agent",
            "inputs": ["customer_data"],
            "outputs": ["kyc_verified", "kyc_score"],
            "checkpoints": ["kyc_validated"],
        },
        {
            "step": 2,
            "agent": "credit_agent",
            "inputs": ["kyc_verified", "kyc_score"],
            "outputs": ["credit_score"],
            "depends_on": [1],
            "consensus_required": True,
        },
    ],
    "policies": {"timeout_per_agent_ms": 30000, "max_retries": 3, "rollback_on_failure": True},
}


def problem(raw: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as e:
        parse_workflow_definition(raw)
    return e.value


def test_the_lld_example_parses() -> None:
    d = parse_workflow_definition(LLD_EXAMPLE)
    assert d.policies.rollback_on_failure is True
    assert d.flow[1].consensus_required is True
    assert d.external_inputs == frozenset({"customer_data"})
    assert d.ancestors[2] == frozenset({1})


def test_unknown_agent_is_named() -> None:
    raw = {**LLD_EXAMPLE, "flow": [{"step": 1, "agent": "ghost"}]}
    err = problem(raw)
    assert err.details["problem"] == "unknown_agent"
    assert "step 1 uses unknown agent 'ghost'" in err.message
    assert "credit_agent, kyc_agent" in err.message


def test_cycle_is_shown_as_a_path() -> None:
    raw = {
        "agents": [{"id": "a"}, {"id": "b"}],
        "flow": [
            {"step": 1, "agent": "a", "depends_on": [2]},
            {"step": 2, "agent": "b", "depends_on": [1]},
        ],
    }
    err = problem(raw)
    assert err.details["problem"] == "cycle"
    assert "1 -> 2 -> 1" in err.message


def test_input_written_by_a_step_not_depended_on() -> None:
    raw = {
        "agents": [{"id": "a"}, {"id": "b"}],
        "flow": [
            {"step": 1, "agent": "a", "outputs": ["x"]},
            {"step": 2, "agent": "b", "inputs": ["x"]},
        ],
    }
    err = problem(raw)
    assert err.details == {"problem": "missing_input", "step": 2, "input": "x"}


def test_input_missing_from_input_params() -> None:
    d = parse_workflow_definition(LLD_EXAMPLE)
    with pytest.raises(ValidationError) as e:
        check_input_params(d, {})
    assert e.value.code == ErrorCode.MISSING_REQUIRED_FIELD
    assert "input 'customer_data' of step 1" in e.value.message
    check_input_params(d, {"customer_data": {}})


def test_two_parallel_writers_of_one_output() -> None:
    raw = {
        "agents": [{"id": "a"}, {"id": "b"}],
        "flow": [
            {"step": 1, "agent": "a", "outputs": ["x"]},
            {"step": 2, "agent": "b", "outputs": ["x"]},
        ],
    }
    err = problem(raw)
    assert err.details["problem"] == "parallel_writers"
    assert err.details["steps"] == [1, 2]


def test_sequential_writers_are_fine() -> None:
    parse_workflow_definition(
        {
            "agents": [{"id": "a"}, {"id": "b"}],
            "flow": [
                {"step": 1, "agent": "a", "outputs": ["x"]},
                {"step": 2, "agent": "b", "outputs": ["x"], "depends_on": [1]},
            ],
        }
    )


def test_unknown_dependency_and_duplicate_step() -> None:
    assert (
        problem(
            {"agents": [{"id": "a"}], "flow": [{"step": 1, "agent": "a", "depends_on": [9]}]}
        ).details["problem"]
        == "unknown_dependency"
    )
    assert problem(
        {"agents": [{"id": "a"}], "flow": [{"step": 1, "agent": "a"}, {"step": 1, "agent": "a"}]}
    ).details["problem"] == ("duplicate_step")


def test_schema_error_names_the_field() -> None:
    err = problem({"agents": [{"id": "a"}], "flow": [{"step": "one", "agent": "a"}]})
    assert err.code == ErrorCode.INVALID_FIELD_FORMAT
    assert err.details["path"] == "flow.0.step"


def test_agent_config_in_the_lld_format() -> None:
    cfg = parse_agent_config(
        {
            "role": "KYC Specialist",
            "goal": "Verify",
            "llm": {"provider": "openai"},
            "checkpoints": [
                {
                    "name": "document_received",
                    "preconditions": ["document.type != null"],
                    "postconditions": ["document.validated == true"],
                }
            ],
            "recovery_policies": {"on_failure": "rollback", "max_retries": 3, "timeout_ms": 30000},
            "faults": [{"kind": "raise", "attempts": [1]}],
        }
    )
    assert cfg.preconditions == ["document.type != null"]
    assert cfg.recovery_policies.on_failure == "rollback"
    with pytest.raises(ValidationError) as e:
        parse_agent_config({"recovery_policies": {"on_failure": "pray"}})
    assert "recovery_policies.on_failure" in e.value.message


def test_yaml_and_json_files(tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(yaml.safe_dump({"definition": LLD_EXAMPLE}))
    (tmp_path / "wf.json").write_text(json.dumps(LLD_EXAMPLE))
    assert load_workflow_file(tmp_path / "wf.yaml") == load_workflow_file(tmp_path / "wf.json")
    (tmp_path / "bad.yaml").write_text("agents: [")
    with pytest.raises(ValidationError) as e:
        load_workflow_file(tmp_path / "bad.yaml")
    assert e.value.details["problem"] == "syntax"
