"""The migration history builds exactly the models' schema, on both dialects."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, inspect, text

from omium.store.db import Database, create_db_engine
from omium.store.migrate import current_revision, downgrade, head_revision, upgrade
from omium.store.models import Base


def _drift(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def _check_constraints(engine: Engine) -> set[tuple[str, str]]:
    inspector = inspect(engine)
    return {
        (table, constraint["name"])
        for table in inspector.get_table_names()
        if table != "alembic_version"
        for constraint in inspector.get_check_constraints(table)
    }


def _model_check_constraints() -> set[tuple[str, str]]:
    return {
        (table.name, str(constraint.name))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }


def test_upgrade_head_matches_the_models(migrated_db: Database) -> None:
    assert current_revision(migrated_db.engine) == head_revision()
    assert _drift(migrated_db.engine) == []


def test_upgrade_head_creates_every_check_constraint(migrated_db: Database) -> None:
    assert _check_constraints(migrated_db.engine) == _model_check_constraints()


def test_upgrade_head_creates_the_partial_unique_index_on_live_checkpoints(
    migrated_db: Database,
) -> None:
    indexes = {i["name"]: i for i in inspect(migrated_db.engine).get_indexes("checkpoints")}
    live = indexes["uq_checkpoints_live_name"]
    assert live["unique"]
    assert live["column_names"] == ["execution_id", "checkpoint_name"]


def test_drift_is_detected(empty_database_url: str) -> None:
    # The comparison must be able to fail: drop one index the models declare.
    engine = create_db_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX idx_executions_status"))
        diffs = _drift(engine)
        assert [d[0] for d in diffs] == ["add_index"]
        assert diffs[0][1].name == "idx_executions_status"
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_every_table_exists_with_every_column(migrated_db: Database, table: str) -> None:
    columns = {c["name"] for c in inspect(migrated_db.engine).get_columns(table)}
    assert columns == {c.name for c in Base.metadata.tables[table].columns}
