"""Bases and small shapes every API schema shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Input(BaseModel):
    """A request body: unknown fields are rejected (422 INVALID_INPUT)."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """A response body, read from ORM rows or dicts."""

    model_config = ConfigDict(from_attributes=True)


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class Pagination(Output):
    total: int = Field(description="Rows matching the filters, over all pages.")
    limit: int
    offset: int


class Message(Output):
    message: str
