"""Recovery policy decisions: what to do after a failure, pure and testable alone.

Precedence: the agent's ``recovery_policies.on[<failure type>]``, then its ``on_failure``,
then the workflow's ``policies.on_failure``, then ``rollback`` when ``rollback_on_failure``,
then ``retry`` for transient failures (timeout, tool_invocation, state_sync) and ``fail``
otherwise. Retrying actions (retry, rollback, prompt_edit) stop at ``max_retries`` per step and
at the workflow's ``retry_budget`` per execution; then the execution fails.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from omium.domain.failures import Classified
from omium.domain.workflow import AgentSpec, OnFailure, Policies

RETRYING: frozenset[str] = frozenset({"retry", "rollback", "prompt_edit"})
PAUSING: frozenset[str] = frozenset({"manual_intervention", "escalate"})


@dataclass(frozen=True)
class Decision:
    """The chosen action; ``delay_s`` before the next attempt; ``reason`` for the record."""

    action: OnFailure
    delay_s: float = 0.0
    reason: str = ""
    max_retries: int = 0


def backoff_delay(
    retry_number: int, base_ms: int, max_ms: int, jitter: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter, in seconds: base·2^(n-1), capped, minus up to jitter."""
    if base_ms <= 0:
        return 0.0
    raw = float(min(max_ms, base_ms * 2 ** max(0, retry_number - 1)))
    r: float = (rng or random).random()
    return raw * (1.0 - jitter * r) / 1000.0


def choose_action(failure: Classified, agent: AgentSpec, policies: Policies) -> OnFailure:
    rp = agent.config.recovery_policies
    by_type = rp.on.get(failure.failure_type.value)
    if by_type:
        return by_type
    if rp.on_failure:
        return rp.on_failure
    if policies.on_failure:
        return policies.on_failure
    if failure.metadata.get("permanent"):
        return "fail"
    if policies.rollback_on_failure:
        return "rollback"
    return "retry" if failure.transient else "fail"


def decide(
    failure: Classified,
    agent: AgentSpec,
    policies: Policies,
    *,
    step_retries: int,
    execution_retries: int,
    rng: random.Random | None = None,
) -> Decision:
    """What to do about ``failure`` after ``step_retries`` retries of this step so far."""
    action = choose_action(failure, agent, policies)
    rp = agent.config.recovery_policies
    max_retries = rp.max_retries if rp.max_retries is not None else policies.max_retries
    if action in RETRYING:
        if step_retries >= max_retries:
            return Decision(
                "fail", reason=f"max_retries ({max_retries}) exhausted", max_retries=max_retries
            )
        if execution_retries >= policies.retry_budget:
            return Decision(
                "fail",
                reason=f"retry budget of the execution ({policies.retry_budget}) exhausted",
                max_retries=max_retries,
            )
        delay = backoff_delay(
            step_retries + 1,
            rp.backoff_base_ms if rp.backoff_base_ms is not None else policies.backoff_base_ms,
            rp.backoff_max_ms if rp.backoff_max_ms is not None else policies.backoff_max_ms,
            rp.jitter if rp.jitter is not None else policies.jitter,
            rng,
        )
        return Decision(action, delay, f"retry {step_retries + 1} of {max_retries}", max_retries)
    return Decision(action, reason=f"policy: {action}", max_retries=max_retries)


def edited_prompt(agent: AgentSpec, failure: Classified) -> str:
    """The prompt a prompt_edit applies: the configured one, or the old one plus the fix."""
    configured = agent.config.recovery_policies.prompt_edit
    if configured:
        return configured
    base = agent.config.prompt or agent.config.goal or ""
    constraint = failure.metadata.get("constraint") or failure.metadata.get("expression")
    addition = f"Constraint: {constraint}." if constraint else f"Note: {failure.suggested_fix}."
    return f"{base}\n{addition}".strip()
