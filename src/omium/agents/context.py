"""What an agent callable receives: its execution, inputs, config and a logger."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from omium.errors import OmiumError


class AgentCancelled(OmiumError):
    """Raised by :meth:`AgentContext.check_cancelled` once the execution was cancelled."""


@dataclass
class AgentContext:
    """The view of one step an agent gets. Outputs are returned, never written here."""

    execution_id: uuid.UUID
    tenant_id: uuid.UUID
    step: int
    agent_id: str
    attempt: int
    inputs: dict[str, Any]
    config: dict[str, Any]
    logger: logging.Logger
    #: the prompt in force (a prompt_edit recovery replaces it for later attempts)
    prompt: str | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def cancel_event(self) -> threading.Event:
        """Set once this step is cancelled, its execution lost, or its timeout passed."""
        return self._cancel

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        """For long sync agents: raise once the step was cancelled, lost or timed out."""
        if self._cancel.is_set():
            raise AgentCancelled(f"step {self.step} of execution {self.execution_id} was stopped")

    def sleep(self, seconds: float) -> None:
        """Wait like ``time.sleep``, but end at once (raising) when the step is stopped.

        A sync agent blocked in ``time.sleep`` can only be interrupted when it returns.
        """
        if self._cancel.wait(seconds):
            self.check_cancelled()

    def __getitem__(self, key: str) -> Any:
        return self.inputs[key]
