"""CEL conditions and failure classification, alone."""

from __future__ import annotations

import pytest

from omium.conditions.cel import evaluate, is_structural, referenced_paths
from omium.domain import failures as fx
from omium.errors import ValidationError
from omium.types import FailureType


def test_condition_reports_expression_and_values() -> None:
    f = evaluate("offer.apr >= 0.025 && offer.apr <= 0.085", {"offer": {"apr": 0.0}})
    assert f is not None
    assert (
        f.describe() == "`offer.apr >= 0.025 && offer.apr <= 0.085` is false; saw offer.apr = 0.0"
    )
    assert evaluate("offer.apr >= 0.025", {"offer": {"apr": 0.05}}) is None


def test_missing_key_is_an_error_outcome() -> None:
    f = evaluate("document.type != null", {"document": {}})
    assert f is not None and f.outcome == "error"
    assert f.values == {"document.type": "<missing>"}


def test_invalid_expression_is_rejected() -> None:
    with pytest.raises(ValidationError):
        evaluate("offer.apr >=", {})


def test_cel_is_a_sandbox() -> None:
    f = evaluate("__import__('os').system('true') == 0", {})
    assert f is not None and f.outcome == "error"


def test_paths_and_structure() -> None:
    assert referenced_paths("has(a.b) && c.d > 1 && 'x.y' == e") == ["a.b", "c.d", "e"]
    assert is_structural("document.type != null")
    assert is_structural("has(offer.apr)")
    assert is_structural("size(items) > 0")
    assert not is_structural("offer.apr <= 0.085")
    assert not is_structural("status == 'approved'")


def test_range_fix_reads_like_a_person_wrote_it() -> None:
    f = evaluate("offer.apr >= 0.025 && offer.apr <= 0.085", {"offer": {"apr": 0.2}})
    assert f is not None
    c = fx.classify_postcondition("offer_agent", 3, f)
    assert c.failure_type == FailureType.HALLUCINATION
    assert c.suggested_fix == (
        "Add the constraint 0.025 <= offer.apr <= 0.085 to the offer agent's prompt"
    )
    assert c.transient is False


def test_structural_postcondition_is_validation_error() -> None:
    f = evaluate("offer.apr != null", {"offer": {"apr": None}})
    assert f is not None
    assert fx.classify_postcondition("offer_agent", 3, f).failure_type == (
        FailureType.VALIDATION_ERROR
    )


def test_severities_and_transience() -> None:
    assert fx.classify_timeout("a", 1, 10).severity.value == "medium"
    assert fx.classify_state_sync("a", 1, "checksum").severity.value == "critical"
    c = fx.classify_consensus("a", 1, "2 of 3 acks")
    assert c.failure_type == FailureType.CONSENSUS_VIOLATION and c.severity.value == "high"
    assert fx.classify_timeout("a", 1, 10).transient
