"""Where grading keeps its files: the ``private`` storage, never served as media.

Sources, data files, released notebooks and submissions are only ever sent by views that
check who is asking. Submissions are stored under their SHA-256, so the same bytes are
stored once and a stored file can be checked against its hash.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    return storages["private"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_store(*, data: bytes, prefix: str, suffix: str) -> tuple[str, str]:
    """Store ``data`` under ``prefix/<hash[:2]>/<hash><suffix>`` (once); (name, hash)."""
    digest = sha256(data)
    name = f"{prefix}/{digest[:2]}/{digest}{suffix}"
    storage = private_storage()
    if not storage.exists(name):
        stored = storage.save(name, ContentFile(data))
        if stored != name:  # a concurrent writer stored the same bytes first
            storage.delete(stored)
    return name, digest
