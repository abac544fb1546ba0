"""Blob stores for large checkpoint parts: ``file://`` (default) and ``s3://``."""

from __future__ import annotations

from omium.config import Settings
from omium.store.blobs.base import BlobInfo, BlobNotFoundError, BlobStore
from omium.store.blobs.file import FileBlobStore


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store named by ``settings.blob_url``."""
    url = settings.blob_url
    if url.startswith("s3://"):
        from omium.store.blobs.s3 import S3BlobStore

        secret = settings.s3_secret_access_key
        return S3BlobStore.from_uri(
            url,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    return FileBlobStore.from_uri(url)


__all__ = ["BlobInfo", "BlobNotFoundError", "BlobStore", "FileBlobStore", "open_blob_store"]
