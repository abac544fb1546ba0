"""The handoff hook: between a step's committed checkpoints and its successors' start."""

from __future__ import annotations

from typing import Any

from omium.domain import failures as fx
from omium.engine.runner import HandoffContext
from tests.engine.conftest import Env, linear


def consensus_workflow(**policies: Any) -> dict[str, Any]:
    wf = linear(3)
    wf["flow"][0]["consensus_required"] = True
    wf["policies"] = policies
    return wf


def test_hook_runs_after_the_step_checkpoint_and_before_successors(env: Env) -> None:
    seen: list[tuple[int, list[int], str | None]] = []

    def hook(ctx: HandoffContext) -> fx.Classified | None:
        current = env.executions.get(env.tenant_id, ctx.execution_id)
        seen.append(
            (ctx.step.step, [s.step for s in ctx.successors], current.last_successful_checkpoint)
        )
        assert [a.status for a in current.agents] == ["completed", "pending", "pending"]
        return None

    env.engine.deps.handoff = hook
    ex = env.run(consensus_workflow())
    assert ex.status == "completed", ex.error
    assert seen == [(1, [2], "a1_complete")]


def test_failed_handoff_is_a_consensus_violation(env: Env) -> None:
    env.engine.deps.handoff = lambda ctx: fx.classify_consensus(
        ctx.step.agent, ctx.step.step, "1 of 2 acks before the timeout"
    )
    ex = env.run(consensus_workflow(on_failure="manual_intervention"))
    assert ex.status == "paused"
    [f] = env.recovery.list_failures(env.tenant_id, execution_id=ex.id)[0]
    assert f.failure_type == "consensus_violation" and f.recovery_status == "pending"
    env.engine.deps.handoff = lambda ctx: fx.classify_consensus(ctx.step.agent, 1, "no quorum")
    failed = env.run(consensus_workflow())
    assert failed.status == "failed" and "no quorum" in (failed.error or "")
