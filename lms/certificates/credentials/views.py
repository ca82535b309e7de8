"""What the site publishes for credentials (issuer, keys, status lists, achievements) and
the learner's download of their own credential. Routes have no language prefix."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from courses.models import ProgrammePage
from lms.certificates.credentials.issue import (
    credential_issue,
    issuer_profile_document,
    key_document_build,
)
from lms.certificates.credentials.selectors import certificate_of_holder
from lms.certificates.credentials.signing import (
    SigningKeyInvalid,
    SigningKeyMissing,
    published_public_keys,
)
from lms.certificates.credentials.status import status_list_credential_issue

LD_JSON = "application/ld+json; charset=utf-8"


def _json(document: dict, *, cache: str) -> HttpResponse:
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                            content_type=LD_JSON)
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"  # verifiers in browsers read these
    return response


def _unavailable(exc: Exception) -> HttpResponse:
    # A configuration problem of the site, said plainly (not a 500 page).
    response = HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def issuer(request: HttpRequest) -> HttpResponse:
    """The issuer's Open Badges Profile."""
    return _json(issuer_profile_document(), cache="public, max-age=3600")


@require_GET
def key(request: HttpRequest, public_key_multibase: str) -> HttpResponse:
    """The Multikey document of a key that signs (or signed) this site's credentials."""
    try:
        keys = published_public_keys()
    except SigningKeyInvalid as exc:
        return _unavailable(exc)
    if public_key_multibase not in keys:
        raise Http404("not a key of this site")
    return _json(key_document_build(public_key_multibase=public_key_multibase),
                 cache="public, max-age=3600")


@require_GET
def status_list(request: HttpRequest, number: int) -> HttpResponse:
    """A revocation status list, built from the database on each request."""
    if number < 1:
        raise Http404("status lists are numbered from 1")
    try:
        document = status_list_credential_issue(number=number)
    except (SigningKeyMissing, SigningKeyInvalid) as exc:
        return _unavailable(exc)
    return _json(document, cache="no-store")  # a revocation shows at once


@require_GET
def achievement(request: HttpRequest, programme_key) -> HttpResponse:
    """An achievement's id leads to the programme's page, in the reader's language."""
    pages = ProgrammePage.objects.live().filter(translation_key=programme_key)
    page = (pages.filter(locale__language_code=get_language()).first() or pages.first())
    if page is None or page.url is None:
        raise Http404("no such programme")
    return redirect(page.url)


@login_required
@require_GET
def download(request: HttpRequest, serial: str) -> HttpResponse:
    """The holder's own credential, signed now (a revoked one too: it verifies as
    revoked). Anyone else gets a 404, as if it did not exist."""
    certificate = certificate_of_holder(user=request.user, serial=serial)
    if certificate is None:
        raise Http404("no such certificate of yours")
    try:
        credential = credential_issue(certificate=certificate)
    except (SigningKeyMissing, SigningKeyInvalid) as exc:
        return _unavailable(exc)
    response = _json(credential, cache="no-store")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}.json"'
    del response["Access-Control-Allow-Origin"]  # personal: not for other origins
    return response
