"""Canonical encoding: same state, same bytes; parts reassemble to the whole exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omium.store.state_codec import (
    COMPRESSION_THRESHOLD,
    StateEncodingError,
    assemble,
    canonical_json,
    canonical_state,
    compress,
    decompress,
    encode_state,
    sha256_hex,
)
from omium.types import CompressionType

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def test_canonical_json_sorts_keys_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": "é☃"}) == '{"a":"é☃","b":1}'.encode()


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_parts_reassemble_to_the_canonical_whole(state: dict[str, Any]) -> None:
    encoded = encode_state(state)
    whole = assemble([(p.key, p.raw) for p in encoded.parts], is_object=True)
    assert whole == canonical_state(state) == canonical_state(json.loads(whole))
    assert encoded.checksum == sha256_hex(whole)
    assert encoded.size == len(whole)
    assert json.loads(whole) == state


@given(json_values)
def test_any_json_document_round_trips(state: Any) -> None:
    encoded = encode_state(state)
    whole = assemble([(p.key, p.raw) for p in encoded.parts], is_object=encoded.is_object)
    assert whole == canonical_state(state)
    assert json.loads(whole) == state


def test_integers_beyond_64_bits_round_trip() -> None:
    state = {"big": 2**70, "small": [1, None]}
    encoded = encode_state(state)
    whole = assemble([(p.key, p.raw) for p in encoded.parts], is_object=True)
    assert json.loads(whole) == state


def test_the_same_state_in_another_key_order_gives_the_same_checksum() -> None:
    assert (
        encode_state({"a": 1, "b": [1, 2]}).checksum == encode_state({"b": [1, 2], "a": 1}).checksum
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"a": {1, 2}},
        {"a": float("nan")},
        {"a": [None, {"b": float("inf")}]},
        {1: "x"},
        {"a": b"x"},
        {"a": datetime.now(UTC)},
        {"a": "lone \ud800 surrogate"},
    ],
)
def test_a_value_that_is_not_json_is_refused(bad: Any) -> None:
    with pytest.raises(StateEncodingError):
        encode_state(bad)


@pytest.mark.parametrize("compression", list(CompressionType))
def test_compression_round_trips_and_is_deterministic(compression: CompressionType) -> None:
    data = b'{"text":"' + b"abc" * 1000 + b'"}'
    stored, applied = compress(data, compression)
    assert decompress(stored, applied) == data
    assert compress(data, compression)[0] == stored
    if compression is not CompressionType.NONE:
        assert applied is compression and len(stored) < len(data)


def test_small_parts_are_not_compressed() -> None:
    data = b"x" * (COMPRESSION_THRESHOLD - 1)
    assert compress(data, CompressionType.ZSTD) == (data, CompressionType.NONE)


def test_undecodable_bytes_are_reported() -> None:
    with pytest.raises(ValueError, match="cannot decompress"):
        decompress(b"not gzip", "gzip")
    with pytest.raises(ValueError, match="cannot decompress"):
        decompress(b"not zstd", "zstd")
    with pytest.raises(ValueError, match="unknown compression"):
        decompress(b"x", "lz4")
