"""Tenant-scoped repositories over the models."""

from omium.store.repositories.base import Repository

__all__ = ["Repository"]
