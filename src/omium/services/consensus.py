"""The consensus coordinator (LLD §3.2, DESIGN.md "Consensus").

A per-execution log with terms, kept in the database, for handoffs between agents:

- ``elect_leader`` grants a term only above the current one, in one compare-and-set statement
  (``INSERT ... ON CONFLICT DO UPDATE ... WHERE current_term < :term RETURNING``): at most one
  leader per term, terms never decrease, whatever the number of processes.
- ``broadcast`` appends at the next log index under the lock of the execution's term row, so
  indexes are dense and unique, and only the leader of the current term can append.
- ``acknowledge`` records one ack per agent (the first answer stands; a repeat is a no-op) and
  counts it in the same transaction; ``consensus_reached`` is only ever OR-ed, never cleared.

Every call is scoped to a tenant: another tenant's execution or log entry is not found.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omium.clock import utcnow
from omium.errors import ConflictError, ConsensusError, ErrorCode, NotFoundError, ValidationError
from omium.schemas.consensus import (
    AcknowledgeMessageRequest,
    AcknowledgeMessageResult,
    AckPolicy,
    BroadcastMessageRequest,
    BroadcastMessageResult,
    ConsensusLogEntry,
    ConsensusOutcome,
    ConsensusStatus,
    ElectLeaderRequest,
    ElectLeaderResult,
)
from omium.store.db import Database
from omium.store.models import (
    Agent,
    ConsensusAck,
    ConsensusLog,
    ConsensusReceiver,
    ConsensusTerm,
    Execution,
)
from omium.store.types import UTCDateTime
from omium.store.uow import UnitOfWork
from omium.types import MessageType


def acks_required(receivers: int, policy: AckPolicy) -> int:
    """A majority of ``receivers`` (more than half), or all of them."""
    return receivers if policy is AckPolicy.ALL else receivers // 2 + 1


def outcome_of(
    *,
    reached: bool,
    acks_required: int,
    receivers: int,
    rejections: int,
    expires_at: datetime | None,
    now: datetime,
) -> ConsensusOutcome:
    """Where an entry stands; ``reached`` wins over everything, as it is never undone."""
    if reached:
        return ConsensusOutcome.REACHED
    if rejections > receivers - acks_required:
        return ConsensusOutcome.REJECTED
    if expires_at is not None and now >= expires_at:
        return ConsensusOutcome.EXPIRED
    return ConsensusOutcome.PENDING


def _upsert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class ConsensusService:
    """Leader election, broadcast and acknowledgment on one execution's consensus log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- ElectLeader -------------------------------------------------------------------------

    def elect_leader(self, tenant_id: uuid.UUID, request: ElectLeaderRequest) -> ElectLeaderResult:
        """Make the candidate leader of ``term`` if, and only if, it is above the current term."""
        with UnitOfWork(self._db) as uow:
            session = uow.session
            uow.repo(Execution, tenant_id).require(request.execution_id)
            self._require_agents(session, request.execution_id, [request.candidate_agent_id])
            now = utcnow()
            stmt = _upsert(session)(ConsensusTerm).values(
                execution_id=request.execution_id,
                current_term=request.term,
                leader_agent_id=request.candidate_agent_id,
                elected_at=now,
            )
            # The compare-and-set: the row is written only when the stored term is lower.
            # Concurrent elections of the same execution queue on the row (PostgreSQL
            # re-checks the WHERE on the newest version; SQLite has one writer), so exactly
            # one candidate per term sees its row come back.
            stmt = stmt.on_conflict_do_update(
                index_elements=[ConsensusTerm.execution_id],
                set_={
                    "current_term": stmt.excluded.current_term,
                    "leader_agent_id": stmt.excluded.leader_agent_id,
                    "elected_at": stmt.excluded.elected_at,
                },
                where=ConsensusTerm.current_term < stmt.excluded.current_term,
            ).returning(ConsensusTerm.current_term, ConsensusTerm.leader_agent_id)
            won = session.execute(stmt).first()
            if won is not None:
                uow.commit()
                return ElectLeaderResult(
                    elected=True, leader_agent_id=won.leader_agent_id, term=won.current_term
                )
            current = session.execute(
                select(ConsensusTerm.current_term, ConsensusTerm.leader_agent_id).where(
                    ConsensusTerm.execution_id == request.execution_id
                )
            ).one()
            return ElectLeaderResult(
                elected=False, leader_agent_id=current.leader_agent_id, term=current.current_term
            )

    # -- BroadcastMessage --------------------------------------------------------------------

    def broadcast(
        self, tenant_id: uuid.UUID, request: BroadcastMessageRequest
    ) -> BroadcastMessageResult:
        """Append a message at the next log index; the sender must lead the current term."""
        with UnitOfWork(self._db) as uow:
            session = uow.session
            uow.repo(Execution, tenant_id).require(request.execution_id)
            # The term row is the execution's log lock: every broadcast of the execution takes
            # it, so the next index is read and written by one writer at a time (dense and
            # unique), and no election can slip between the leader check and the append.
            term_row = session.execute(
                select(ConsensusTerm.current_term, ConsensusTerm.leader_agent_id)
                .where(ConsensusTerm.execution_id == request.execution_id)
                .with_for_update()
            ).first()
            if (
                term_row is None
                or term_row.current_term != request.term
                or term_row.leader_agent_id != request.sender_agent_id
            ):
                raise ConsensusError(
                    "Only the leader of the current term can broadcast",
                    code=ErrorCode.MESSAGE_BROADCAST_FAILED,
                    details={
                        "execution_id": str(request.execution_id),
                        "term": request.term,
                        "current_term": term_row.current_term if term_row else 0,
                        "leader_agent_id": (
                            str(term_row.leader_agent_id)
                            if term_row and term_row.leader_agent_id
                            else None
                        ),
                    },
                )
            receivers = self._receivers(session, request)
            required = acks_required(len(receivers), request.ack_policy)
            next_index = (
                session.scalar(
                    select(func.max(ConsensusLog.log_index)).where(
                        ConsensusLog.execution_id == request.execution_id
                    )
                )
                or 0
            ) + 1
            now = utcnow()
            entry = ConsensusLog(
                execution_id=request.execution_id,
                term=request.term,
                log_index=next_index,
                sender_agent_id=request.sender_agent_id,
                receiver_agent_id=receivers[0] if len(receivers) == 1 else None,
                message_type=request.message_type.value,
                message=request.message,
                consensus_reached=False,
                acks_received=0,
                acks_required=required,
                rejections=0,
                created_at=now,
                expires_at=(
                    now + timedelta(seconds=request.timeout_seconds)
                    if request.timeout_seconds is not None
                    else None
                ),
            )
            session.add(entry)
            session.flush()
            session.add_all(
                ConsensusReceiver(consensus_log_id=entry.id, agent_id=agent_id)
                for agent_id in receivers
            )
            session.flush()
            uow.commit()
            return BroadcastMessageResult(
                consensus_log_id=entry.id,
                log_index=next_index,
                acks_required=required,
                consensus_reached=False,
                broadcast_at=now,
            )

    def _receivers(self, session: Session, request: BroadcastMessageRequest) -> list[uuid.UUID]:
        agents = set(
            session.scalars(select(Agent.id).where(Agent.execution_id == request.execution_id))
        )
        if request.sender_agent_id not in agents:
            raise self._not_an_agent(request.execution_id, [request.sender_agent_id])
        if not request.receiver_agent_ids:
            receivers = sorted(agents - {request.sender_agent_id})
            if not receivers:
                raise ValidationError(
                    "The execution has no agent to broadcast to",
                    details={"execution_id": str(request.execution_id)},
                )
            return receivers
        receivers = list(dict.fromkeys(request.receiver_agent_ids))
        unknown = [agent_id for agent_id in receivers if agent_id not in agents]
        if unknown:
            raise self._not_an_agent(request.execution_id, unknown)
        if request.sender_agent_id in receivers:
            raise ValidationError(
                "The sender cannot be one of the receivers",
                details={"sender_agent_id": str(request.sender_agent_id)},
            )
        return receivers

    # -- AcknowledgeMessage ------------------------------------------------------------------

    def acknowledge(
        self, tenant_id: uuid.UUID, request: AcknowledgeMessageRequest
    ) -> AcknowledgeMessageResult:
        """Record the agent's ack (``valid=False`` rejects); a repeated ack changes nothing."""
        with UnitOfWork(self._db) as uow:
            session = uow.session
            entry = self._require_entry(uow, tenant_id, request.consensus_log_id)
            receivers = self._receiver_ids(session, [entry.id])[entry.id]
            if request.agent_id not in receivers:
                raise ValidationError(
                    "The agent is not a receiver of this message",
                    details={
                        "consensus_log_id": str(entry.id),
                        "agent_id": str(request.agent_id),
                    },
                )
            now = utcnow()
            inserted = session.execute(
                _upsert(session)(ConsensusAck)
                .values(
                    id=uuid.uuid4(),
                    consensus_log_id=entry.id,
                    agent_id=request.agent_id,
                    ack_received_at=now,
                    valid=request.valid,
                )
                .on_conflict_do_nothing(index_elements=["consensus_log_id", "agent_id"])
                .returning(ConsensusAck.id)
            ).first()
            if inserted is None:
                return self._repeated_ack(session, entry.id, request, len(receivers), now)
            counted = self._count_ack(session, entry.id, request.valid, now)
            if counted is None:
                raise ConsensusError(
                    "The message's acknowledgment deadline has passed",
                    code=ErrorCode.CONSENSUS_NOT_REACHED,
                    details={"consensus_log_id": str(entry.id)},
                )
            uow.commit()
            acks, rejections, reached, required, expires_at = counted
            return AcknowledgeMessageResult(
                success=True,
                total_acks=acks,
                consensus_reached=reached,
                rejections=rejections,
                outcome=outcome_of(
                    reached=reached,
                    acks_required=required,
                    receivers=len(receivers),
                    rejections=rejections,
                    expires_at=expires_at,
                    now=now,
                ),
            )

    def _count_ack(
        self, session: Session, log_id: uuid.UUID, valid: bool, now: datetime
    ) -> tuple[int, int, bool, int, datetime | None] | None:
        # One statement counts the ack and decides consensus from the counted value, under
        # the row's write lock; consensus_reached is OR-ed, so it can only turn true. An
        # expired entry that has not reached consensus takes no more acks (None).
        new_acks = ConsensusLog.acks_received + (1 if valid else 0)
        reached_now = or_(
            ConsensusLog.consensus_reached == true(), new_acks >= ConsensusLog.acks_required
        )
        row = session.execute(
            update(ConsensusLog)
            .where(
                ConsensusLog.id == log_id,
                or_(
                    ConsensusLog.consensus_reached == true(),
                    ConsensusLog.expires_at.is_(None),
                    ConsensusLog.expires_at > now,
                ),
            )
            .values(
                acks_received=new_acks,
                rejections=ConsensusLog.rejections + (0 if valid else 1),
                consensus_reached=reached_now,
                committed_at=case(
                    (ConsensusLog.committed_at.is_not(None), ConsensusLog.committed_at),
                    (reached_now, literal(now, UTCDateTime())),
                    else_=None,
                ),
            )
            .returning(
                ConsensusLog.acks_received,
                ConsensusLog.rejections,
                ConsensusLog.consensus_reached,
                ConsensusLog.acks_required,
                ConsensusLog.expires_at,
            )
            .execution_options(synchronize_session=False)
        ).first()
        if row is None:
            return None
        return (
            int(row.acks_received),
            int(row.rejections),
            bool(row.consensus_reached),
            int(row.acks_required),
            row.expires_at,
        )

    def _repeated_ack(
        self,
        session: Session,
        log_id: uuid.UUID,
        request: AcknowledgeMessageRequest,
        receivers: int,
        now: datetime,
    ) -> AcknowledgeMessageResult:
        earlier = session.scalar(
            select(ConsensusAck.valid).where(
                ConsensusAck.consensus_log_id == log_id, ConsensusAck.agent_id == request.agent_id
            )
        )
        if bool(earlier) != request.valid:
            raise ConflictError(
                "The agent already answered this message differently",
                details={
                    "consensus_log_id": str(log_id),
                    "agent_id": str(request.agent_id),
                    "valid": bool(earlier),
                },
            )
        row = session.execute(
            select(
                ConsensusLog.acks_received,
                ConsensusLog.rejections,
                ConsensusLog.consensus_reached,
                ConsensusLog.acks_required,
                ConsensusLog.expires_at,
            ).where(ConsensusLog.id == log_id)
        ).one()
        return AcknowledgeMessageResult(
            success=True,
            total_acks=int(row.acks_received or 0),
            consensus_reached=bool(row.consensus_reached),
            rejections=int(row.rejections),
            outcome=outcome_of(
                reached=bool(row.consensus_reached),
                acks_required=int(row.acks_required),
                receivers=receivers,
                rejections=int(row.rejections),
                expires_at=row.expires_at,
                now=now,
            ),
        )

    # -- GetConsensusStatus ------------------------------------------------------------------

    def status(self, tenant_id: uuid.UUID, execution_id: uuid.UUID) -> ConsensusStatus:
        """The execution's current term, its leader and its whole log, in index order."""
        with UnitOfWork(self._db, read_only=True) as uow:
            session = uow.session
            uow.repo(Execution, tenant_id).require(execution_id)
            term_row = session.execute(
                select(ConsensusTerm.current_term, ConsensusTerm.leader_agent_id).where(
                    ConsensusTerm.execution_id == execution_id
                )
            ).first()
            entries = list(
                session.scalars(
                    select(ConsensusLog)
                    .where(ConsensusLog.execution_id == execution_id)
                    .order_by(ConsensusLog.log_index)
                )
            )
            receivers = self._receiver_ids(session, [entry.id for entry in entries])
            now = utcnow()
            return ConsensusStatus(
                execution_id=execution_id,
                current_term=term_row.current_term if term_row else 0,
                leader_agent_id=term_row.leader_agent_id if term_row else None,
                logs=[_entry(entry, receivers[entry.id], now) for entry in entries],
            )

    def entry(self, tenant_id: uuid.UUID, log_id: uuid.UUID) -> ConsensusLogEntry:
        """One log entry, with its receivers and outcome."""
        with UnitOfWork(self._db, read_only=True) as uow:
            entry = self._require_entry(uow, tenant_id, log_id)
            receivers = self._receiver_ids(uow.session, [entry.id])[entry.id]
            return _entry(entry, receivers, utcnow())

    # -- helpers -----------------------------------------------------------------------------

    def _require_entry(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, log_id: uuid.UUID
    ) -> ConsensusLog:
        entry = uow.repo(ConsensusLog, tenant_id).get(log_id)
        if entry is None:
            raise NotFoundError(
                f"Consensus log with ID '{log_id}' not found",
                details={"consensus_log_id": str(log_id)},
            )
        return entry

    @staticmethod
    def _receiver_ids(
        session: Session, log_ids: list[uuid.UUID]
    ) -> defaultdict[uuid.UUID, list[uuid.UUID]]:
        found: defaultdict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        if not log_ids:
            return found
        rows = session.execute(
            select(ConsensusReceiver.consensus_log_id, ConsensusReceiver.agent_id)
            .where(ConsensusReceiver.consensus_log_id.in_(log_ids))
            .order_by(ConsensusReceiver.agent_id)
        )
        for log_id, agent_id in rows:
            found[log_id].append(agent_id)
        return found

    def _require_agents(
        self, session: Session, execution_id: uuid.UUID, agent_ids: list[uuid.UUID]
    ) -> None:
        known = set(
            session.scalars(
                select(Agent.id).where(Agent.execution_id == execution_id, Agent.id.in_(agent_ids))
            )
        )
        unknown = [agent_id for agent_id in agent_ids if agent_id not in known]
        if unknown:
            raise self._not_an_agent(execution_id, unknown)

    @staticmethod
    def _not_an_agent(execution_id: uuid.UUID, agent_ids: list[uuid.UUID]) -> ValidationError:
        return ValidationError(
            "Not an agent of this execution",
            details={
                "execution_id": str(execution_id),
                "agent_ids": [str(agent_id) for agent_id in agent_ids],
            },
        )


def _entry(entry: ConsensusLog, receivers: list[uuid.UUID], now: datetime) -> ConsensusLogEntry:
    reached = bool(entry.consensus_reached)
    return ConsensusLogEntry(
        id=entry.id,
        term=entry.term,
        log_index=entry.log_index,
        sender_agent_id=entry.sender_agent_id,
        receiver_agent_ids=receivers,
        message_type=MessageType(entry.message_type),
        message=entry.message,
        consensus_reached=reached,
        acks_received=int(entry.acks_received or 0),
        acks_required=entry.acks_required,
        rejections=entry.rejections,
        outcome=outcome_of(
            reached=reached,
            acks_required=entry.acks_required,
            receivers=len(receivers),
            rejections=entry.rejections,
            expires_at=entry.expires_at,
            now=now,
        ),
        created_at=entry.created_at,
        committed_at=entry.committed_at,
        expires_at=entry.expires_at,
    )


__all__ = ["ConsensusService", "acks_required", "outcome_of"]
