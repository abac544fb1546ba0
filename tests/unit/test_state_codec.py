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
    reusable,
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


def _merkle(state: dict[str, Any]) -> str:
    # The checksum as documented, computed here independently of the codec.
    pairs = [[key, sha256_hex(canonical_json(state[key]))] for key in sorted(state)]
    return sha256_hex(json.dumps(pairs, separators=(",", ":"), ensure_ascii=False).encode())


def test_canonical_json_sorts_keys_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": "é☃"}) == '{"a":"é☃","b":1}'.encode()


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_parts_reassemble_to_the_canonical_whole(state: dict[str, Any]) -> None:
    encoded = encode_state(state)
    whole = assemble([(p.key, p.raw) for p in encoded.parts], is_object=True)
    assert whole == canonical_state(state) == canonical_state(json.loads(whole))
    assert encoded.checksum == _merkle(state)
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


def test_the_checksum_of_a_state_that_is_not_an_object_covers_its_one_part() -> None:
    digest = sha256_hex(b"[1,2]")
    assert encode_state([1, 2]).checksum == sha256_hex(f'[[null,"{digest}"]]'.encode())
    assert encode_state({}).checksum == sha256_hex(b"[]")


@given(
    st.dictionaries(st.text(max_size=8), json_values, max_size=6),
    st.dictionaries(st.text(max_size=8), json_values, max_size=6),
)
def test_encoding_against_a_previous_state_gives_the_same_result(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    previous = reusable(before, encode_state(before))
    state = {**before, **after}
    fresh = encode_state(state)
    assert encode_state(state, previous=previous) == fresh
    # Naming the changed keys: the others are the very objects encoded before.
    assert encode_state(state, previous=previous, changed_keys=set(after)) == fresh


def test_a_named_unchanged_key_is_reused_only_if_it_is_the_same_object() -> None:
    value = {"n": 1}
    previous = reusable({"a": value}, encode_state({"a": value}))
    # Another object (a state restored from a checkpoint, say): serialized again.
    other = encode_state({"a": {"n": 2}}, previous=previous, changed_keys=set())
    assert other == encode_state({"a": {"n": 2}})
    # The same object the caller vouches unchanged: its part is reused as is.
    same = encode_state({"a": value}, previous=previous, changed_keys=set())
    assert same.parts[0] is previous["a"][1]


def test_a_non_finite_value_is_refused_even_where_its_bytes_match_the_previous() -> None:
    previous = reusable({"a": None}, encode_state({"a": None}))
    with pytest.raises(StateEncodingError):
        encode_state({"a": float("nan")}, previous=previous)


def test_without_kept_values_a_named_unchanged_key_is_serialized_again() -> None:
    value = {"n": 1}
    previous = reusable({"a": value}, encode_state({"a": value}), keep_values=False)
    value["n"] = 2  # mutated in place, and (wrongly) not named: bytes are compared anyway
    assert encode_state({"a": value}, previous=previous, changed_keys=set()) == encode_state(
        {"a": value}
    )
