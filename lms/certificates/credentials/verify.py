"""Checking a credential: its form, contexts, proof, validity period and revocation status.

Everything is checked offline by default: this site's keys come from its own configuration,
``did:key`` keys from the key id itself, and the status of this site's credentials from its
database (or from the status list it publishes, built the same way). Keys and status lists
of other sites are only fetched over HTTP when asked to (``fetch=True``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.certificates.credentials import links
from lms.certificates.credentials.documents import (
    VC_V2,
    ContextNotAllowed,
    Loader,
    UndefinedTerms,
    document_loader,
    expand_strict,
)
from lms.certificates.credentials.multibase import MultibaseError, ed25519_public_from_multikey
from lms.certificates.credentials.proofs import ProofInvalid, proof_verify
from lms.certificates.credentials.selectors import certificate_for_credential
from lms.certificates.credentials.signing import published_public_keys
from lms.certificates.credentials.status import (
    StatusListInvalid,
    bitstring_bit,
    bitstring_decode,
    status_list_credential_issue,
    status_position,
)

FETCH_TIMEOUT_SECONDS = 10.0
MAX_FETCH_BYTES = 2 * 1024 * 1024


class CredentialUnusable(Exception):
    """The input is not a credential at all (not JSON, not an object, no VC type)."""


@dataclass
class Check:
    name: str
    ok: bool
    message: str


@dataclass
class VerificationResult:
    checks: list[Check] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def problems(self) -> list[str]:
        return [check.message for check in self.checks if not check.ok]

    def add(self, name: str, ok: bool, message: str) -> None:
        self.checks.append(Check(name=name, ok=ok, message=str(message)))


@dataclass
class _Key:
    raw: bytes
    controller: str  # who the key belongs to (must be the credential's issuer)


def credential_parse(data: bytes | str) -> dict:
    """The credential in ``data`` (raises CredentialUnusable with the reason)."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CredentialUnusable(_("The file is not JSON: %(error)s") % {"error": exc}) from exc
    credential_shape_check(document)
    return document


def credential_shape_check(document: object) -> None:
    if not isinstance(document, dict):
        raise CredentialUnusable(_("The JSON is not an object, so it is not a credential."))
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "@context" not in document or "VerifiableCredential" not in types:
        raise CredentialUnusable(_("The JSON is not a verifiable credential (it needs an "
                                   "@context and the type VerifiableCredential)."))


def _issuer_id(document: dict) -> object:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _parse_datetime(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _shown(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _fetch_json(url: str) -> dict:
    """A JSON document over HTTP(S), bounded in time and size."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(_("%(url)s is not an HTTP address.") % {"url": url})
    with httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True,
                      max_redirects=3) as client, client.stream(
            "GET", url, headers={"Accept": "application/ld+json, application/json"}) as reply:
        reply.raise_for_status()
        body = b""
        for chunk in reply.iter_bytes():
            body += chunk
            if len(body) > MAX_FETCH_BYTES:
                raise ValueError(_("%(url)s answered with too much data.") % {"url": url})
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError(_("%(url)s did not answer with a JSON object.") % {"url": url})
    return document


class _Verifier:
    def __init__(self, *, now: dt.datetime, fetch: bool, use_status_list: bool,
                 loader: Loader):
        self.now, self.fetch, self.use_status_list, self.loader = (
            now, fetch, use_status_list, loader)

    # --- keys ---------------------------------------------------------------------------
    def key_for(self, verification_method: str) -> _Key:
        match = links.local_match(verification_method)
        if match is not None and match.view_name == "credentials:key":
            multibase = match.kwargs["public_key_multibase"]
            raw = published_public_keys().get(multibase)
            if raw is None:
                raise ProofInvalid(_("The key %(key)s is not one this site publishes.")
                                   % {"key": verification_method})
            return _Key(raw=raw, controller=links.issuer_url())
        if verification_method.startswith("did:key:"):
            did, _hash, fragment = verification_method.partition("#")
            multibase = did.removeprefix("did:key:")
            if fragment and fragment != multibase:
                raise ProofInvalid(_("The did:key verification method %(key)s is malformed.")
                                   % {"key": verification_method})
            try:
                return _Key(raw=ed25519_public_from_multikey(multibase), controller=did)
            except MultibaseError as exc:
                raise ProofInvalid(_("The did:key %(key)s is not an Ed25519 key.")
                                   % {"key": verification_method}) from exc
        if not self.fetch:
            raise ProofInvalid(_("The verification method %(key)s is not this site's, so it "
                                 "cannot be resolved offline (use --fetch to resolve it over "
                                 "HTTP).") % {"key": verification_method})
        try:
            key_document = _fetch_json(verification_method)
            if key_document.get("id") != verification_method:
                raise ValueError(_("the document at that address has another id"))
            raw = ed25519_public_from_multikey(key_document.get("publicKeyMultibase"))
        except (httpx.HTTPError, ValueError) as exc:
            raise ProofInvalid(_("The verification method %(key)s could not be resolved: "
                                 "%(error)s") % {"key": verification_method,
                                                 "error": exc}) from exc
        return _Key(raw=raw, controller=str(key_document.get("controller", "")))

    def proof_check(self, document: dict) -> str:
        """Verify the proof and that the key belongs to the issuer; returns a message."""
        keys: dict[str, _Key] = {}

        def public_key_for(method: str) -> bytes:
            keys[method] = self.key_for(method)
            return keys[method].raw

        method = proof_verify(document=document, public_key_for=public_key_for,
                              loader=self.loader)
        issuer = _issuer_id(document)
        if keys[method].controller != issuer:
            raise ProofInvalid(_("The key that signed the credential (%(key)s) does not belong "
                                 "to its issuer %(issuer)s.") % {"key": method,
                                                                 "issuer": issuer})
        return method

    # --- checks -------------------------------------------------------------------------
    def contexts(self, result: VerificationResult, document: dict) -> None:
        context = document.get("@context")
        if not isinstance(context, list) or not context or context[0] != VC_V2:
            result.add("contexts", False, _("The first @context must be %(url)s.")
                       % {"url": VC_V2})
            return
        try:
            expand_strict(document, loader=self.loader)
        except (ContextNotAllowed, UndefinedTerms) as exc:
            result.add("contexts", False, str(exc))
        except Exception as exc:  # noqa: BLE001 - any JSON-LD error is a failed check
            result.add("contexts", False, _("The credential is not valid JSON-LD: %(error)s")
                       % {"error": getattr(exc, "args", [exc])[0]})
        else:
            result.add("contexts", True, _("Only contexts shipped with this site are used, "
                                           "and they define every property."))

    def types(self, result: VerificationResult, document: dict) -> None:
        types = document.get("type")
        if isinstance(types, list) and "OpenBadgeCredential" in types:
            result.add("type", True, _("An Open Badges 3.0 credential (OpenBadgeCredential)."))
        else:
            result.add("type", False, _("The credential is not an OpenBadgeCredential."))

    def proof(self, result: VerificationResult, document: dict) -> None:
        try:
            method = self.proof_check(document)
        except ProofInvalid as exc:
            result.add("proof", False, str(exc))
        except (ContextNotAllowed, UndefinedTerms) as exc:
            result.add("proof", False, _("The proof cannot be checked: %(error)s")
                       % {"error": exc})
        except Exception as exc:  # noqa: BLE001 - a document pyld cannot read fails here
            result.add("proof", False, _("The proof cannot be checked: %(error)s")
                       % {"error": getattr(exc, "args", [exc])[0]})
        else:
            result.add("proof", True, _("The eddsa-rdfc-2022 signature by %(key)s matches the "
                                        "credential.") % {"key": method})

    def validity(self, result: VerificationResult, document: dict, *,
                 name: str = "validity") -> None:
        problems = []
        valid_from, valid_until = document.get("validFrom"), document.get("validUntil")
        start, end = _parse_datetime(valid_from), _parse_datetime(valid_until)
        if valid_from is not None and start is None:
            problems.append(_("validFrom is not a date and time with a time zone."))
        if valid_until is not None and end is None:
            problems.append(_("validUntil is not a date and time with a time zone."))
        if start is not None and self.now < start:
            problems.append(_("The credential is not valid yet: it is valid from %(date)s.")
                            % {"date": _shown(start)})
        if end is not None and self.now >= end:
            problems.append(_("The credential has expired: it was valid until %(date)s.")
                            % {"date": _shown(end)})
        if problems:
            result.add(name, False, " ".join(str(p) for p in problems))
        elif end is not None:
            result.add(name, True, _("Valid from %(start)s until %(end)s.")
                       % {"start": _shown(start) if start else "-", "end": _shown(end)})
        else:
            result.add(name, True, _("Valid from %(start)s, with no expiry.")
                       % {"start": _shown(start) if start else "-"})

    def status(self, result: VerificationResult, document: dict) -> None:
        entries = document.get("credentialStatus")
        if entries is None:
            result.add("status", True, _("The credential has no status entry (it cannot be "
                                         "revoked)."))
            return
        entries = entries if isinstance(entries, list) else [entries]
        for entry in entries:
            try:
                ok, message = self._status_entry(document, entry)
            except StatusListInvalid as exc:
                ok, message = False, str(exc)
            result.add("status", ok, message)

    def _status_entry(self, document: dict, entry: object) -> tuple[bool, str]:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            raise StatusListInvalid(_("The status entry is not a BitstringStatusListEntry."))
        purpose = entry.get("statusPurpose")
        list_url = entry.get("statusListCredential")
        try:
            index = int(entry.get("statusListIndex"))
        except (TypeError, ValueError) as exc:
            raise StatusListInvalid(_("The status entry has no valid statusListIndex.")) from exc
        match = links.local_match(list_url)
        local = match is not None and match.view_name == "credentials:status_list"
        if local and not self.use_status_list:
            return self._status_from_database(document, purpose, match.kwargs["number"], index)
        if local:
            status_list = status_list_credential_issue(number=match.kwargs["number"],
                                                       now=self.now)
        elif self.fetch:
            try:
                status_list = _fetch_json(list_url)
            except (httpx.HTTPError, ValueError) as exc:
                raise StatusListInvalid(_("The status list %(url)s could not be fetched: "
                                          "%(error)s") % {"url": list_url,
                                                          "error": exc}) from exc
        else:
            raise StatusListInvalid(_("The status list %(url)s is not this site's, so it cannot "
                                      "be checked offline (use --fetch).") % {"url": list_url})
        return self._status_from_list(document, purpose, list_url, status_list, index)

    def _status_from_database(self, document: dict, purpose: object, number: int,
                              index: int) -> tuple[bool, str]:
        certificate = certificate_for_credential(credential_id=document.get("id"))
        if certificate is None:
            return False, _("This site has no certificate for this credential.")
        if status_position(certificate_id=certificate.pk) != (number, index):
            return False, _("The status entry is not the one of certificate %(serial)s.") % {
                "serial": certificate.serial}
        if purpose == "revocation" and certificate.revoked_at is not None:
            return False, _("Certificate %(serial)s was revoked on %(date)s: %(reason)s") % {
                "serial": certificate.serial, "date": _shown(certificate.revoked_at),
                "reason": certificate.revoked_reason}
        return True, _("Certificate %(serial)s is not revoked (checked in this site's "
                       "records).") % {"serial": certificate.serial}

    def _status_from_list(self, document: dict, purpose: object, list_url: str,
                          status_list: dict, index: int) -> tuple[bool, str]:
        types = status_list.get("type") or []
        subject = status_list.get("credentialSubject")
        if (status_list.get("id") != list_url or "BitstringStatusListCredential" not in types
                or not isinstance(subject, dict)):
            raise StatusListInvalid(_("%(url)s is not a BitstringStatusListCredential.")
                                    % {"url": list_url})
        try:
            self.proof_check(status_list)
        except (ProofInvalid, ContextNotAllowed, UndefinedTerms) as exc:
            raise StatusListInvalid(_("The status list's proof fails: %(error)s")
                                    % {"error": exc}) from exc
        if _issuer_id(status_list) != _issuer_id(document):
            raise StatusListInvalid(_("The status list was not issued by the credential's "
                                      "issuer."))
        listed = VerificationResult()
        self.validity(listed, status_list, name="status list")
        if not listed.valid:
            raise StatusListInvalid(" ".join(listed.problems))
        if subject.get("statusPurpose") != purpose:
            raise StatusListInvalid(_("The status list is for another purpose."))
        if bitstring_bit(bitstring_decode(subject.get("encodedList")), index):
            return False, _("The credential is revoked (bit %(index)s of the status list "
                            "%(url)s is set).") % {"index": index, "url": list_url}
        return True, _("The credential is not revoked (bit %(index)s of the status list "
                       "%(url)s).") % {"index": index, "url": list_url}


def credential_verify(document: dict, *, now: dt.datetime | None = None, fetch: bool = False,
                      use_status_list: bool = False,
                      loader: Loader | None = None) -> VerificationResult:
    """Check a credential; the result lists every check with a clear message.

    Raises CredentialUnusable when ``document`` is not a credential at all.
    """
    credential_shape_check(document)
    verifier = _Verifier(now=now or timezone.now(), fetch=fetch,
                         use_status_list=use_status_list, loader=loader or document_loader())
    result = VerificationResult()
    verifier.types(result, document)
    verifier.contexts(result, document)
    verifier.proof(result, document)
    verifier.validity(result, document)
    verifier.status(result, document)
    return result
