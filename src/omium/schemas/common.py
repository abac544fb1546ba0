"""Shapes shared by every resource of the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Base of response bodies: fields a newer server adds are ignored by older clients."""

    model_config = ConfigDict(extra="ignore")


class Pagination(Output):
    """The ``pagination`` block of a list (LLD §2.4)."""

    total: int = Field(description="Items matching the filters, over all pages.")
    limit: int = Field(description="Page size.")
    offset: int = Field(description="Items skipped before this page.")
