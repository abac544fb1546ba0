"""Consensus invariants under concurrent interleavings: several processes on PostgreSQL.

Hypothesis draws a plan per process (elections at various terms, broadcasts, acks valid or
invalid, repeated); the plans run at the same moment in separate worker processes. Whatever
the interleaving: at most one leader per term, terms never decrease, log indexes are dense and
unique, an ack is counted once, and consensus_reached never goes back to false.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from omium.store.db import Database
from omium.store.models import ConsensusAck, ConsensusLog, ConsensusTerm
from tests.factories import make_agent, make_execution, make_tenant, make_user, make_workflow
from tests.integration import consensus_worker

pytestmark = pytest.mark.postgres_only

WORKERS = 3
AGENTS = 4

op = st.one_of(
    st.tuples(st.just("elect"), st.integers(1, 6)),
    st.tuples(st.just("broadcast")),
    st.tuples(st.just("ack"), st.integers(0, 5), st.integers(0, AGENTS - 1), st.booleans()),
)
plans = st.lists(st.lists(op, min_size=1, max_size=8), min_size=WORKERS, max_size=WORKERS)


@pytest.fixture(scope="module")
def pool(database_url: str, migrated_db: Database) -> Iterator[tuple[ProcessPoolExecutor, Any]]:
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    executor = ProcessPoolExecutor(
        WORKERS, mp_context=context, initializer=consensus_worker.init, initargs=(database_url,)
    )
    try:
        yield executor, manager
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        manager.shutdown()


def _new_execution(db: Database) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    with db.session() as session:
        tenant = make_tenant(session)
        workflow = make_workflow(session, tenant, make_user(session, tenant))
        execution = make_execution(session, workflow)
        agents = [make_agent(session, execution, name=f"agent{i}").id for i in range(AGENTS)]
        session.commit()
        return tenant.id, execution.id, agents


def _check_invariants(db: Database, execution: uuid.UUID, reports: list[dict[str, Any]]) -> None:
    # At most one leader per term, and the stored term is the highest one granted.
    granted: dict[int, list[str]] = defaultdict(list)
    for report in reports:
        for term, candidate, elected in report["elections"]:
            if elected:
                granted[term].append(candidate)
    assert all(len(leaders) == 1 for leaders in granted.values()), granted
    with db.session() as session:
        term_row = session.get(ConsensusTerm, execution)
        if granted:
            assert term_row is not None
            top = max(granted)
            assert (term_row.current_term, str(term_row.leader_agent_id)) == (
                top,
                granted[top][0],
            )
        else:
            assert term_row is None

        # Terms never decrease and consensus_reached never turns back, as each process saw.
        for report in reports:
            terms = [seen["term"] for seen in report["observations"]]
            assert terms == sorted(terms)
            reached: set[str] = set()
            for seen in report["observations"]:
                assert reached <= {log for log, done in seen["reached"].items() if done}
                reached |= {log for log, done in seen["reached"].items() if done}

        # Indexes dense and unique; each entry written by the leader of its term.
        entries = list(
            session.scalars(select(ConsensusLog).where(ConsensusLog.execution_id == execution))
        )
        assert sorted(entry.log_index for entry in entries) == list(range(1, len(entries) + 1))
        for entry in entries:
            assert granted[entry.term] == [str(entry.sender_agent_id)]

        # An ack counted once: the counters equal the distinct ack rows, whatever the repeats.
        for entry in entries:
            rows = list(
                session.scalars(
                    select(ConsensusAck).where(ConsensusAck.consensus_log_id == entry.id)
                )
            )
            assert len({row.agent_id for row in rows}) == len(rows)
            valid = sum(1 for row in rows if row.valid)
            assert entry.acks_received == valid
            assert entry.rejections == len(rows) - valid
            assert entry.consensus_reached == (valid >= entry.acks_required)
        answered = Counter(
            (log, agent, valid) for report in reports for log, agent, valid in report["acks"]
        )
        stored = {
            (str(row.consensus_log_id), str(row.agent_id)): bool(row.valid)
            for row in session.scalars(
                select(ConsensusAck)
                .join(ConsensusLog)
                .where(ConsensusLog.execution_id == execution)
            )
        }
        for log, agent, valid in answered:
            assert stored[(log, agent)] == valid
        assert session.scalar(
            select(func.count())
            .select_from(ConsensusLog)
            .where(ConsensusLog.execution_id == execution)
        ) == sum(len(report["broadcasts"]) for report in reports)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=plans)
def test_invariants_hold_under_concurrent_processes(
    db: Database, pool: tuple[ProcessPoolExecutor, Any], plans: list[list[tuple[Any, ...]]]
) -> None:
    executor, manager = pool
    tenant, execution, agents = _new_execution(db)
    barrier = manager.Barrier(WORKERS)
    # The barrier holds each plan until all are running: three plans, three processes.
    futures = [
        executor.submit(
            consensus_worker.run, barrier, tenant, execution, agents[i], agents, plans[i]
        )
        for i in range(WORKERS)
    ]
    reports = [future.result(timeout=90) for future in futures]
    _check_invariants(db, execution, reports)


def test_a_burst_of_elections_for_one_term_has_one_winner(
    db: Database, pool: tuple[ProcessPoolExecutor, Any]
) -> None:
    executor, manager = pool
    tenant, execution, agents = _new_execution(db)
    barrier = manager.Barrier(WORKERS)
    plan = [("elect", term) for term in range(1, 21)] + [("broadcast",)] * 3
    futures = [
        executor.submit(consensus_worker.run, barrier, tenant, execution, agents[i], agents, plan)
        for i in range(WORKERS)
    ]
    reports = [future.result(timeout=90) for future in futures]
    winners = Counter(
        term for report in reports for term, _, elected in report["elections"] if elected
    )
    assert set(winners) == set(range(1, 21)) and set(winners.values()) == {1}
    _check_invariants(db, execution, reports)
