"""Settings: embedded defaults, URL normalization, clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from omium.config import Settings, load_settings
from omium.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("OMIUM_") and not key.startswith("OMIUM_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("OMIUM_REQUIRE_SERVICES", raising=False)


def test_embedded_default_needs_no_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMIUM_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'omium.db'}"
    assert settings.blob_url == (tmp_path / "blobs").as_uri()
    assert settings.redis_url is None
    assert settings.is_sqlite


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/omium", "postgresql+psycopg://u:p@db:5432/omium"),
        ("postgres://u@db/omium", "postgresql+psycopg://u@db/omium"),
        ("postgresql+psycopg://u@db/omium", "postgresql+psycopg://u@db/omium"),
        ("sqlite:////var/lib/omium.db", "sqlite:////var/lib/omium.db"),
    ],
)
def test_database_url_is_normalized(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("OMIUM_DATABASE_URL", given)
    assert load_settings().database_url == expected


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("OMIUM_DATABASE_URL", "mysql://root@db/omium", "unsupported database 'mysql'"),
        ("OMIUM_DATABASE_URL", "not a url", "cannot parse database URL"),
        ("OMIUM_DATABASE_URL", "sqlite://", "names no file"),
        ("OMIUM_DATABASE_URL", "postgresql://db", "names no database"),
        ("OMIUM_BLOB_URL", "ftp://x/y", "unsupported blob URL"),
        ("OMIUM_BLOB_URL", "s3://", "names no bucket"),
        ("OMIUM_REDIS_URL", "http://cache:6379", "unsupported Redis URL"),
        ("OMIUM_API_PORT", "70000", "OMIUM_API_PORT"),
        ("OMIUM_LOG_LEVEL", "loud", "OMIUM_LOG_LEVEL"),
        ("OMIUM_CHECKPOINT_COMPRESSION", "brotli", "OMIUM_CHECKPOINT_COMPRESSION"),
    ],
)
def test_bad_setting_gets_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert says in caught.value.message
    assert variable in caught.value.message


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMIUM_LOG_LEVEL", "DEBUG")
    assert load_settings().log_level.value == "debug"


def test_every_setting_is_described() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []
