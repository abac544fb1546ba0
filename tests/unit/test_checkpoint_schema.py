"""The API shape of a checkpoint: LLD field names, checksum shown as sha256:<hex>."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from omium.schemas.checkpoints import Checkpoint
from omium.store.models import Checkpoint as CheckpointRow


def test_checkpoint_schema_from_row() -> None:
    row = CheckpointRow(
        id=uuid.uuid4(),
        execution_id=uuid.uuid4(),
        checkpoint_name="kyc_validated",
        checkpoint_index=2,
        state_size_bytes=1024,
        state_blob_uri="db://checkpoints/x",
        checksum="ab" * 32,
        metadata_={"step": "kyc"},
        created_at=datetime(2025, 11, 12, 10, 0, 2, tzinfo=UTC),
    )
    shown = Checkpoint.from_row(row).model_dump(mode="json")
    assert shown["checksum"] == "sha256:" + "ab" * 32
    assert shown["metadata"] == {"step": "kyc"}
    assert shown["created_at"] == "2025-11-12T10:00:02Z"
    assert {"id", "execution_id", "checkpoint_name", "state_size_bytes", "state_blob_uri"} <= set(
        shown
    )
