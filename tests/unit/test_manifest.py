"""Manifests name every part of a state compactly and parse back exactly."""

from __future__ import annotations

from typing import Any

import pytest

from omium.store.manifest import (
    MERKLE_CHECKSUM,
    build_manifest,
    manifest_digests,
    parse_manifest,
    read_manifest,
)
from omium.store.state_codec import encode_state


@pytest.mark.parametrize("state", [{"b": [1], "a": "x", "é": None}, {}, [1, 2], "text", None])
def test_manifest_round_trip(state: Any) -> None:
    encoded = encode_state(state)
    manifest = build_manifest(encoded)
    is_object, parts = parse_manifest(manifest)
    assert is_object == isinstance(state, dict)
    assert parts == [(p.key, p.digest) for p in encoded.parts]
    assert manifest_digests(manifest) == [p.digest for p in encoded.parts]
    assert read_manifest(manifest).version == MERKLE_CHECKSUM


def test_a_manifest_costs_43_characters_per_part_plus_its_key() -> None:
    manifest = build_manifest(encode_state({f"key_{i}": i for i in range(10)}))
    assert len(manifest["digests"]) == 430


@pytest.mark.parametrize(
    "manifest",
    [None, {}, {"v": 3}, {"v": 2}, {"v": 2, "object": True, "keys": ["a"], "digests": "x" * 42}],
)
def test_unreadable_manifests(manifest: Any) -> None:
    with pytest.raises(ValueError):
        parse_manifest(manifest)
    assert manifest_digests(manifest) == []
