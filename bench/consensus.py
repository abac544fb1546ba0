"""Throughput of the consensus log: handoffs (elect + broadcast + acks) per second.

    python bench/consensus.py --database-url postgresql://postgres@127.0.0.1:5432/omium_bench \
        --processes 4 --handoffs 200

Each process runs its own execution's handoffs (elect at the next term, broadcast to three
receivers, three acks) and, in contended mode, all processes share one execution so their
elections and appends race on the same term row. Prints handoffs/s and the median latency.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
import uuid

from omium.schemas.consensus import (
    AcknowledgeMessageRequest,
    BroadcastMessageRequest,
    ConsensusOutcome,
    ElectLeaderRequest,
)
from omium.services.consensus import ConsensusService
from omium.store.db import Database
from omium.store.migrate import upgrade
from omium.store.models import Agent, Execution, Tenant, User, Workflow
from omium.types import MessageType


def _setup(db: Database, agents: int) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    with db.session() as session:
        tenant = Tenant(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
        session.add(tenant)
        session.flush()
        user = User(tenant_id=tenant.id, email=f"{uuid.uuid4().hex[:8]}@bench.test")
        session.add(user)
        session.flush()
        workflow = Workflow(
            tenant_id=tenant.id, created_by=user.id, name="bench", definition={"flow": []}
        )
        session.add(workflow)
        session.flush()
        execution = Execution(tenant_id=tenant.id, workflow_id=workflow.id)
        session.add(execution)
        session.flush()
        ids = []
        for i in range(agents):
            agent = Agent(execution_id=execution.id, name=f"a{i}", agent_type="custom", config={})
            session.add(agent)
            session.flush()
            ids.append(agent.id)
        session.commit()
        return tenant.id, execution.id, ids


def _handoffs(
    url: str, tenant: uuid.UUID, execution: uuid.UUID, agents: list[uuid.UUID], count: int
) -> list[float]:
    service = ConsensusService(Database(url))
    latencies = []
    sender = agents[0]
    for _ in range(count):
        started = time.perf_counter()
        while True:
            term = service.status(tenant, execution).current_term + 1
            if service.elect_leader(
                tenant,
                ElectLeaderRequest(execution_id=execution, candidate_agent_id=sender, term=term),
            ).elected:
                break
        try:
            sent = service.broadcast(
                tenant,
                BroadcastMessageRequest(
                    execution_id=execution,
                    sender_agent_id=sender,
                    receiver_agent_ids=agents[1:4],
                    message_type=MessageType.HANDOFF,
                    message={"state": {"n": 1}},
                    term=term,
                ),
            )
        except Exception:
            continue  # another process won the next term between our election and append
        for receiver in agents[1:4]:
            result = service.acknowledge(
                tenant,
                AcknowledgeMessageRequest(
                    consensus_log_id=sent.consensus_log_id, agent_id=receiver
                ),
            )
        assert result.outcome is ConsensusOutcome.REACHED
        latencies.append(time.perf_counter() - started)
    return latencies


def _worker(args: tuple[str, uuid.UUID, uuid.UUID, list[uuid.UUID], int]) -> list[float]:
    return _handoffs(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--handoffs", type=int, default=100, help="per process")
    parser.add_argument("--contended", action="store_true", help="one shared execution")
    args = parser.parse_args()
    db = Database(args.database_url)
    upgrade(db.engine)
    jobs = []
    shared = _setup(db, 4 + args.processes)
    for i in range(args.processes):
        tenant, execution, agents = shared if args.contended else _setup(db, 4)
        if args.contended:
            agents = [agents[4 + i], *agents[:3]]
        jobs.append((args.database_url, tenant, execution, agents, args.handoffs))
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(_worker, jobs)
    elapsed = time.perf_counter() - started
    latencies = [value for result in results for value in result]
    print(
        f"{len(latencies)} handoffs in {elapsed:.2f}s: {len(latencies) / elapsed:.1f}/s, "
        f"median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:.1f} ms "
        f"({args.processes} processes, {'one shared' if args.contended else 'own'} execution)"
    )


if __name__ == "__main__":
    main()
