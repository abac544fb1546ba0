"""Responses of the hottest routes, serialized once.

A route that returns its model lets FastAPI validate it again against the response model,
then serialize it; a route whose model is built from its own schema can skip the second
validation. The route still declares ``response_model`` for the OpenAPI document.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_response(model: BaseModel, status_code: int, sub: Response) -> Response:
    """``model`` as a JSON response, with the headers dependencies set on ``sub`` (the
    route's ``response`` parameter: rate-limit headers)."""
    out = Response(
        model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json"
    )
    out.headers.raw.extend(sub.headers.raw)
    return out
