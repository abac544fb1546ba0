"""Every CHECK and UNIQUE constraint of the schema rejects a bad row, on both dialects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Table, insert
from sqlalchemy.exc import IntegrityError

from omium.clock import utcnow
from omium.store.db import Database
from omium.store.models import Base
from tests.factories import World, make_checkpoint

Row = Callable[[World], dict[str, Any]]

# A valid row per table; each case below breaks exactly one constraint of it.
VALID_ROWS: dict[str, Row] = {
    "tenants": lambda w: {"name": "x", "slug": f"s-{uuid.uuid4().hex[:8]}"},
    "users": lambda w: {"tenant_id": w.tenant_a.id, "email": f"{uuid.uuid4().hex}@x.io"},
    "api_keys": lambda w: {
        "tenant_id": w.tenant_a.id,
        "name": "ci",
        "key_hash": uuid.uuid4().hex,
        "key_prefix": "om_123",
    },
    "workflows": lambda w: {
        "tenant_id": w.tenant_a.id,
        "created_by": w.user_a.id,
        "name": "wf",
        "definition": {},
    },
    "executions": lambda w: {"tenant_id": w.tenant_a.id, "workflow_id": w.workflow_a.id},
    "agents": lambda w: {
        "execution_id": w.execution_a.id,
        "name": "a",
        "agent_type": "custom",
        "config": {},
        "framework": "custom",
    },
    "rollbacks": lambda w: {
        "execution_id": w.execution_a.id,
        "to_checkpoint_id": w.checkpoint_a.id,
        "trigger_reason": "test",
    },
    "consensus_logs": lambda w: {
        "execution_id": w.execution_a.id,
        "term": 1,
        "log_index": 1,
        "sender_agent_id": w.agent_a.id,
        "message_type": "handoff",
        "message": {},
        "acks_required": 1,
    },
    "execution_policies": lambda w: {
        "tenant_id": w.tenant_a.id,
        "name": "p",
        "policy_type": "retry",
        "policy_config": {},
    },
    "failures": lambda w: {
        "execution_id": w.execution_a.id,
        "failure_type": "timeout",
        "severity": "high",
        "error_message": "boom",
    },
    "recovery_actions": lambda w: {
        "failure_id": w.failure_a_id,
        "execution_id": w.execution_a.id,
        "action_type": "retry",
        "action_config": {},
    },
    "audit_logs": lambda w: {
        "tenant_id": w.tenant_a.id,
        "action": "create",
        "resource_type": "execution",
    },
}

# (table, constraint name, the column values that break it)
CHECK_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("tenants", "valid_tier", {"subscription_tier": "gold"}),
    ("users", "valid_auth_provider", {"auth_provider": "myspace"}),
    ("api_keys", "valid_expiry", {"expires_at": utcnow() - timedelta(days=1)}),
    ("workflows", "valid_status", {"status": "deleted"}),
    ("executions", "valid_status", {"status": "exploded"}),
    ("executions", "valid_trigger", {"trigger_type": "cron"}),
    ("agents", "valid_status", {"status": "paused"}),
    ("agents", "valid_framework", {"framework": "smolagents"}),
    ("rollbacks", "valid_status", {"status": "pending"}),
    ("rollbacks", "valid_trigger", {"trigger_type": "cosmic_ray"}),
    ("consensus_logs", "valid_message_type", {"message_type": "gossip"}),
    ("execution_policies", "valid_policy_type", {"policy_type": "magic"}),
    ("failures", "valid_severity", {"severity": "extreme"}),
    ("failures", "valid_failure_type", {"failure_type": "bad_vibes"}),
    ("recovery_actions", "valid_action_type", {"action_type": "pray"}),
    ("recovery_actions", "valid_status", {"status": "done"}),
    ("audit_logs", "valid_resource_type", {"resource_type": "tenant"}),
]


@pytest.fixture
def world(db: Database) -> World:
    from omium.store.models import Failure

    with db.session() as session:
        world = World(session)
        failure = Failure(
            execution_id=world.execution_a.id,
            failure_type="timeout",
            severity="low",
            error_message="x",
        )
        session.add(failure)
        session.commit()
        world.failure_a_id = failure.id  # type: ignore[attr-defined]
    return world


def _insert(db: Database, table: Table, values: dict[str, Any]) -> None:
    with db.engine.begin() as conn:
        conn.execute(insert(table).values(**values))


def test_every_check_constraint_has_a_case() -> None:
    declared = {
        (table.name, constraint.name)
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    assert declared == {(table, name) for table, name, _ in CHECK_CASES}


@pytest.mark.parametrize(
    ("table_name", "constraint", "bad"), CHECK_CASES, ids=[f"{t}.{c}" for t, c, _ in CHECK_CASES]
)
def test_check_constraint_rejects_bad_value(
    db: Database, world: World, table_name: str, constraint: str, bad: dict[str, Any]
) -> None:
    table = Base.metadata.tables[table_name]
    good = VALID_ROWS[table_name](world)
    _insert(db, table, good)  # the row without the bad value is accepted
    with pytest.raises(IntegrityError) as caught:
        _insert(db, table, {**VALID_ROWS[table_name](world), **bad, **_unique(table_name)})
    assert constraint in str(caught.value) or "CHECK" in str(caught.value).upper()


def _unique(table_name: str) -> dict[str, Any]:
    # Values that keep a second row of the table clear of its UNIQUE constraints.
    return {"log_index": 99} if table_name == "consensus_logs" else {}


@pytest.mark.parametrize(
    ("table_name", "columns"),
    [
        ("tenants", ("slug",)),
        ("users", ("email",)),
        ("api_keys", ("key_hash",)),
        ("consensus_logs", ("execution_id", "log_index")),
    ],
)
def test_unique_constraint_rejects_duplicate(
    db: Database, world: World, table_name: str, columns: tuple[str, ...]
) -> None:
    table = Base.metadata.tables[table_name]
    row = VALID_ROWS[table_name](world)
    _insert(db, table, row)
    duplicate = {**VALID_ROWS[table_name](world), **{c: row[c] for c in columns}}
    with pytest.raises(IntegrityError):
        _insert(db, table, duplicate)


def test_same_email_in_two_tenants_is_rejected(db: Database, world: World) -> None:
    # The LLD has UNIQUE(email) as well as UNIQUE(tenant_id, email): one account, one tenant.
    table = Base.metadata.tables["users"]
    _insert(db, table, {"tenant_id": world.tenant_a.id, "email": "same@x.io"})
    with pytest.raises(IntegrityError):
        _insert(db, table, {"tenant_id": world.tenant_b.id, "email": "same@x.io"})


def test_live_checkpoint_names_are_unique_but_superseded_ones_are_kept(
    db: Database, world: World
) -> None:
    with db.session() as session:
        session.add(world.execution_a)
        first = make_checkpoint(session, world.execution_a, checkpoint_name="kyc_validated")
        session.commit()
    with db.session() as session, pytest.raises(IntegrityError):
        make_checkpoint(session, world.execution_a, checkpoint_name="kyc_validated")
    with db.session() as session:
        session.add(first)
        first.superseded_at = utcnow()
        session.flush()
        make_checkpoint(session, world.execution_a, checkpoint_name="kyc_validated")
        session.commit()
    with db.session() as session:
        from sqlalchemy import func, select

        from omium.store.models import Checkpoint

        names = session.scalar(
            select(func.count()).where(Checkpoint.checkpoint_name == "kyc_validated")
        )
        assert names == 2


def test_not_null_columns_reject_null(db: Database, world: World) -> None:
    table = Base.metadata.tables["executions"]
    with pytest.raises(IntegrityError):
        _insert(db, table, {"tenant_id": world.tenant_a.id, "workflow_id": None})
