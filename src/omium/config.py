"""Settings, read from the environment (prefix ``OMIUM_``) and validated at start.

The embedded default needs nothing: a SQLite file and a blob folder under the data directory,
an in-process cache and bus. Production points the same code at PostgreSQL, Redis and an
S3-compatible store by URL.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from omium.errors import ConfigurationError
from omium.types import CompressionType


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


_DB_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def normalize_database_url(url: str) -> str:
    """Check a database URL and pin its driver: ``postgresql://`` becomes psycopg 3.

    Raises:
        ValueError: the URL cannot be parsed or names a database Omium does not run on.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(
            f"cannot parse database URL {url!r}: expected sqlite:///path/to/file.db "
            "or postgresql://user@host:5432/dbname"
        ) from exc
    driver = _DB_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database {parsed.drivername!r} in {url!r}: "
            "Omium runs on sqlite:///... or postgresql://..."
        )
    if driver == "sqlite" and not parsed.database:
        raise ValueError(
            f"database URL {url!r} names no file: use sqlite:///path/to/omium.db "
            "(an in-memory SQLite database cannot be shared between roles)"
        )
    if driver.startswith("postgresql") and not parsed.database:
        raise ValueError(f"database URL {url!r} names no database: add /dbname")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Every setting of an Omium process. Environment variables: ``OMIUM_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="OMIUM_", extra="ignore", validate_default=True, frozen=True
    )

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="development or production; production refuses generated secrets.",
    )
    data_dir: Path = Field(
        Path(".omium"),
        description="Where the embedded default keeps its SQLite file, blobs and keys.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the metadata database; default: a SQLite file in "
        "the data directory. postgresql://user@host/db selects PostgreSQL (psycopg 3).",
    )
    blob_url: str = Field(
        "",
        description="Where checkpoint blobs live: file:///path (default: <data_dir>/blobs) "
        "or s3://bucket/prefix for any S3-compatible store.",
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:6379/0 for rate limits, live status and pub/sub; "
        "unset = in-process cache and bus.",
    )
    s3_endpoint_url: str | None = Field(
        None, description="Endpoint of the S3-compatible store (unset = AWS)."
    )
    s3_region: str = Field("us-east-1", description="Region of the S3-compatible store.")
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    api_host: str = Field("127.0.0.1", description="Interface the REST API listens on.")
    api_port: int = Field(8000, ge=0, le=65535, description="Port of the REST API.")
    grpc_port: int = Field(50051, ge=0, le=65535, description="Port of the gRPC server.")
    log_level: LogLevel = Field(LogLevel.INFO, description="Log level of every role.")
    checkpoint_compression: CompressionType = Field(
        CompressionType.GZIP, description="Compression of checkpoint blobs: gzip, zstd or none."
    )
    checkpoint_retention_days: int | None = Field(
        None, ge=1, description="Days a checkpoint is kept (unset = forever)."
    )

    agent_modules: str = Field(
        "",
        description="Comma-separated modules whose @omium.agent callables workers may run "
        "(the allow-list; the 'omium.agents' entry-point group adds to it).",
    )
    worker_id: str | None = Field(
        None, description="Name of this worker in leases (default: host:pid:random)."
    )
    worker_concurrency: int = Field(
        8, ge=1, description="Executions one worker process runs at the same time."
    )
    worker_lease_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a worker's claim on an execution lasts without a heartbeat; "
        "after it lapses another worker takes the execution over.",
    )
    worker_poll_seconds: float = Field(
        0.5, gt=0, description="How often an idle worker looks for pending executions."
    )
    worker_shutdown_grace_seconds: float = Field(
        30.0, ge=0, description="How long a stopping worker lets in-flight steps finish."
    )
    # Auth, limits and request handling of the API.
    secret_key: SecretStr | None = Field(
        None,
        description="Key that encrypts TOTP secrets at rest (any string of 32+ characters); "
        "unset = one generated on first start and kept in the database.",
    )
    access_token_ttl_seconds: int = Field(
        3600, ge=60, le=86400, description="Lifetime of an access token (JWT), in seconds."
    )
    refresh_token_ttl_seconds: int = Field(
        30 * 86400, ge=300, description="Lifetime of a refresh token, in seconds."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins of one email within the lockout window that lock it."
    )
    login_lockout_seconds: int = Field(
        900, ge=1, description="Window of counted failed logins, and how long a lock lasts."
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long one API process trusts a verified token or API key before "
        "looking again; bounds how late another process sees a revocation (0 = no cache).",
    )
    rate_limit_per_minute: int = Field(
        600, ge=1, description="Requests per minute one principal may make to one route."
    )
    max_request_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body the API accepts (413 above)."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return normalize_database_url(value) if value else value

    @field_validator("blob_url")
    @classmethod
    def _check_blob_url(cls, value: str) -> str:
        if value and not value.startswith(("file://", "s3://")):
            raise ValueError(
                f"unsupported blob URL {value!r}: use file:///path or s3://bucket/prefix"
            )
        if value.startswith("s3://") and not value[len("s3://") :].strip("/"):
            raise ValueError(f"blob URL {value!r} names no bucket: use s3://bucket/prefix")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"unsupported Redis URL {value!r}: use redis://host:6379/0 or rediss://..."
            )
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("the secret key must be at least 32 characters long")
        return value

    @model_validator(mode="after")
    def _refuse_generated_secrets_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION and self.secret_key is None:
            raise ValueError(
                "production needs OMIUM_SECRET_KEY (a generated key would live only in the "
                "database it protects)"
            )
        return self

    @model_validator(mode="after")
    def _fill_embedded_defaults(self) -> Settings:
        # Derived defaults depend on data_dir, so they are filled after it is known.
        data_dir = self.data_dir.expanduser()
        object.__setattr__(self, "data_dir", data_dir)
        if not self.database_url:
            url = f"sqlite:///{(data_dir / 'omium.db').resolve()}"
            object.__setattr__(self, "database_url", url)
        if not self.blob_url:
            object.__setattr__(self, "blob_url", (data_dir / "blobs").resolve().as_uri())
        return self

    @property
    def agent_module_list(self) -> list[str]:
        return [m.strip() for m in self.agent_modules.split(",") if m.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a validation failure into one readable ConfigurationError."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return Settings(**overrides)
    except PydanticValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"OMIUM_{field.upper()}: {message}")
        raise ConfigurationError(
            "invalid configuration:\n  " + "\n  ".join(lines),
            details={"errors": lines},
        ) from None
