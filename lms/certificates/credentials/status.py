"""Revocation status: W3C Bitstring Status List v1.0.

Each certificate has one bit, at index ``pk mod LIST_SIZE`` of list number
``pk div LIST_SIZE + 1``. The list is built from the database on every request, so a
revocation shows at once, and is itself a credential signed with the site's key.
"""

from __future__ import annotations

import datetime as dt
import gzip
import zlib
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from lms.certificates.credentials import links
from lms.certificates.credentials.documents import VC_V2
from lms.certificates.credentials.multibase import (
    MultibaseError,
    base64url_decode,
    base64url_encode,
)
from lms.certificates.credentials.proofs import proof_create, xsd_datetime
from lms.certificates.credentials.selectors import revoked_certificate_ids
from lms.certificates.credentials.signing import Signer, site_signer

# The specification's minimum (16 KB): a list this long hides how many were issued.
LIST_SIZE = 131_072
# A published list is at most this long once decompressed (a bound against gzip bombs).
MAX_LIST_BYTES = 16 * 1024 * 1024
REVOCATION = "revocation"


class StatusListInvalid(Exception):
    pass


def status_position(*, certificate_id: int) -> tuple[int, int]:
    """(list number, index in that list) of a certificate's bit."""
    return certificate_id // LIST_SIZE + 1, certificate_id % LIST_SIZE


def bitstring_encode(*, set_indexes: Iterable[int], size: int = LIST_SIZE) -> str:
    """The ``encodedList`` of a bitstring with these bits set (index 0 is the left-most
    bit of the first byte): GZIP, then multibase base64url."""
    bits = bytearray(size // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return base64url_encode(gzip.compress(bytes(bits), mtime=0))


def bitstring_decode(encoded: object) -> bytes:
    try:
        compressed = base64url_decode(encoded)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        bits = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    except (MultibaseError, zlib.error) as exc:
        raise StatusListInvalid(_("The status list is not a GZIP-compressed, base64url "
                                  "bitstring: %(error)s") % {"error": exc}) from exc
    if len(bits) > MAX_LIST_BYTES:
        raise StatusListInvalid(_("The status list is too long."))
    if len(bits) * 8 < LIST_SIZE:
        raise StatusListInvalid(_("The status list is shorter than the 131,072 bits the "
                                  "specification requires."))
    return bits


def bitstring_bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise StatusListInvalid(_("The status index %(index)s is outside the status list.")
                                % {"index": index})
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def credential_status_entry(*, certificate_id: int) -> dict:
    """The ``credentialStatus`` of a certificate's credential."""
    number, index = status_position(certificate_id=certificate_id)
    url = links.status_list_url(number)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": REVOCATION, "statusListIndex": str(index),
            "statusListCredential": url}


def status_list_credential_build(*, number: int, now: dt.datetime | None = None) -> dict:
    """The (unsigned) BitstringStatusListCredential of list ``number``, from the database."""
    now = now or timezone.now()
    first = (number - 1) * LIST_SIZE
    revoked = revoked_certificate_ids(first=first, last=first + LIST_SIZE)
    url = links.status_list_url(number)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": links.issuer_url(),
        "validFrom": xsd_datetime(timezone.localtime(now)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": REVOCATION,
            "encodedList": bitstring_encode(set_indexes=(pk - first for pk in revoked)),
        },
    }


def status_list_credential_issue(*, number: int, signer: Signer | None = None,
                                 now: dt.datetime | None = None) -> dict:
    """The signed status list ``number`` as this site publishes it."""
    now = now or timezone.now()
    return proof_create(document=status_list_credential_build(number=number, now=now),
                        signer=signer or site_signer(), created=timezone.localtime(now))
