"""Workflow definitions and agent configs (LLD §1.2), parsed and validated without I/O.

A definition is the LLD's ``workflow_definitions.definition``: ``agents``, ``flow`` steps and
``policies``. An agent's config is the LLD's ``agent_configs.config`` (inline under
``agents[].config``), plus Omium's ``handler`` (the registered callable's name, default the
agent id), ``prompt`` and ``faults`` (fault injection for tests and demos).

Every problem is reported as one :class:`omium.errors.ValidationError` whose message names the
step and the key at fault, and whose details carry a machine-readable ``problem``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from omium.errors import ErrorCode, ValidationError

FaultKind = Literal["raise", "timeout", "output", "crash"]
OnFailure = Literal["retry", "rollback", "prompt_edit", "manual_intervention", "escalate", "fail"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Fault(_Model):
    """An injected fault: ``kind`` on the given 1-based ``attempts`` (or with ``probability``)."""

    kind: FaultKind
    attempts: list[int] = Field(default_factory=list)
    probability: float = Field(0.0, ge=0.0, le=1.0)
    message: str = "injected fault"
    output: dict[str, Any] = Field(default_factory=dict)

    def fires(self, attempt: int, draw: float) -> bool:
        """Whether this fault hits ``attempt`` (``draw`` is a uniform [0, 1) number)."""
        return attempt in self.attempts or draw < self.probability


class ConditionCheckpoint(_Model):
    """One entry of the agent config's ``checkpoints``: a name and its CEL conditions."""

    name: str
    preconditions: list[str] = Field(default_factory=list)
    postconditions: list[str] = Field(default_factory=list)


class RecoveryPolicies(_Model):
    """The agent config's ``recovery_policies``; unset fields fall back to the workflow's."""

    on_failure: OnFailure | None = None
    max_retries: int | None = Field(None, ge=0)
    timeout_ms: int | None = Field(None, gt=0)
    backoff_base_ms: int | None = Field(None, ge=0)
    backoff_max_ms: int | None = Field(None, ge=0)
    jitter: float | None = Field(None, ge=0.0, le=1.0)
    #: per failure type: {"hallucination": "prompt_edit", "timeout": "retry", ...}
    on: dict[str, OnFailure] = Field(default_factory=dict)
    #: the replacement prompt a prompt_edit applies (default: the prompt plus the constraint)
    prompt_edit: str | None = None


class AgentConfig(_Model):
    """The LLD's ``agent_configs.config`` with Omium's additions."""

    role: str | None = None
    goal: str | None = None
    backstory: str | None = None
    llm: dict[str, Any] = Field(default_factory=dict)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    checkpoints: list[ConditionCheckpoint] = Field(default_factory=list)
    recovery_policies: RecoveryPolicies = Field(default_factory=RecoveryPolicies)
    handler: str | None = None
    prompt: str | None = None
    faults: list[Fault] = Field(default_factory=list)

    @property
    def preconditions(self) -> list[str]:
        return [c for cp in self.checkpoints for c in cp.preconditions]

    @property
    def postconditions(self) -> list[str]:
        return [c for cp in self.checkpoints for c in cp.postconditions]


class AgentSpec(_Model):
    """An entry of ``definition.agents``.

    ``config_ref`` names a row of the tenant's agent_configs (its id). The referenced config
    is the agent's config; keys given in an inline ``config`` override it. An execution pins
    the referenced configs when it starts (see :func:`apply_agent_configs`).
    """

    id: str = Field(min_length=1)
    name: str | None = None
    framework: Literal["crewai", "langgraph", "autogen", "custom"] = "custom"
    config_ref: str | None = None
    config: AgentConfig = Field(default_factory=AgentConfig)

    @property
    def handler(self) -> str:
        return self.config.handler or self.id


class FlowStep(_Model):
    """An entry of ``definition.flow``."""

    step: int
    agent: str
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    checkpoints: list[str] = Field(default_factory=list)
    depends_on: list[int] = Field(default_factory=list)
    consensus_required: bool = False


class Policies(_Model):
    """``definition.policies``: defaults for every agent, and the retry budget."""

    timeout_per_agent_ms: int = Field(30_000, gt=0)
    max_retries: int = Field(3, ge=0)
    rollback_on_failure: bool = False
    on_failure: OnFailure | None = None
    backoff_base_ms: int = Field(100, ge=0)
    backoff_max_ms: int = Field(10_000, ge=0)
    jitter: float = Field(0.5, ge=0.0, le=1.0)
    #: retries of all steps of one execution together; stops runaway loops
    retry_budget: int = Field(20, ge=0)


class WorkflowDefinition(_Model):
    """A validated workflow definition. Build one with :func:`parse_workflow_definition`."""

    agents: list[AgentSpec] = Field(default_factory=list)
    flow: list[FlowStep] = Field(min_length=1)
    policies: Policies = Field(default_factory=Policies)

    @cached_property
    def agents_by_id(self) -> dict[str, AgentSpec]:
        return {a.id: a for a in self.agents}

    @cached_property
    def steps_by_number(self) -> dict[int, FlowStep]:
        return {s.step: s for s in self.flow}

    @cached_property
    def ancestors(self) -> dict[int, frozenset[int]]:
        """Every step's transitive dependencies."""
        result: dict[int, frozenset[int]] = {}

        def visit(n: int) -> frozenset[int]:
            if n not in result:
                deps = self.steps_by_number[n].depends_on
                acc: set[int] = set(deps)
                for d in deps:
                    acc |= visit(d)
                result[n] = frozenset(acc)
            return result[n]

        for s in self.flow:
            visit(s.step)
        return result

    @cached_property
    def external_inputs(self) -> frozenset[str]:
        """Inputs no step writes: they must come from ``input_params``."""
        written = {o for s in self.flow for o in s.outputs}
        return frozenset(i for s in self.flow for i in s.inputs if i not in written)

    def agent_of(self, step: FlowStep) -> AgentSpec:
        return self.agents_by_id[step.agent]

    def step_key(self, step: FlowStep) -> str:
        """The prefix of a step's checkpoint names: the agent id, or ``agent_stepN``."""
        uses = sum(1 for s in self.flow if s.agent == step.agent)
        return step.agent if uses == 1 else f"{step.agent}_step{step.step}"

    def timeout_ms(self, agent: AgentSpec) -> int:
        return agent.config.recovery_policies.timeout_ms or self.policies.timeout_per_agent_ms

    def to_json(self) -> dict[str, Any]:
        out = self.model_dump(mode="json", exclude_none=True)
        # An agent that references a config keeps only the keys it was given: they override
        # the referenced config, so its defaults must not be stored as if they were given.
        out["agents"] = [
            a.model_dump(mode="json", exclude_none=True, exclude_unset=True) if a.config_ref else o
            for a, o in zip(self.agents, out["agents"], strict=True)
        ]
        return out


#: the key of ``executions.metadata`` holding the agent configs an execution pinned at start:
#: ``{agent id: {"id", "name", "version", "framework", "config"}}``
PINNED_AGENT_CONFIGS = "agent_configs"


def config_refs(d: WorkflowDefinition) -> dict[str, str]:
    """The agents that reference an agent config: ``{agent id: config_ref}``."""
    return {a.id: a.config_ref for a in d.agents if a.config_ref}


def apply_agent_configs(
    d: WorkflowDefinition, pinned: Mapping[str, Mapping[str, Any]]
) -> WorkflowDefinition:
    """``d`` with each referencing agent's config taken from ``pinned`` (by agent id).

    The referenced config is the base; the agent's inline ``config`` keys override it, and
    its framework is the config's unless the definition states one (they must agree).
    Agents without a pinned config are left as they are.
    """
    if not pinned or not any(a.config_ref and a.id in pinned for a in d.agents):
        return d
    agents: list[AgentSpec] = []
    for a in d.agents:
        entry = pinned.get(a.id) if a.config_ref else None
        if entry is None:
            agents.append(a)
            continue
        agents.append(_resolved_agent(a, entry))
    return WorkflowDefinition(agents=agents, flow=d.flow, policies=d.policies)


def _resolved_agent(a: AgentSpec, entry: Mapping[str, Any]) -> AgentSpec:
    ref = a.config_ref
    framework = entry.get("framework") or a.framework
    if "framework" in a.model_fields_set and a.framework != framework:
        raise _invalid(
            f"agent '{a.id}' is declared framework '{a.framework}' but its agent config "
            f"'{ref}' is framework '{framework}'",
            "framework_mismatch",
            agent=a.id,
            config_ref=ref,
        )
    inline = a.config.model_dump(mode="json", exclude_unset=True)
    try:
        config = AgentConfig.model_validate({**dict(entry.get("config") or {}), **inline})
    except PydanticValidationError as exc:
        raise _pydantic_error(exc, f"agent config '{ref}' of agent '{a.id}'") from None
    try:
        return AgentSpec(id=a.id, name=a.name, framework=framework, config_ref=ref, config=config)
    except PydanticValidationError as exc:
        raise _pydantic_error(exc, f"agent '{a.id}'") from None


def _invalid(message: str, problem: str, **details: Any) -> ValidationError:
    return ValidationError(
        message, code=ErrorCode.INVALID_INPUT, details={"problem": problem, **details}
    )


def parse_agent_config(raw: Mapping[str, Any]) -> AgentConfig:
    """Validate an LLD agent config, reporting the first bad field by its path."""
    try:
        return AgentConfig.model_validate(dict(raw))
    except PydanticValidationError as exc:
        raise _pydantic_error(exc, "agent config") from None


def _pydantic_error(exc: PydanticValidationError, what: str) -> ValidationError:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or what
    return ValidationError(
        f"invalid {what}: {path}: {first['msg']}",
        code=ErrorCode.INVALID_FIELD_FORMAT,
        details={
            "problem": "schema",
            "path": path,
            "errors": [
                {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors()
            ],
        },
    )


def parse_workflow_definition(raw: Mapping[str, Any] | WorkflowDefinition) -> WorkflowDefinition:
    """Validate a definition: schema, then the graph (agents, cycles, inputs, writers)."""
    if isinstance(raw, WorkflowDefinition):
        definition = raw
    else:
        try:
            definition = WorkflowDefinition.model_validate(dict(raw))
        except PydanticValidationError as exc:
            raise _pydantic_error(exc, "workflow definition") from None
    _check_graph(definition)
    return definition


def _check_graph(d: WorkflowDefinition) -> None:
    seen_agents: set[str] = set()
    for a in d.agents:
        if a.id in seen_agents:
            raise _invalid(f"agent '{a.id}' is defined twice", "duplicate_agent", agent=a.id)
        seen_agents.add(a.id)
    numbers: set[int] = set()
    for s in d.flow:
        if s.step in numbers:
            raise _invalid(f"step {s.step} is defined twice", "duplicate_step", step=s.step)
        numbers.add(s.step)
        if s.agent not in d.agents_by_id:
            known = ", ".join(sorted(d.agents_by_id)) or "none"
            raise _invalid(
                f"step {s.step} uses unknown agent '{s.agent}' (defined agents: {known})",
                "unknown_agent",
                step=s.step,
                agent=s.agent,
            )
        for dep in s.depends_on:
            if dep not in numbers | {x.step for x in d.flow}:
                raise _invalid(
                    f"step {s.step} depends on step {dep}, which does not exist",
                    "unknown_dependency",
                    step=s.step,
                    depends_on=dep,
                )
    cycle = _find_cycle(d)
    if cycle:
        path = " -> ".join(str(n) for n in cycle)
        raise _invalid(f"depends_on has a cycle: {path}", "cycle", cycle=cycle)
    writers: dict[str, list[int]] = {}
    for s in d.flow:
        for o in s.outputs:
            writers.setdefault(o, []).append(s.step)
    anc = d.ancestors
    for key, steps in writers.items():
        for i, x in enumerate(steps):
            for y in steps[i + 1 :]:
                if x not in anc[y] and y not in anc[x]:
                    raise _invalid(
                        f"output '{key}' is written by steps {x} and {y}, which can run in "
                        f"parallel; make one depend on the other or rename one output",
                        "parallel_writers",
                        output=key,
                        steps=[x, y],
                    )
    for s in d.flow:
        for key in s.inputs:
            producers = writers.get(key, [])
            if producers and not any(p in anc[s.step] for p in producers):
                raise _invalid(
                    f"input '{key}' of step {s.step} is written by step(s) "
                    f"{', '.join(map(str, producers))}, which step {s.step} does not depend on",
                    "missing_input",
                    step=s.step,
                    input=key,
                )


def _find_cycle(d: WorkflowDefinition) -> list[int] | None:
    graph = {s.step: s.depends_on for s in d.flow}
    state: dict[int, int] = {}
    stack: list[int] = []

    def dfs(n: int) -> list[int] | None:
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, []):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state:
                found = dfs(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in graph:
        if n not in state:
            found = dfs(n)
            if found:
                return found
    return None


def check_input_params(d: WorkflowDefinition, input_params: Mapping[str, Any]) -> None:
    """Every input no step writes must be in ``input_params`` (MISSING_REQUIRED_FIELD)."""
    missing = sorted(k for k in d.external_inputs if k not in input_params)
    if missing:
        needers = {k: [s.step for s in d.flow if k in s.inputs] for k in missing}
        first = missing[0]
        raise ValidationError(
            f"input '{first}' of step {needers[first][0]} is provided by no earlier step and "
            f"is missing from input_params",
            code=ErrorCode.MISSING_REQUIRED_FIELD,
            details={"problem": "missing_input", "missing": missing, "needed_by": needers},
        )


def load_workflow_file(path: str | Path) -> WorkflowDefinition:
    """Read a definition from a ``.yaml``/``.yml`` or ``.json`` file and validate it."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise _invalid(f"cannot parse {p.name}: {exc}", "syntax", file=str(p)) from None
    if not isinstance(raw, dict):
        raise _invalid(f"{p.name} does not hold a mapping", "syntax", file=str(p))
    # A file may hold the definition itself or {name, definition}.
    body = raw.get("definition", raw)
    if isinstance(body, dict):
        body = inline_config_files(body, p.parent)
    return parse_workflow_definition(body)


CONFIG_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def inline_config_files(definition: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Resolve the ``config_ref`` of a workflow *file* that names a YAML/JSON file (relative
    to ``base_dir``): the file's config becomes the agent's inline ``config`` (inline keys
    win) and the reference is dropped. Other references (agent config ids) are kept.

    The file holds an agent_configs document (``config``, and optionally ``framework``) or
    the config alone. Only the CLI and ``omium.run`` read files; the API takes ids only.
    """
    agents = definition.get("agents")
    if not isinstance(agents, list):
        return definition
    resolved: list[Any] = []
    for agent in agents:
        ref = agent.get("config_ref") if isinstance(agent, dict) else None
        if not (isinstance(ref, str) and ref.lower().endswith(CONFIG_FILE_SUFFIXES)):
            resolved.append(agent)
            continue
        doc = _read_config_file(base_dir / ref, str(agent.get("id")), ref)
        config = doc["config"] if isinstance(doc.get("config"), dict) else doc
        inline = agent.get("config") if isinstance(agent.get("config"), dict) else {}
        merged = {k: v for k, v in agent.items() if k != "config_ref"}
        merged["config"] = {**config, **inline}
        if "framework" not in agent and isinstance(doc.get("framework"), str):
            merged["framework"] = doc["framework"]
        resolved.append(merged)
    return {**definition, "agents": resolved}


def _read_config_file(path: Path, agent_id: str, ref: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise _invalid(
            f"agent '{agent_id}': config_ref file '{ref}' cannot be read: {exc.strerror}",
            "config_ref_file",
            agent=agent_id,
            config_ref=ref,
        ) from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise _invalid(
            f"agent '{agent_id}': config_ref file '{ref}' is not valid YAML/JSON: {exc}",
            "config_ref_file",
            agent=agent_id,
            config_ref=ref,
        ) from None
    if not isinstance(doc, dict):
        raise _invalid(
            f"agent '{agent_id}': config_ref file '{ref}' does not hold a mapping",
            "config_ref_file",
            agent=agent_id,
            config_ref=ref,
        )
    return doc
