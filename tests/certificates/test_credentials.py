"""Open Badges 3.0 credentials of certificates: the eddsa-rdfc-2022 proof (against the W3C
test vector), tampering, revocation through the status list, expiry, the shipped contexts,
the published documents, the holder's download and ``manage.py verify_credential``."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from lms.certificates.credentials import documents, links
from lms.certificates.credentials.documents import ContextNotAllowed, UndefinedTerms
from lms.certificates.credentials.issue import credential_build, credential_issue, identity_hash
from lms.certificates.credentials.multibase import (
    base58btc_decode,
    ed25519_public_from_multikey,
    ed25519_secret_from_multikey,
    ed25519_secret_multikey,
)
from lms.certificates.credentials.proofs import proof_create, proof_hashes, proof_verify
from lms.certificates.credentials.signing import Ed25519Signer, SigningKeyMissing, site_signer
from lms.certificates.credentials.status import (
    LIST_SIZE,
    bitstring_bit,
    bitstring_decode,
    status_position,
)
from lms.certificates.credentials.verify import credential_verify
from lms.certificates.models import Certificate
from tests.factories import UserFactory

BASE = "https://lms.example.kr"
CHANGED = "The signature does not match the credential: it was changed after signing."


def _secret() -> str:
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    return ed25519_secret_multikey(seed)


@pytest.fixture(autouse=True)
def _site(settings):
    """A signing key from the environment (as in production) and the site's address."""
    settings.CREDENTIALS_SIGNING_KEY = _secret()
    settings.CREDENTIALS_SIGNING_KEY_FILE = ""
    settings.CREDENTIALS_RETIRED_PUBLIC_KEYS = []
    settings.CREDENTIALS_VALIDITY_DAYS = 0
    settings.WAGTAILADMIN_BASE_URL = BASE


@pytest.fixture
def certificate(run, learner):
    enrolment = Enrolment.objects.create(learner=learner, run=run, status="completed",
                                         enrolled_at=timezone.now())
    return Certificate.objects.create(
        enrolment=enrolment, serial=f"AIMD-{run.year}-000123", holder_name="김하늘",
        programme_title="산업 AI 마이크로디그리", programme_title_en="Industrial AI Micro-degree",
        hours=120, issued_at=timezone.now() - dt.timedelta(days=3))


def _checks(result) -> dict[str, tuple[bool, str]]:
    return {check.name: (check.ok, check.message) for check in result.checks}


# --- The specification's test vector ----------------------------------------------------------
# W3C "Data Integrity EdDSA Cryptosuites v1.0", appendix B.1 (eddsa-rdfc-2022): the key pair,
# the unsigned credential and proof options, the two hashes and the resulting proofValue.
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_METHOD = f"did:key:{VECTOR_PUBLIC}#{VECTOR_PUBLIC}"
VECTOR_EXAMPLES_CONTEXT = {  # https://www.w3.org/ns/credentials/examples/v2 (test-only)
    "@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
VECTOR_CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2",
                 "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
VECTOR_PROOF_OPTIONS = {
    "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
    "created": "2023-02-24T23:36:38Z", "verificationMethod": VECTOR_METHOD,
    "proofPurpose": "assertionMethod"}
VECTOR_PROOF_CONFIG_HASH = "bea7b7acfbad0126b135104024a5f1733e705108f42d59668b05c0c50004c6b0"
VECTOR_DOCUMENT_HASH = "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"
VECTOR_PROOF_VALUE = ("z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseab"
                      "ecm3ijx4K1FBTQsCZahKZme")


def _vector_loader():
    return documents.document_loader(extra={
        "https://www.w3.org/ns/credentials/examples/v2": VECTOR_EXAMPLES_CONTEXT})


class TestSpecificationVector:
    def test_the_key_pair_is_the_specifications(self):
        signer = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(
            ed25519_secret_from_multikey(VECTOR_SECRET)), verification_method=VECTOR_METHOD)

        assert signer.public_key_multibase == VECTOR_PUBLIC

    def test_the_hashes_are_the_specifications(self):
        config_hash, document_hash = proof_hashes(
            document=VECTOR_CREDENTIAL, proof_options=VECTOR_PROOF_OPTIONS,
            loader=_vector_loader())

        assert config_hash.hex() == VECTOR_PROOF_CONFIG_HASH
        assert document_hash.hex() == VECTOR_DOCUMENT_HASH

    def test_signing_gives_the_specifications_proof_value(self):
        signer = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(
            ed25519_secret_from_multikey(VECTOR_SECRET)), verification_method=VECTOR_METHOD)

        signed = proof_create(document=VECTOR_CREDENTIAL, signer=signer,
                              created=dt.datetime(2023, 2, 24, 23, 36, 38, tzinfo=dt.UTC),
                              loader=_vector_loader())

        assert signed["proof"] == {**VECTOR_PROOF_OPTIONS, "proofValue": VECTOR_PROOF_VALUE}

    def test_the_specifications_signed_credential_verifies(self):
        signed = {**VECTOR_CREDENTIAL,
                  "proof": {**VECTOR_PROOF_OPTIONS, "proofValue": VECTOR_PROOF_VALUE}}

        method = proof_verify(document=signed, loader=_vector_loader(),
                              public_key_for=lambda _: ed25519_public_from_multikey(
                                  VECTOR_PUBLIC))

        assert method == VECTOR_METHOD


# --- Contexts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "digest"), [
    ("credentials-v2.json", "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"),
    ("ob-v3p0-context-3.0.3.json",
     "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84"),
])
def test_shipped_contexts_are_the_official_documents(name, digest):
    data = (documents.CONTEXTS_DIR / name).read_bytes()

    assert hashlib.sha256(data).hexdigest() == digest


def test_an_unknown_context_is_refused_without_touching_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    document = {"@context": [documents.VC_V2, "https://contexts.example/evil.json"],
                "type": ["VerifiableCredential"]}

    with pytest.raises(ContextNotAllowed, match="contexts.example/evil.json is not one"):
        documents.expand_strict(document, loader=documents.document_loader())


def test_a_property_the_contexts_do_not_define_is_refused():
    document = {"@context": [documents.VC_V2], "type": ["VerifiableCredential"],
                "favouriteColour": "blue"}

    with pytest.raises(UndefinedTerms, match="favouriteColour"):
        documents.expand_strict(document, loader=documents.document_loader())


# --- The credential -----------------------------------------------------------------------------
@pytest.mark.django_db
class TestCredential:
    def test_it_is_an_open_badge_of_this_site(self, certificate):
        credential = credential_build(certificate=certificate)

        assert credential["@context"] == [documents.VC_V2, documents.OB_V3]
        assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
        assert credential["id"] == f"{BASE}/verify/{certificate.code}/"
        assert credential["issuer"] == {"id": f"{BASE}/credentials/issuer.json",
                                        "type": ["Profile"],
                                        "name": django_settings.WAGTAIL_SITE_NAME,
                                        "url": f"{BASE}/"}
        assert credential["validFrom"] == timezone.localtime(
            certificate.issued_at).replace(microsecond=0).isoformat()
        assert credential["validFrom"].endswith("+09:00")
        assert "validUntil" not in credential  # certificates do not expire by default
        achievement = credential["credentialSubject"]["achievement"]
        assert achievement["name"] == "산업 AI 마이크로디그리"
        assert "Industrial AI Micro-degree" in achievement["description"]
        assert "120" in achievement["criteria"]["narrative"]
        programme_key = certificate.enrolment.run.programme.translation_key
        assert achievement["id"] == f"{BASE}/credentials/achievements/{programme_key}"

    def test_its_status_entry_points_at_the_certificates_bit(self, certificate):
        status = credential_build(certificate=certificate)["credentialStatus"]

        number, index = status_position(certificate_id=certificate.pk)
        assert status["type"] == "BitstringStatusListEntry"
        assert status["statusPurpose"] == "revocation"
        assert status["statusListIndex"] == str(index)
        assert status["statusListCredential"] == f"{BASE}/credentials/status/{number}.json"

    def test_the_holders_name_is_hashed_with_a_salt_unless_they_chose_to_show_it(
            self, certificate):
        identity = credential_build(certificate=certificate)["credentialSubject"]["identifier"][0]

        assert identity["type"] == "IdentityObject"
        assert identity["hashed"] is True
        assert "김하늘" not in json.dumps(identity, ensure_ascii=False)
        assert identity["identityHash"] == identity_hash(value="김하늘", salt=identity["salt"])

        certificate.show_name = True
        shown = credential_build(certificate=certificate)["credentialSubject"]["identifier"][0]
        assert shown == {"type": "IdentityObject", "identityType": "name", "hashed": False,
                         "identityHash": "김하늘"}

    def test_the_identity_hash_is_open_badges(self):
        # The example of the Open Badges specification.
        assert identity_hash(value="jjefferson18@example.com", salt="FleurDeSel") == (
            "sha256$658625b25ab3d75d613ca97d9a5a77f70e2192feca5557f4ad09a4d4f121f5fc")

    def test_a_validity_setting_gives_valid_until(self, certificate, settings):
        settings.CREDENTIALS_VALIDITY_DAYS = 365

        credential = credential_build(certificate=certificate)

        until = dt.datetime.fromisoformat(credential["validUntil"])
        assert until - dt.datetime.fromisoformat(credential["validFrom"]) == dt.timedelta(365)


# --- Verification --------------------------------------------------------------------------------
@pytest.mark.django_db
class TestVerification:
    def test_a_signed_credential_verifies(self, certificate):
        credential = credential_issue(certificate=certificate)

        result = credential_verify(credential)

        assert result.valid, result.problems
        checks = _checks(result)
        assert set(checks) == {"type", "contexts", "proof", "validity", "status"}
        assert site_signer().verification_method in checks["proof"][1]
        assert credential["proof"]["verificationMethod"].startswith(f"{BASE}/credentials/keys/z6Mk")

    @pytest.mark.parametrize("tamper", [
        pytest.param(lambda c: c["credentialSubject"]["achievement"].update(
            name="다른 프로그램"), id="achievement-name"),
        pytest.param(lambda c: c["credentialSubject"]["achievement"]["criteria"].update(
            narrative=c["credentialSubject"]["achievement"]["criteria"]["narrative"]
            .replace("120", "240")), id="hours"),
        pytest.param(lambda c: c["credentialSubject"]["identifier"][0].update(
            identityHash="sha256$" + "0" * 64), id="holder"),
        pytest.param(lambda c: c.update(validFrom="2020-01-01T00:00:00+09:00"),
                     id="valid-from"),
        pytest.param(lambda c: c["proof"].update(
            proofValue=c["proof"]["proofValue"][:-3]
            + ("a" if c["proof"]["proofValue"][-3] != "a" else "b")
            + c["proof"]["proofValue"][-2:]), id="proof-value"),
        pytest.param(lambda c: c["proof"].update(created="2030-01-01T00:00:00+09:00"),
                     id="proof-created"),
    ])
    def test_a_changed_credential_fails_its_signature(self, certificate, tamper):
        credential = credential_issue(certificate=certificate)
        tamper(credential)

        result = credential_verify(credential)

        assert not result.valid
        assert _checks(result)["proof"] == (False, CHANGED)

    def test_a_changed_context_fails(self, certificate):
        credential = credential_issue(certificate=certificate)
        credential["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"

        result = credential_verify(credential)

        assert not result.valid
        ok, message = _checks(result)["contexts"]
        assert not ok
        assert "context-3.0.2.json is not one this site ships" in message
        assert _checks(result)["proof"][0] is False

    def test_an_added_property_that_no_context_defines_fails(self, certificate):
        credential = credential_issue(certificate=certificate)
        credential["credentialSubject"]["grade"] = "A+"

        result = credential_verify(credential)

        assert _checks(result)["contexts"][0] is False
        assert "grade" in _checks(result)["contexts"][1]
        assert not result.valid

    def test_a_revoked_certificate_is_invalid_with_its_reason(self, certificate):
        credential = credential_issue(certificate=certificate)
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = "부정행위 확인"
        certificate.save()

        result = credential_verify(credential)

        assert not result.valid
        ok, message = _checks(result)["status"]
        assert not ok
        assert "was revoked on" in message
        assert "부정행위 확인" in message
        assert _checks(result)["proof"][0] is True  # still genuine, just revoked

    def test_a_revoked_certificate_is_invalid_by_the_published_status_list(self, certificate):
        credential = credential_issue(certificate=certificate)
        assert credential_verify(credential, use_status_list=True).valid
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = "취소"
        certificate.save()

        result = credential_verify(credential, use_status_list=True)

        ok, message = _checks(result)["status"]
        assert not ok
        assert "revoked (bit" in message

    def test_an_expired_credential_is_invalid(self, certificate, settings):
        settings.CREDENTIALS_VALIDITY_DAYS = 30
        certificate.issued_at = timezone.now() - dt.timedelta(days=60)
        certificate.save()
        credential = credential_issue(certificate=certificate)

        result = credential_verify(credential)

        assert not result.valid
        ok, message = _checks(result)["validity"]
        assert not ok
        assert "has expired" in message
        assert credential_verify(credential, now=timezone.now() - dt.timedelta(days=40)).valid

    def test_a_credential_is_not_valid_before_valid_from(self, certificate):
        credential = credential_issue(certificate=certificate)

        result = credential_verify(credential, now=certificate.issued_at - dt.timedelta(days=1))

        assert _checks(result)["validity"][0] is False
        assert "not valid yet" in _checks(result)["validity"][1]

    def test_another_sites_key_cannot_be_resolved_offline(self, certificate, settings):
        credential = credential_issue(certificate=certificate)
        settings.WAGTAILADMIN_BASE_URL = "https://other-lms.example.org"

        result = credential_verify(credential)

        ok, message = _checks(result)["proof"]
        assert not ok
        assert "cannot be resolved offline" in message
        assert "--fetch" in message

    def test_a_retired_key_still_verifies_after_rotation(self, certificate, settings):
        old_key = site_signer().public_key_multibase
        credential = credential_issue(certificate=certificate)
        settings.CREDENTIALS_SIGNING_KEY = _secret()
        assert _checks(credential_verify(credential))["proof"][0] is False

        settings.CREDENTIALS_RETIRED_PUBLIC_KEYS = [old_key]

        assert credential_verify(credential).valid

    def test_this_sites_credential_signed_by_another_key_fails(self, certificate):
        stranger = Ed25519Signer(Ed25519PrivateKey.generate())
        stranger.verification_method = (f"did:key:{stranger.public_key_multibase}"
                                        f"#{stranger.public_key_multibase}")
        credential = credential_issue(certificate=certificate, signer=stranger)

        result = credential_verify(credential)

        ok, message = _checks(result)["proof"]
        assert not ok
        assert "does not belong to its issuer" in message


# --- Status list --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_status_list_has_the_bit_of_a_revoked_certificate(client, certificate, run):
    other = Certificate.objects.create(
        enrolment=Enrolment.objects.create(learner=UserFactory(), run=run, status="completed",
                                           enrolled_at=timezone.now()),
        serial=f"AIMD-{run.year}-000124", holder_name="이바다", programme_title="p", hours=1,
        revoked_at=timezone.now(), revoked_reason="오류로 발급")
    number, index = status_position(certificate_id=other.pk)

    response = client.get(reverse("credentials:status_list", args=[number]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    status_list = json.loads(response.content)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    assert subject["encodedList"].startswith("u")
    bits = bitstring_decode(subject["encodedList"])
    assert len(bits) * 8 == LIST_SIZE
    assert bitstring_bit(bits, index) is True
    assert bitstring_bit(bits, status_position(certificate_id=certificate.pk)[1]) is False
    assert sum(bin(byte).count("1") for byte in bits) == 1
    signer = site_signer()
    assert proof_verify(document=status_list,
                        public_key_for=lambda _: signer.public_key_raw) == (
        signer.verification_method)


@pytest.mark.django_db
def test_status_lists_are_numbered_from_one(client):
    assert client.get("/credentials/status/0.json").status_code == 404


# --- Published documents ------------------------------------------------------------------------
@pytest.mark.django_db
class TestPublishedDocuments:
    def test_the_issuer_profile(self, client):
        response = client.get(reverse("credentials:issuer"))

        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/ld+json")
        profile = json.loads(response.content)
        assert profile["id"] == links.issuer_url() == f"{BASE}/credentials/issuer.json"
        assert profile["type"] == ["Profile"]
        assert profile["name"] == django_settings.WAGTAIL_SITE_NAME
        assert profile["url"] == f"{BASE}/"

    def test_the_key_document(self, client):
        signer = site_signer()

        response = client.get(reverse("credentials:key", args=[signer.public_key_multibase]))

        assert response.status_code == 200
        key = json.loads(response.content)
        assert key["id"] == signer.verification_method
        assert key["type"] == "Multikey"
        assert key["controller"] == f"{BASE}/credentials/issuer.json"
        assert key["publicKeyMultibase"] == signer.public_key_multibase
        assert base58btc_decode(key["publicKeyMultibase"])[:2] == b"\xed\x01"

    def test_a_key_that_is_not_this_sites_is_not_found(self, client):
        other = Ed25519Signer(Ed25519PrivateKey.generate(), verification_method="x")

        assert client.get(reverse("credentials:key",
                                  args=[other.public_key_multibase])).status_code == 404

    def test_without_a_key_credentials_are_unavailable_with_a_reason(self, client, settings,
                                                                     certificate):
        settings.CREDENTIALS_SIGNING_KEY = ""
        client.force_login(certificate.enrolment.learner)

        response = client.get(reverse("credentials:download", args=[certificate.serial]))

        assert response.status_code == 503
        assert b"(CREDENTIALS_SIGNING_KEY)" in response.content  # the reason, in Korean or English

    def test_the_achievement_leads_to_the_programme(self, client, certificate):
        programme = certificate.enrolment.run.programme

        response = client.get(reverse("credentials:achievement",
                                      args=[programme.translation_key]))

        assert response.status_code == 302
        assert response["Location"] == programme.url


# --- The holder's download ----------------------------------------------------------------------
@pytest.mark.django_db
class TestDownload:
    def test_the_holder_downloads_a_credential_that_verifies(self, client, certificate):
        client.force_login(certificate.enrolment.learner)

        response = client.get(reverse("credentials:download", args=[certificate.serial]))

        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/ld+json")
        assert response["Content-Disposition"] == (
            f'attachment; filename="{certificate.serial}.json"')
        assert response["Cache-Control"] == "no-store"
        assert credential_verify(json.loads(response.content)).valid

    def test_another_user_gets_not_found(self, client, certificate):
        client.force_login(UserFactory())

        response = client.get(f"/credentials/certificates/{certificate.serial}.json")

        assert response.status_code == 404

    def test_anonymous_visitors_are_sent_to_log_in(self, client, certificate):
        response = client.get(reverse("credentials:download", args=[certificate.serial]))

        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_a_revoked_certificate_still_downloads_and_verifies_as_revoked(self, client,
                                                                           certificate):
        certificate.revoked_at, certificate.revoked_reason = timezone.now(), "취소"
        certificate.save()
        client.force_login(certificate.enrolment.learner)

        response = client.get(reverse("credentials:download", args=[certificate.serial]))

        assert response.status_code == 200
        result = credential_verify(json.loads(response.content))
        assert not result.valid
        assert _checks(result)["status"][0] is False

    def test_the_certificate_box_links_to_the_download(self, certificate):
        from django.template.loader import render_to_string

        html = render_to_string("certificates/certificate_box.html", {"certificate": certificate})

        assert reverse("credentials:download", args=[certificate.serial]) in html


# --- manage.py verify_credential ----------------------------------------------------------------
def _write(tmp_path: Path, document) -> str:
    path = tmp_path / "credential.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document),
                    encoding="utf-8")
    return str(path)


@pytest.mark.django_db
class TestVerifyCommand:
    def test_a_valid_credential_exits_zero_with_one_line_per_check(self, certificate, tmp_path,
                                                                   capsys):
        path = _write(tmp_path, credential_issue(certificate=certificate))

        call_command("verify_credential", path)

        lines = capsys.readouterr().out.splitlines()
        assert [line.split(":")[0] for line in lines[:-1]] == [
            "OK   type", "OK   contexts", "OK   proof", "OK   validity", "OK   status"]
        assert lines[-1] == "VALID"

    def test_a_tampered_credential_exits_one(self, certificate, tmp_path, capsys):
        credential = credential_issue(certificate=certificate)
        credential["credentialSubject"]["achievement"]["name"] = "위조된 과정"
        path = _write(tmp_path, credential)

        with pytest.raises(SystemExit) as exit_:
            call_command("verify_credential", path)

        assert exit_.value.code == 1
        out = capsys.readouterr().out
        assert f"FAIL proof: {CHANGED}" in out
        assert out.splitlines()[-1] == f"INVALID: {CHANGED}"

    def test_a_revoked_credential_exits_one_with_the_reason(self, certificate, tmp_path,
                                                            capsys):
        path = _write(tmp_path, credential_issue(certificate=certificate))
        certificate.revoked_at, certificate.revoked_reason = timezone.now(), "학적 오류"
        certificate.save()

        with pytest.raises(SystemExit) as exit_:
            call_command("verify_credential", path, "--status-list")
        assert exit_.value.code == 1
        assert "FAIL status" in capsys.readouterr().out

        with pytest.raises(SystemExit):
            call_command("verify_credential", path)
        last = capsys.readouterr().out.splitlines()[-1]
        assert last.startswith("INVALID: Certificate ")
        assert "학적 오류" in last

    @pytest.mark.parametrize(("content", "message"), [
        ("this is not json", "not JSON"),
        ("[1, 2, 3]", "not an object"),
        ('{"name": "a badge"}', "not a verifiable credential"),
    ])
    def test_unusable_input_exits_two(self, tmp_path, content, message):
        with pytest.raises(CommandError, match=message) as error:
            call_command("verify_credential", _write(tmp_path, content))

        assert error.value.returncode == 2

    def test_a_missing_file_exits_two(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot read") as error:
            call_command("verify_credential", str(tmp_path / "nothing.json"))

        assert error.value.returncode == 2


def test_the_command_exits_two_for_unusable_input_as_a_process(tmp_path):
    path = _write(tmp_path, "{not json")
    root = Path(__file__).resolve().parents[2]

    done = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", "verify_credential", path], cwd=root,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
             "PYTHONPATH": str(root)}, check=False)

    assert done.returncode == 2
    assert "JSON" in done.stderr  # "not JSON" (the site's language: Korean by default)


def test_copying_a_credential_keeps_it_valid():
    """A credential is plain JSON: re-serialising it (another key order, other spacing)
    does not change what is signed."""
    # Built from the specification vector so no database is needed.
    signer = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(
        ed25519_secret_from_multikey(VECTOR_SECRET)), verification_method=VECTOR_METHOD)
    signed = proof_create(document=VECTOR_CREDENTIAL, signer=signer,
                          created=dt.datetime(2023, 2, 24, 23, 36, 38, tzinfo=dt.UTC),
                          loader=_vector_loader())
    copied = json.loads(json.dumps(dict(reversed(list(copy.deepcopy(signed).items()))),
                                   indent=4))

    assert proof_verify(document=copied, loader=_vector_loader(),
                        public_key_for=lambda _: ed25519_public_from_multikey(VECTOR_PUBLIC))


# --- Keys from the environment, and from another site over HTTP --------------------------------
def test_a_development_key_is_made_once_in_debug_only(settings, tmp_path):
    settings.CREDENTIALS_SIGNING_KEY = ""
    settings.VAR_DIR = tmp_path
    settings.DEBUG = True

    first = site_signer().public_key_multibase

    key_file = tmp_path / "credentials-signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert site_signer().public_key_multibase == first
    settings.DEBUG = False
    with pytest.raises(SigningKeyMissing, match="no signing key is configured"):
        site_signer()


def test_a_pem_key_from_the_environment_signs(settings):
    key = Ed25519PrivateKey.generate()
    settings.CREDENTIALS_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()

    assert site_signer().public_key_raw == key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.fixture
def other_site():
    """A static web server on loopback that publishes another site's documents."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    published: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            body = published.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/ld+json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", published
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_another_sites_credential_is_checked_over_http_with_fetch(certificate, settings,
                                                                  other_site):
    from urllib.parse import urlsplit

    from lms.certificates.credentials.issue import key_document_build
    from lms.certificates.credentials.status import status_list_credential_issue

    base, published = other_site
    settings.WAGTAILADMIN_BASE_URL = base  # the credential is that site's
    credential = credential_issue(certificate=certificate)
    signer = site_signer()
    published[urlsplit(signer.verification_method).path] = json.dumps(
        key_document_build(public_key_multibase=signer.public_key_multibase)).encode()
    number, _index = status_position(certificate_id=certificate.pk)
    status_list = status_list_credential_issue(number=number)
    published[urlsplit(status_list["id"]).path] = json.dumps(status_list).encode()
    settings.WAGTAILADMIN_BASE_URL = "https://lms.example.kr"  # we are another site
    settings.CREDENTIALS_SIGNING_KEY = _secret()

    assert not credential_verify(credential).valid
    result = credential_verify(credential, fetch=True)

    assert result.valid, result.problems
    assert "bit" in _checks(result)["status"][1]
