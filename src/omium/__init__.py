"""Omium: a fault-tolerant runtime and control plane for multi-agent LLM workflows."""

from omium.config import Settings, load_settings
from omium.errors import ErrorCode, OmiumError

__version__ = "0.1.0"

__all__ = ["ErrorCode", "OmiumError", "Settings", "__version__", "load_settings"]
