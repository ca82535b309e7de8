"""Who signs credentials: the ``Signer`` interface and this site's Ed25519 key.

The key comes from the environment (settings ``CREDENTIALS_SIGNING_KEY``: a PEM private key
or a Multikey ``secretKeyMultibase`` such as ``z3u2...``; or ``CREDENTIALS_SIGNING_KEY_FILE``).
In development (DEBUG) a key is made once under ``var/`` on first use; in production
nothing is made: without a key, credentials are not offered. A hardware or cloud key
service only needs to implement ``Signer``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils.translation import gettext as _

from lms.certificates.credentials import links
from lms.certificates.credentials.multibase import (
    MultibaseError,
    ed25519_public_from_multikey,
    ed25519_public_multikey,
    ed25519_secret_from_multikey,
)

DEVELOPMENT_KEY_NAME = "credentials-signing-key.pem"


class SigningKeyMissing(Exception):
    """No signing key is configured (production without CREDENTIALS_SIGNING_KEY)."""


class SigningKeyInvalid(Exception):
    """The configured signing key cannot be read as an Ed25519 private key."""


@runtime_checkable
class Signer(Protocol):
    """Signs the bytes of a proof. ``verification_method`` names the public key (a URL)."""

    verification_method: str

    def sign(self, data: bytes) -> bytes: ...


class Ed25519Signer:
    """An Ed25519 private key held in this process."""

    def __init__(self, private_key: Ed25519PrivateKey, *, verification_method: str | None = None):
        self._private_key = private_key
        self.public_key_raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key_multibase = ed25519_public_multikey(self.public_key_raw)
        self.verification_method = (verification_method
                                    or links.key_url(self.public_key_multibase))

    def sign(self, data: bytes) -> bytes:
        return self._private_key.sign(data)


def ed25519_verify(*, public_key: bytes, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``data`` by ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def ed25519_private_key_parse(text: str) -> Ed25519PrivateKey:
    """A PEM (PKCS#8) Ed25519 private key, or a Multikey ``secretKeyMultibase``."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyInvalid(_("The credential signing key is not a readable PEM "
                                      "private key.")) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyInvalid(_("The credential signing key must be an Ed25519 key."))
        return key
    try:
        return Ed25519PrivateKey.from_private_bytes(ed25519_secret_from_multikey(text))
    except MultibaseError as exc:
        raise SigningKeyInvalid(_("The credential signing key is neither a PEM private key "
                                  "nor an Ed25519 secretKeyMultibase (z3u2...).")) from exc


def _development_key_file(path: Path) -> Path:
    """An Ed25519 key in PEM at ``path``, made (mode 0600) when missing."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path
        with os.fdopen(fd, "wb") as stream:
            stream.write(pem)
    return path


def _configured_key_text() -> str:
    if settings.CREDENTIALS_SIGNING_KEY:
        return settings.CREDENTIALS_SIGNING_KEY
    if settings.CREDENTIALS_SIGNING_KEY_FILE:
        return Path(settings.CREDENTIALS_SIGNING_KEY_FILE).read_text()
    if settings.DEBUG:
        return _development_key_file(Path(settings.VAR_DIR) / DEVELOPMENT_KEY_NAME).read_text()
    raise SigningKeyMissing(_("Open Badge credentials are not available: no signing key is "
                              "configured (CREDENTIALS_SIGNING_KEY)."))


def site_signer() -> Ed25519Signer:
    """This site's signer (raises SigningKeyMissing / SigningKeyInvalid)."""
    return Ed25519Signer(ed25519_private_key_parse(_configured_key_text()))


def published_public_keys() -> dict[str, bytes]:
    """The keys this site publishes, by ``publicKeyMultibase``: the signing key and the
    retired ones (CREDENTIALS_RETIRED_PUBLIC_KEYS), whose credentials still verify."""
    keys: dict[str, bytes] = {}
    for multibase in settings.CREDENTIALS_RETIRED_PUBLIC_KEYS:
        try:
            keys[multibase] = ed25519_public_from_multikey(multibase)
        except MultibaseError:
            continue  # a mistyped entry publishes nothing (and verifies nothing)
    try:
        signer = site_signer()
    except SigningKeyMissing:
        return keys
    keys[signer.public_key_multibase] = signer.public_key_raw
    return keys
