"""Failure classification: type, severity, root cause and a concrete suggested fix (LLD failures).

- ``timeout``: the agent did not return within its timeout.
- ``tool_invocation``: an exception in the agent or one of its tools.
- ``validation_error``: a precondition failed, or a postcondition on structure (a missing or
  null field), or a declared output was not returned.
- ``hallucination``: a postcondition on a generated value's content or range failed.
- ``state_sync``: conflicting writes, or checksum trouble when restoring a checkpoint.
- ``consensus_violation``: a handoff that did not reach consensus.

The fix is derived from the failing condition, e.g. for ``offer.apr >= 0.025 && offer.apr <=
0.085``: "Add the constraint 0.025 <= offer.apr <= 0.085 to the offer agent's prompt".
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from typing import Any

from omium.conditions.cel import ConditionFailure, is_structural
from omium.types import FailureType, Severity

SEVERITY: dict[FailureType, Severity] = {
    FailureType.TIMEOUT: Severity.MEDIUM,
    FailureType.TOOL_INVOCATION: Severity.HIGH,
    FailureType.VALIDATION_ERROR: Severity.MEDIUM,
    FailureType.HALLUCINATION: Severity.HIGH,
    FailureType.STATE_SYNC: Severity.CRITICAL,
    FailureType.CONSENSUS_VIOLATION: Severity.HIGH,
}

#: Failures worth retrying as they are: the next attempt may well succeed.
TRANSIENT: frozenset[FailureType] = frozenset(
    {FailureType.TIMEOUT, FailureType.TOOL_INVOCATION, FailureType.STATE_SYNC}
)


@dataclass(frozen=True)
class Classified:
    """A failure ready to be recorded as a ``failures`` row."""

    failure_type: FailureType
    message: str
    root_cause: str
    suggested_fix: str
    stack_trace: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.failure_type]

    @property
    def transient(self) -> bool:
        return self.failure_type in TRANSIENT


def agent_phrase(agent_id: str) -> str:
    """``offer_agent`` -> "the offer agent"."""
    base = re.sub(r"[_\-]?agent$", "", agent_id).replace("_", " ").replace("-", " ").strip()
    return f"the {base or agent_id} agent"


_RANGE = re.compile(
    r"^\s*(?P<a>[\w.]+)\s*(?P<op1>>=|>)\s*(?P<lo>-?[\d.]+)\s*&&\s*(?P<b>[\w.]+)\s*"
    r"(?P<op2><=|<)\s*(?P<hi>-?[\d.]+)\s*$"
)
_RANGE_REV = re.compile(
    r"^\s*(?P<b>[\w.]+)\s*(?P<op2><=|<)\s*(?P<hi>-?[\d.]+)\s*&&\s*(?P<a>[\w.]+)\s*"
    r"(?P<op1>>=|>)\s*(?P<lo>-?[\d.]+)\s*$"
)


def constraint_text(expression: str) -> str:
    """A condition as a human writes it: ranges read ``lo <= x <= hi``."""
    for pattern in (_RANGE, _RANGE_REV):
        m = pattern.match(expression)
        if m and m["a"] == m["b"]:
            op1 = "<=" if m["op1"] == ">=" else "<"
            return f"{m['lo']} {op1} {m['a']} {m['op2']} {m['hi']}"
    return expression


def _producer_hint(paths: list[str], producers: dict[str, str]) -> str | None:
    for p in paths:
        top = p.split(".")[0]
        if top in producers:
            return producers[top]
    return None


def classify_precondition(
    agent_id: str, step: int, failure: ConditionFailure, producers: dict[str, str]
) -> Classified:
    """A precondition did not hold on the state the step was given."""
    paths = list(failure.values)
    producer = _producer_hint(paths, producers)
    source = f"{agent_phrase(producer)} (which writes it)" if producer else "input_params"
    return Classified(
        FailureType.VALIDATION_ERROR,
        f"Precondition failed before {agent_id} (step {step}): {failure.describe()}",
        root_cause=f"The state handed to {agent_id} does not satisfy `{failure.expression}`: "
        + ", ".join(f"{k} = {v!r}" for k, v in failure.values.items()),
        suggested_fix=f"Make {source} provide a value satisfying "
        f"`{constraint_text(failure.expression)}` before step {step} runs",
        metadata={
            "phase": "precondition",
            "expression": failure.expression,
            "values": _jsonable(failure.values),
            "outcome": failure.outcome,
        },
    )


def classify_postcondition(agent_id: str, step: int, failure: ConditionFailure) -> Classified:
    """A postcondition did not hold on the agent's output: structure or content?"""
    missing = failure.outcome == "error" and (
        "KeyError" in (failure.error or "")
        or "Undefined" in (failure.error or "")
        or "<missing>" in failure.values.values()
    )
    structural = missing or is_structural(failure.expression)
    constraint = constraint_text(failure.expression)
    meta = {
        "phase": "postcondition",
        "expression": failure.expression,
        "values": _jsonable(failure.values),
        "outcome": failure.outcome,
    }
    if structural:
        fields = ", ".join(failure.values) or failure.expression
        return Classified(
            FailureType.VALIDATION_ERROR,
            f"Postcondition failed after {agent_id} (step {step}): {failure.describe()}",
            root_cause=f"{agent_id} returned output without the structure "
            f"`{failure.expression}` requires (checked {fields})",
            suggested_fix=f"Make {agent_phrase(agent_id)} always return {fields} so that "
            f"`{constraint}` holds (e.g. state the output schema in its prompt)",
            metadata=meta,
        )
    values = ", ".join(f"{k} = {v!r}" for k, v in failure.values.items())
    return Classified(
        FailureType.HALLUCINATION,
        f"Postcondition failed after {agent_id} (step {step}): {failure.describe()}",
        root_cause=f"{agent_id} generated {values}, outside what `{failure.expression}` allows",
        suggested_fix=f"Add the constraint {constraint} to {agent_phrase(agent_id)}'s prompt",
        metadata={**meta, "constraint": constraint},
    )


def classify_missing_outputs(agent_id: str, step: int, missing: list[str]) -> Classified:
    keys = ", ".join(missing)
    return Classified(
        FailureType.VALIDATION_ERROR,
        f"{agent_id} (step {step}) did not return declared output(s): {keys}",
        root_cause=f"step {step} declares outputs {keys}, which {agent_id} did not return",
        suggested_fix=f"Return {keys} from {agent_phrase(agent_id)}, or remove "
        f"{'it' if len(missing) == 1 else 'them'} from step {step}'s outputs",
        metadata={"phase": "outputs", "missing": missing},
    )


def classify_timeout(agent_id: str, step: int, timeout_ms: int) -> Classified:
    return Classified(
        FailureType.TIMEOUT,
        f"{agent_id} (step {step}) did not finish within {timeout_ms} ms",
        root_cause=f"{agent_id} was still running after its timeout of {timeout_ms} ms",
        suggested_fix=f"Raise recovery_policies.timeout_ms of {agent_id} above {timeout_ms} ms "
        "(or policies.timeout_per_agent_ms), or make the agent answer faster "
        "(fewer tool calls, smaller max_tokens)",
        metadata={"phase": "agent", "timeout_ms": timeout_ms},
    )


def classify_exception(agent_id: str, step: int, exc: BaseException) -> Classified:
    """An exception raised by the agent or one of its tools."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" in {last.name} ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
    kind = type(exc).__name__
    return Classified(
        FailureType.TOOL_INVOCATION,
        f"{agent_id} (step {step}) raised {kind}: {exc}",
        root_cause=f"{kind}{where}: {exc}",
        suggested_fix=f"Fix the {kind}{where} in {agent_id} or its tool; if the failure is "
        "transient, keep recovery_policies.on_failure = retry with max_retries >= 1",
        stack_trace="".join(traceback.format_exception(exc))[-8000:],
        metadata={"phase": "agent", "exception": kind},
    )


def classify_unknown_handler(agent_id: str, step: int, handler: str) -> Classified:
    return Classified(
        FailureType.TOOL_INVOCATION,
        f"{agent_id} (step {step}): no agent is registered under the name '{handler}'",
        root_cause=f"the worker has no agent '{handler}' in its allow-list",
        suggested_fix=f"Register '{handler}' with @omium.agent in a module listed in "
        "OMIUM_AGENT_MODULES or exposed by the 'omium.agents' entry-point group",
        metadata={"phase": "agent", "handler": handler, "permanent": True},
    )


def classify_state_sync(agent_id: str | None, step: int | None, detail: str) -> Classified:
    return Classified(
        FailureType.STATE_SYNC,
        f"state could not be restored or merged: {detail}",
        root_cause=detail,
        suggested_fix="Roll back to an earlier checkpoint whose checksum verifies, and check "
        "the blob store for damaged or missing objects",
        metadata={"phase": "state", "agent": agent_id, "step": step},
    )


def classify_consensus(agent_id: str, step: int, detail: str) -> Classified:
    return Classified(
        FailureType.CONSENSUS_VIOLATION,
        f"handoff after {agent_id} (step {step}) did not reach consensus: {detail}",
        root_cause=detail,
        suggested_fix="Check the receivers' preconditions against the handed-over state, "
        "or lower acks_required in the consensus policy",
        metadata={"phase": "consensus"},
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = (
            v if isinstance(v, str | int | float | bool | type(None) | list | dict) else repr(v)
        )
    return out
