"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C "Data Integrity EdDSA
Cryptosuites v1.0", section 3.3).

Signing: canonicalize the document without its proof and the proof configuration (the
proof options with the document's ``@context``) with RDFC-1.0, hash each with SHA-256, sign
``hash(proof configuration) || hash(document)`` with Ed25519 and write the signature as
multibase base58btc. Checked against the specification's test vector in
tests/certificates/test_credentials.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.utils.translation import gettext as _

from lms.certificates.credentials.documents import Loader, canonicalize, document_loader
from lms.certificates.credentials.multibase import (
    MultibaseError,
    base58btc_decode,
    base58btc_encode,
)
from lms.certificates.credentials.signing import Signer, ed25519_verify

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION_METHOD = "assertionMethod"


class ProofInvalid(Exception):
    """The proof is missing, malformed, or does not verify (the message says which)."""


def xsd_datetime(moment: dt.datetime) -> str:
    """An aware datetime as an XML Schema dateTimeStamp, to the second (e.g.
    ``2024-05-01T10:00:00+09:00``)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in a credential")
    text = moment.replace(microsecond=0).isoformat()
    # UTC is written "Z", as the specifications' examples (and test vectors) do.
    return text.removesuffix("+00:00") + "Z" if moment.utcoffset() == dt.timedelta(0) else text


def proof_hashes(*, document: dict, proof_options: dict,
                 loader: Loader | None = None) -> tuple[bytes, bytes]:
    """SHA-256 of the canonical proof configuration and of the canonical document."""
    loader = loader or document_loader()
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config["@context"] = unsecured.get("@context")
    config_hash = hashlib.sha256(canonicalize(config, loader=loader).encode()).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured, loader=loader).encode()).digest()
    return config_hash, document_hash


def proof_create(*, document: dict, signer: Signer, created: dt.datetime,
                 loader: Loader | None = None) -> dict:
    """The document with an ``eddsa-rdfc-2022`` assertion proof by ``signer`` added."""
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": signer.verification_method,
        "proofPurpose": ASSERTION_METHOD,
    }
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config_hash, document_hash = proof_hashes(document=unsecured, proof_options=options,
                                              loader=loader)
    signature = signer.sign(config_hash + document_hash)
    return {**unsecured, "proof": {**options, "proofValue": base58btc_encode(signature)}}


def proof_options_check(proof: object) -> dict:
    """The proof, when it is one this cryptosuite verifies (else ProofInvalid)."""
    if proof is None:
        raise ProofInvalid(_("The credential has no proof: it is not signed."))
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofInvalid(_("The credential has several proofs; only one is supported."))
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofInvalid(_("The proof is not a JSON object."))
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofInvalid(_("The proof is not a DataIntegrityProof with the eddsa-rdfc-2022 "
                             "cryptosuite."))
    if proof.get("proofPurpose") != ASSERTION_METHOD:
        raise ProofInvalid(_("The proof's purpose is not assertionMethod."))
    for name in ("created", "verificationMethod", "proofValue"):
        if not isinstance(proof.get(name), str):
            raise ProofInvalid(_("The proof has no %(name)s.") % {"name": name})
    return proof


def proof_verify(*, document: dict, public_key_for: Callable[[str], bytes],
                 loader: Loader | None = None) -> str:
    """Check the document's proof; returns the verification method that signed it.

    ``public_key_for(verification_method)`` gives the raw Ed25519 public key (or raises
    ProofInvalid with the reason it cannot). Raises ProofInvalid when the proof fails, and
    ContextNotAllowed / UndefinedTerms when the document cannot be canonicalized.
    """
    proof = proof_options_check(document.get("proof"))
    context = proof.get("@context")
    if context is not None:
        # A proof with its own @context must repeat the start of the document's.
        expected = context if isinstance(context, list) else [context]
        actual = document.get("@context")
        actual = actual if isinstance(actual, list) else [actual]
        if actual[:len(expected)] != expected:
            raise ProofInvalid(_("The proof's @context does not match the credential's."))
    try:
        signature = base58btc_decode(proof["proofValue"])
    except MultibaseError as exc:
        raise ProofInvalid(_("The proof value is not multibase base58btc: %(error)s")
                           % {"error": exc}) from exc
    if len(signature) != 64:
        raise ProofInvalid(_("The signature does not match the credential: it was changed "
                             "after signing."))
    public_key = public_key_for(proof["verificationMethod"])
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    if context is not None:
        unsecured["@context"] = context
    config_hash, document_hash = proof_hashes(document=unsecured, proof_options=proof,
                                              loader=loader)
    if not ed25519_verify(public_key=public_key, data=config_hash + document_hash,
                          signature=signature):
        raise ProofInvalid(_("The signature does not match the credential: it was changed "
                             "after signing."))
    return proof["verificationMethod"]
