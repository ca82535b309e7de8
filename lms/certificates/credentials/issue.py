"""The Open Badges 3.0 credential of a certificate, and the documents the site publishes.

The credential is made (and signed) when it is downloaded, from what the certificate
recorded when it was issued; so it is the same certificate every time, and revocation is
carried by the status list, not by the credential.

Personal data is kept to the minimum: the holder appears only as an OB 3.0 IdentityObject
of the name, hashed with a salt unless the learner chose to show their name (the same
choice as on the verification page); no e-mail, no birth date.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from lms.certificates.credentials import links
from lms.certificates.credentials.documents import OB_V3, VC_V2
from lms.certificates.credentials.proofs import proof_create, xsd_datetime
from lms.certificates.credentials.signing import Signer, site_signer
from lms.certificates.credentials.status import credential_status_entry
from lms.certificates.models import Certificate

MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


def identity_hash(*, value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` and the hex SHA-256 of the value and the salt."""
    return "sha256$" + hashlib.sha256((value + salt).encode()).hexdigest()


def _identity_salt(certificate: Certificate) -> str:
    # Stable for a certificate (each download hashes the same way) yet not guessable
    # from outside, so the hashes of two certificates cannot be matched to each other.
    # (The salt keeps the name it had in the grading app: a new one would change the
    # identity hash of every credential already issued.)
    return salted_hmac("grading.credentials.identity-salt", certificate.code).hexdigest()[:16]


def holder_identity(*, certificate: Certificate) -> dict:
    """The holder as an OB 3.0 IdentityObject: the name in plain text only with consent."""
    if certificate.show_name:
        return {"type": "IdentityObject", "identityType": "name", "hashed": False,
                "identityHash": certificate.holder_name}
    salt = _identity_salt(certificate)
    return {"type": "IdentityObject", "identityType": "name", "hashed": True,
            "identityHash": identity_hash(value=certificate.holder_name, salt=salt),
            "salt": salt}


def issuer_profile_build() -> dict:
    """The issuer's OB 3.0 Profile (embedded in credentials and published at its id)."""
    return {"id": links.issuer_url(), "type": ["Profile"], "name": settings.WAGTAIL_SITE_NAME,
            "url": links.base_url() + "/"}


def issuer_profile_document() -> dict:
    return {"@context": [VC_V2, OB_V3], **issuer_profile_build()}


def key_document_build(*, public_key_multibase: str) -> dict:
    """The Multikey document of a verification method of this site."""
    return {"@context": MULTIKEY_CONTEXT, "id": links.key_url(public_key_multibase),
            "type": "Multikey", "controller": links.issuer_url(),
            "publicKeyMultibase": public_key_multibase}


def _achievement(certificate: Certificate) -> dict:
    programme = certificate.enrolment.run.programme
    title_en = certificate.programme_title_en or certificate.programme_title
    with translation.override("en"):
        description = _("%(title)s: an industrial AI micro-degree programme of %(hours)s "
                        "hours.") % {"title": title_en, "hours": certificate.hours}
    with translation.override("ko"):
        narrative = _("Complete all %(hours)s hours of the programme “%(title)s”: pass every "
                      "notebook assignment at or above its pass mark and complete every "
                      "module by the end of the run.") % {"hours": certificate.hours,
                                                          "title": certificate.programme_title}
    return {
        "id": links.achievement_url(programme.translation_key),
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": certificate.programme_title,
        "inLanguage": "ko",
        "description": description,
        "criteria": {"narrative": narrative},
    }


def credential_build(*, certificate: Certificate) -> dict:
    """The unsigned OpenBadgeCredential of a certificate."""
    issued_at = timezone.localtime(certificate.issued_at)
    document = {
        "@context": [VC_V2, OB_V3],
        "id": links.credential_url(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.programme_title,
        "issuer": issuer_profile_build(),
        "validFrom": xsd_datetime(issued_at),
        "awardedDate": xsd_datetime(issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [holder_identity(certificate=certificate)],
            "achievement": _achievement(certificate),
        },
        "credentialStatus": credential_status_entry(certificate_id=certificate.pk),
    }
    if settings.CREDENTIALS_VALIDITY_DAYS > 0:
        valid_until = issued_at + dt.timedelta(days=settings.CREDENTIALS_VALIDITY_DAYS)
        document["validUntil"] = xsd_datetime(valid_until)
    return document


def credential_sign(*, document: dict, signer: Signer | None = None,
                    created: dt.datetime | None = None) -> dict:
    """The document with this site's ``eddsa-rdfc-2022`` proof."""
    return proof_create(document=document, signer=signer or site_signer(),
                        created=timezone.localtime(created or timezone.now()))


def credential_issue(*, certificate: Certificate, signer: Signer | None = None,
                     created: dt.datetime | None = None) -> dict:
    """The signed credential of a certificate (revoked ones too: the status list says so)."""
    return credential_sign(document=credential_build(certificate=certificate), signer=signer,
                           created=created)
