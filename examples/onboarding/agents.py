"""The three agents of the onboarding example: plain, deterministic Python (no LLM, no keys).

An agent receives an :class:`omium.agents.AgentContext` (its step's inputs, its config, the
execution id, a logger) and returns its outputs. Replace a body with an LLM call or a LangGraph
or CrewAI graph and the workflow, its conditions and its recovery stay the same.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from omium.agents import AgentContext, agent


def _age(dob: str, today: date) -> int:
    born = date.fromisoformat(dob)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@agent("kyc_agent")
def kyc_agent(ctx: AgentContext) -> dict[str, Any]:
    """Check identity data: a name, a well-formed SSN, an adult date of birth."""
    customer = ctx["customer_data"]
    digits = str(customer.get("ssn", "")).replace("-", "")
    checks = {
        "name": bool(str(customer.get("name", "")).strip()),
        "ssn": len(digits) == 9 and digits.isdigit(),
        "adult": _age(str(customer.get("dob", "2100-01-01")), date(2025, 11, 12)) >= 18,
    }
    score = round(100 * sum(checks.values()) / len(checks))
    return {"kyc_verified": all(checks.values()), "kyc_score": score}


@agent("credit_agent")
def credit_agent(ctx: AgentContext) -> dict[str, Any]:
    """Score credit from income and debt (300-850), stable for the same applicant."""
    customer = ctx["customer_data"]
    income = float(customer.get("annual_income", 0))
    debt = float(customer.get("existing_debt", 0))
    debt_ratio = debt / income if income > 0 else 1.0
    # A small, stable per-applicant spread, so that two applicants differ.
    spread = int(hashlib.sha256(str(customer.get("ssn")).encode()).hexdigest()[:2], 16) % 40
    score = 300 + 550 * (1 - min(debt_ratio, 1.0)) * (ctx["kyc_score"] / 100) - spread
    return {"credit_score": max(300, min(850, round(score)))}


@agent("offer_agent")
def offer_agent(ctx: AgentContext) -> dict[str, Any]:
    """Price the offer: the better the score, the lower the APR (8.5% down to 2.5%)."""
    quality = (ctx["credit_score"] - 300) / 550
    income = float(ctx["customer_data"].get("annual_income", 0))
    limit = round(income * (0.05 + 0.15 * quality), -2)
    return {
        "offer": {
            "product": "Omium Rewards Card",
            "apr": round(0.085 - 0.06 * quality, 4),
            "credit_limit": max(limit, 500.0),
            "term_months": 36,
        }
    }
