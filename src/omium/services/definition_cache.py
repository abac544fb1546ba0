"""Parsed workflow definitions by (workflow, version), kept in process memory.

A version of a definition never changes once stored (an edit is the next version), so a
cached entry is never stale; the cache is bounded and forgets its oldest entries first.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from omium.domain.workflow import WorkflowDefinition as ParsedDefinition
from omium.domain.workflow import parse_workflow_definition
from omium.store.models import WorkflowDefinition

MAX_ENTRIES = 4096


class _Entry:
    __slots__ = ("_parsed", "raw", "total_steps")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.total_steps = len(raw.get("flow", []))
        self._parsed: ParsedDefinition | None = None

    def parsed(self) -> ParsedDefinition:
        if self._parsed is None:
            self._parsed = parse_workflow_definition(self.raw)
        return self._parsed


class DefinitionCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: dict[tuple[uuid.UUID, int], _Entry] = {}

    def _entry(
        self, db: Session | Connection, workflow_id: uuid.UUID, version: int
    ) -> _Entry | None:
        key = (workflow_id, version)
        entry = self._entries.get(key)
        if entry is not None:
            return entry
        raw = db.execute(
            select(WorkflowDefinition.definition).where(
                WorkflowDefinition.workflow_id == workflow_id,
                WorkflowDefinition.version == version,
            )
        ).scalar()
        if raw is None:
            return None
        entry = _Entry(dict(raw))
        with self._lock:
            if len(self._entries) >= self._max:
                for old in list(self._entries)[: self._max // 2]:
                    del self._entries[old]
            self._entries[key] = entry
        return entry

    def parsed(
        self, db: Session | Connection, workflow_id: uuid.UUID, version: int
    ) -> ParsedDefinition | None:
        """The validated definition, or None when the version is not stored."""
        entry = self._entry(db, workflow_id, version)
        return entry.parsed() if entry is not None else None

    def total_steps(
        self, db: Session | Connection, workflow_id: uuid.UUID, version: int | None
    ) -> int:
        """How many steps the version's flow has (0 when it is not stored)."""
        if version is None:
            return 0
        entry = self._entry(db, workflow_id, version)
        return entry.total_steps if entry is not None else 0


#: The process-wide cache the API and the engine share.
definitions = DefinitionCache()
