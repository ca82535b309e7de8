"""The few multibase / multicodec encodings that Data Integrity proofs and Multikeys use.

Written out here (a few lines each) rather than taken from a package: base58btc ('z'),
base64url without padding ('u'), and the Ed25519 Multikey prefixes.
"""

from __future__ import annotations

import base64

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}

# Multicodec varints: ed25519-pub (0xed) and ed25519-priv (0x1300).
ED25519_PUBLIC_PREFIX = b"\xed\x01"
ED25519_SECRET_PREFIX = b"\x80\x26"


class MultibaseError(ValueError):
    pass


def base58btc_encode(data: bytes) -> str:
    """Multibase base58btc: 'z' and the Bitcoin base58 alphabet."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "z" + "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise MultibaseError("not a multibase base58btc value (it must start with 'z')")
    body = text[1:]
    number = 0
    for char in body:
        if char not in _INDEX:
            raise MultibaseError(f"{char!r} is not a base58btc character")
        number = number * 58 + _INDEX[char]
    zeros = len(body) - len(body.lstrip("1"))
    return b"\0" * zeros + (number.to_bytes((number.bit_length() + 7) // 8, "big")
                            if number else b"")


def base64url_encode(data: bytes) -> str:
    """Multibase base64url without padding: 'u' (the Bitstring Status List encoding)."""
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("u"):
        raise MultibaseError("not a multibase base64url value (it must start with 'u')")
    body = text[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise MultibaseError(f"not valid base64url: {exc}") from exc


def ed25519_public_multikey(raw: bytes) -> str:
    """The ``publicKeyMultibase`` of an Ed25519 public key (``z6Mk...``)."""
    return base58btc_encode(ED25519_PUBLIC_PREFIX + raw)


def ed25519_public_from_multikey(text: str) -> bytes:
    data = base58btc_decode(text)
    if not data.startswith(ED25519_PUBLIC_PREFIX) or len(data) != 34:
        raise MultibaseError("not an Ed25519 public key in Multikey form (z6Mk...)")
    return data[2:]


def ed25519_secret_from_multikey(text: str) -> bytes:
    """The 32-byte seed of a ``secretKeyMultibase`` (``z3u2...``)."""
    data = base58btc_decode(text)
    if not data.startswith(ED25519_SECRET_PREFIX) or len(data) != 34:
        raise MultibaseError("not an Ed25519 secret key in Multikey form (z3u2...)")
    return data[2:]


def ed25519_secret_multikey(seed: bytes) -> str:
    return base58btc_encode(ED25519_SECRET_PREFIX + seed)
