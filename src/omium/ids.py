"""Identifiers of rows written at a high rate, ordered by creation time."""

from __future__ import annotations

import os
import time
import uuid


def time_ordered_uuid() -> uuid.UUID:
    """A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    For the primary key of a table that grows with every step (checkpoints): a random UUID
    lands on a random leaf of the key's index, so each row inserted dirties a page of its
    own (one more page written at every commit, and a cache miss once the index outgrows
    memory); ordered by time, the rows of one transaction share the index's last leaf.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a, rand_b = rand >> 68, rand & ((1 << 62) - 1)
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
