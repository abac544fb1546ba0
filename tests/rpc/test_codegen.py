"""The checked-in gRPC code is what the protos generate; the protos are the LLD's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from omium.rpc.codegen import GENERATED_DIR, PROTO_ROOT, generate, proto_files

_ROOT = Path(__file__).resolve().parents[2]
# The LLD lives in ../shared beside the repository (or beside the worktrees' folder).
LLD = next(
    (
        candidate
        for candidate in (
            _ROOT.parent / "shared/seed/000_40f6a92a51751387.txt",
            _ROOT.parent.parent / "shared/seed/000_40f6a92a51751387.txt",
        )
        if candidate.exists()
    ),
    _ROOT.parent / "shared/seed/000_40f6a92a51751387.txt",
)

# Lines that name the generator's version: they may differ between installs of grpcio-tools
# without the generated code differing.
_VERSION_LINE = re.compile(
    r"(Protobuf Python Version|GRPC_GENERATED_VERSION|_runtime_version\.Domain\.PUBLIC|^\s*\d+,$)"
)


def _normalized(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not _VERSION_LINE.search(line)]


def test_generated_code_matches_the_protos(tmp_path: Path) -> None:
    fresh = {path.name: path for path in generate(tmp_path)}
    checked_in = {path.name: path for path in GENERATED_DIR.iterdir() if path.is_file()}
    assert sorted(fresh) == sorted(checked_in)
    for name, path in fresh.items():
        assert _normalized(path) == _normalized(checked_in[name]), (
            f"{name} is stale: run `python -m omium.rpc.codegen`"
        )


def test_generated_code_imports_this_package() -> None:
    from omium.rpc.generated import consensus_pb2, consensus_pb2_grpc

    assert consensus_pb2.DESCRIPTOR.name == "omium/consensus.proto"
    assert hasattr(consensus_pb2_grpc, "ConsensusServiceStub")


def test_there_is_one_proto_per_lld_service() -> None:
    assert [str(path) for path in proto_files()] == [
        "omium/checkpoint.proto",
        "omium/consensus.proto",
        "omium/execution.proto",
    ]


@pytest.mark.skipif(not LLD.exists(), reason="the LLD is not beside the repository")
def test_protos_are_the_lld_verbatim() -> None:
    blocks = re.findall(r"```protobuf\n(.*?)```", LLD.read_text(), re.S)
    by_name = {block.splitlines()[0].removeprefix("//").strip(): block for block in blocks}
    for path in proto_files():
        assert (PROTO_ROOT / path).read_text() == by_name[path.name]
