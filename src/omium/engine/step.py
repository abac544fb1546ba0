"""One attempt of one step: preconditions, the agent under its timeout, postconditions.

No database here: the runner records what this returns. Injected faults (agent config
``faults``) act at the agent call, exactly where real failures happen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from omium.agents.context import AgentContext
from omium.agents.runtime import UnknownAgent, runtime_for
from omium.conditions.cel import evaluate_all
from omium.domain import failures as fx
from omium.domain.workflow import AgentSpec, FlowStep, WorkflowDefinition

log = logging.getLogger("omium.agent")


class InjectedFault(RuntimeError):
    """The exception a ``raise`` fault throws."""


@dataclass
class StepOutcome:
    step: int
    attempt: int
    outputs: dict[str, Any] = field(default_factory=dict)
    failure: fx.Classified | None = None
    duration_ms: int = 0


def producers(definition: WorkflowDefinition) -> dict[str, str]:
    """Which agent writes each state key (for precondition fixes)."""
    return {o: s.agent for s in definition.flow for o in s.outputs}


async def run_attempt(
    definition: WorkflowDefinition,
    step: FlowStep,
    agent: AgentSpec,
    state: dict[str, Any],
    *,
    execution_id: uuid.UUID,
    tenant_id: uuid.UUID,
    attempt: int,
    prompt: str | None,
    cancel: Any,
    rng: random.Random,
) -> StepOutcome:
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = StepOutcome(step.step, attempt)

    def done(failure: fx.Classified | None = None) -> StepOutcome:
        outcome.failure = failure
        outcome.duration_ms = int((loop.time() - started) * 1000)
        return outcome

    config = agent.config
    pre = evaluate_all(config.preconditions, state) if config.preconditions else None
    if pre is not None:
        return done(fx.classify_precondition(agent.id, step.step, pre, producers(definition)))
    runtime = runtime_for(agent.framework)
    if runtime is None:
        return done(fx.classify_unknown_handler(agent.id, step.step, f"{agent.framework} runtime"))
    inputs = {k: state[k] for k in step.inputs if k in state} if step.inputs else dict(state)
    # The attempt's own stop signal: set when the runner is interrupted (cancel, lost lease)
    # or the timeout passes, which cancels the agent call; a sync agent's thread is
    # interrupted too and its late result dropped (omium.agents.threads).
    stop = threading.Event()
    if cancel is not None and cancel.is_set():
        stop.set()
    ctx = AgentContext(
        execution_id=execution_id,
        tenant_id=tenant_id,
        step=step.step,
        agent_id=agent.id,
        attempt=attempt,
        inputs=inputs,
        config=config.model_dump(mode="json", exclude_none=True),
        logger=log.getChild(agent.id),
        prompt=prompt,
        _cancel=stop,
    )
    timeout_ms = definition.timeout_ms(agent)
    try:
        # In this task (wait_for would run the call in a task of its own: one more task and
        # more loop turns per step); the timeout cancels it here all the same.
        async with asyncio.timeout(timeout_ms / 1000):
            outputs = await _call(runtime, agent, ctx, attempt, rng)
    except TimeoutError:
        stop.set()
        return done(fx.classify_timeout(agent.id, step.step, timeout_ms))
    except UnknownAgent as exc:
        return done(fx.classify_unknown_handler(agent.id, step.step, str(exc)))
    except asyncio.CancelledError:
        stop.set()
        raise
    except Exception as exc:
        return done(fx.classify_exception(agent.id, step.step, exc))
    if step.outputs:
        missing = [k for k in step.outputs if k not in outputs]
        if missing:
            return done(fx.classify_missing_outputs(agent.id, step.step, missing))
        outputs = {k: outputs[k] for k in step.outputs}
    outcome.outputs = outputs
    if config.postconditions:
        post = evaluate_all(config.postconditions, {**state, **outputs})
        if post is not None:
            return done(fx.classify_postcondition(agent.id, step.step, post))
    return done()


async def _call(
    runtime: Any, agent: AgentSpec, ctx: AgentContext, attempt: int, rng: random.Random
) -> dict[str, Any]:
    for fault in agent.config.faults:
        if not fault.fires(attempt, rng.random()):
            continue
        if fault.kind == "raise":
            raise InjectedFault(fault.message)
        if fault.kind == "timeout":
            await asyncio.sleep(3600)
        if fault.kind == "crash":
            # A hard crash of the worker process, as a SIGKILL or an OOM kill would do.
            os._exit(137)
        if fault.kind == "output":
            real: dict[str, Any] = await runtime.invoke(agent.handler, ctx)
            return {**real, **fault.output}
    result: dict[str, Any] = await runtime.invoke(agent.handler, ctx)
    return result
