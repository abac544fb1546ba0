"""Agents of the client tests (names unique to them: the registry is process-wide)."""

from __future__ import annotations

from typing import Any

from omium.agents import AgentContext, agent


@agent("clienttest_score")
def score(ctx: AgentContext) -> dict[str, Any]:
    return {"score": 300 + len(str(ctx["applicant"])) * 10}


@agent("clienttest_offer")
def offer(ctx: AgentContext) -> dict[str, Any]:
    return {"offer": {"apr": 0.05, "limit": ctx["score"] * 10}}


def definition(*, fault: bool = True) -> dict[str, Any]:
    """Score, then offer; the offer hallucinates a 0% APR on its first attempt and waits for
    a person (manual_intervention)."""
    offer_config: dict[str, Any] = {
        "handler": "clienttest_offer",
        "checkpoints": [
            {"name": "offer_made", "postconditions": ["offer.apr >= 0.025 && offer.apr <= 0.085"]}
        ],
        "recovery_policies": {"on_failure": "manual_intervention", "max_retries": 2},
    }
    if fault:
        offer_config["faults"] = [
            {"kind": "output", "attempts": [1], "output": {"offer": {"apr": 0.0, "limit": 1}}}
        ]
    return {
        "agents": [
            {"id": "scorer", "config": {"handler": "clienttest_score"}},
            {"id": "offerer", "config": offer_config},
        ],
        "flow": [
            {"step": 1, "agent": "scorer", "inputs": ["applicant"], "outputs": ["score"]},
            {
                "step": 2,
                "agent": "offerer",
                "inputs": ["score"],
                "outputs": ["offer"],
                "checkpoints": ["offer_made"],
                "depends_on": [1],
            },
        ],
    }
