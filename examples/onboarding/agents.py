"""The three agents of the onboarding example: plain, deterministic Python (no LLM, no keys).

Each agent receives its step's inputs and returns its outputs. Replace a body with an LLM call
or a LangGraph/CrewAI graph and the workflow, its conditions and its recovery stay the same.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from omium.agents import agent


def _age(dob: str, today: date) -> int:
    born = date.fromisoformat(dob)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@agent("kyc_agent")
def kyc_agent(customer_data: dict[str, Any]) -> dict[str, Any]:
    """Check identity data: a name, a well-formed SSN, an adult date of birth."""
    ssn = str(customer_data.get("ssn", ""))
    digits = ssn.replace("-", "")
    checks = {
        "name": bool(str(customer_data.get("name", "")).strip()),
        "ssn": len(digits) == 9 and digits.isdigit(),
        "adult": _age(str(customer_data.get("dob", "2100-01-01")), date(2025, 11, 12)) >= 18,
    }
    score = round(100 * sum(checks.values()) / len(checks))
    return {"kyc_verified": all(checks.values()), "kyc_score": score}


@agent("credit_agent")
def credit_agent(
    customer_data: dict[str, Any], kyc_verified: bool, kyc_score: int
) -> dict[str, Any]:
    """Score credit from income and debt (300-850), stable for the same applicant."""
    income = float(customer_data.get("annual_income", 0))
    debt = float(customer_data.get("existing_debt", 0))
    debt_ratio = debt / income if income > 0 else 1.0
    # A small, stable per-applicant spread, so that two applicants differ.
    spread = int(hashlib.sha256(str(customer_data.get("ssn")).encode()).hexdigest()[:2], 16) % 40
    score = 300 + 550 * (1 - min(debt_ratio, 1.0)) * (kyc_score / 100) - spread
    return {"credit_score": max(300, min(850, round(score)))}


@agent("offer_agent")
def offer_agent(customer_data: dict[str, Any], credit_score: int) -> dict[str, Any]:
    """Price the offer: the better the score, the lower the APR (8.5% down to 2.5%)."""
    quality = (credit_score - 300) / 550
    apr = round(0.085 - 0.06 * quality, 4)
    limit = round(float(customer_data.get("annual_income", 0)) * (0.05 + 0.15 * quality), -2)
    return {
        "offer": {
            "product": "Omium Rewards Card",
            "apr": apr,
            "credit_limit": max(limit, 500.0),
            "term_months": 36,
        }
    }
