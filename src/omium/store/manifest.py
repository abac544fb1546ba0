"""The manifest of a checkpoint: which parts, under which keys, make up its state.

Stored in ``checkpoints.state_manifest`` and kept small, since every checkpoint carries one::

    {"v": 2, "object": true, "keys": ["a", "b"], "digests": "<43 chars><43 chars>"}

``digests`` concatenates the sha256 of each part, base64url without padding (43 characters
instead of 64 hex), in the order of ``keys`` (sorted). A state that is not an object has
``"object": false``, no keys and one digest.

The version says what the checkpoint's ``checksum`` covers: ``2``, the Merkle root of the
parts (state_codec.merkle_root); ``1`` (checkpoints written before), the sha256 of the whole
canonical state. Both are read.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Any, NamedTuple

from omium.store.state_codec import EncodedState

#: The version new manifests are written with.
VERSION = 2
#: The checksum is the sha256 of the whole canonical state.
WHOLE_STATE_CHECKSUM = 1
#: The checksum is the Merkle root of the parts.
MERKLE_CHECKSUM = 2
_B64_LEN = 43


class Manifest(NamedTuple):
    version: int
    is_object: bool
    #: (key, hex digest) in key order; key None for a state that is not an object
    parts: list[tuple[str | None, str]]


# The parts of a line of checkpoints recur from one manifest to the next.
@functools.lru_cache(maxsize=16384)
def _to_b64(hex_digest: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hex_digest)).decode().rstrip("=")


def _to_hex(b64_digest: str) -> str:
    raw = base64.urlsafe_b64decode(b64_digest + "=")
    if len(raw) != 32:
        raise ValueError("a digest is not 32 bytes")
    return raw.hex()


def build_manifest(encoded: EncodedState) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "v": VERSION,
        "object": encoded.is_object,
        "digests": "".join(_to_b64(part.digest) for part in encoded.parts),
    }
    if encoded.is_object:
        manifest["keys"] = [part.key for part in encoded.parts]
    return manifest


def _digests(manifest: dict[str, Any]) -> list[str]:
    packed = manifest["digests"]
    if not isinstance(packed, str) or len(packed) % _B64_LEN:
        raise ValueError("digests are not a whole number of sha256 digests")
    try:
        return [_to_hex(packed[i : i + _B64_LEN]) for i in range(0, len(packed), _B64_LEN)]
    except binascii.Error as exc:
        raise ValueError(f"a digest is not base64url: {exc}") from None


def read_manifest(manifest: Any) -> Manifest:
    """The version, the kind of state and its ``(key, hex digest)`` parts in key order.

    Raises:
        ValueError: the manifest is not one this version of Omium wrote or reads.
    """
    if not isinstance(manifest, dict) or manifest.get("v") not in (
        WHOLE_STATE_CHECKSUM,
        MERKLE_CHECKSUM,
    ):
        raise ValueError("unknown manifest version")
    version = int(manifest["v"])
    try:
        is_object = manifest["object"]
        digests = _digests(manifest)
        if is_object is True:
            keys = manifest["keys"]
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ValueError("keys are not a list of strings")
            if len(keys) != len(digests):
                raise ValueError("as many keys as digests expected")
            return Manifest(version, True, list(zip(keys, digests, strict=True)))
        if is_object is False and len(digests) == 1:
            return Manifest(version, False, [(None, digests[0])])
    except KeyError as exc:
        raise ValueError(f"missing {exc}") from None
    raise ValueError("a non-object state must have exactly one digest")


def parse_manifest(manifest: Any) -> tuple[bool, list[tuple[str | None, str]]]:
    """(is the state an object, [(key, hex digest)]) in key order.

    Raises:
        ValueError: the manifest is not one this version of Omium wrote or reads.
    """
    read = read_manifest(manifest)
    return read.is_object, read.parts


def manifest_digests(manifest: Any) -> list[str]:
    """The hex digests a stored manifest names (an unreadable manifest names none)."""
    try:
        return [digest for _, digest in read_manifest(manifest).parts]
    except ValueError:
        return []
