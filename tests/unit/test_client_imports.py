"""The client is light: importing it pulls in neither FastAPI nor SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys

import omium
import omium.client


def test_client_imports_neither_fastapi_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import omium\n"
        "from omium import AsyncClient, Client\n"
        "import omium.client\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'starlette', 'sqlalchemy', 'alembic', 'uvicorn', 'psycopg'})\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


def test_client_exports_are_pinned() -> None:
    assert set(omium.client.__all__) == {
        "DEFAULT_SERVER",
        "ApiAuthError",
        "ApiConflictError",
        "ApiError",
        "ApiNotFoundError",
        "ApiPermissionDeniedError",
        "ApiQuotaExceededError",
        "ApiRateLimitError",
        "ApiTokenExpiredError",
        "ApiUnavailableError",
        "ApiValidationError",
        "AsyncClient",
        "Client",
        "Credentials",
        "Event",
    }
    assert omium.Client is omium.client.Client
    assert omium.AsyncClient is omium.client.AsyncClient
