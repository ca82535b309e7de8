"""Pages of certificates: the public verification page, the holder's PDF and name choice."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lms.certificates.models import Certificate
from lms.certificates.pdf import CertificateFontUnavailable, certificate_pdf_render
from lms.certificates.selectors import certificate_by_code
from lms.certificates.services import NotTheHolder, certificate_name_visibility_set

logger = logging.getLogger(__name__)


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: is this certificate genuine and valid? (No login; the holder's name is
    masked unless they chose to show it.)"""
    certificate = certificate_by_code(code)
    # An unknown code is answered with a page that says so (a 404 here would be turned
    # into a redirect to /ko/... by the language middleware).
    response = render(request, "certificates/verify.html", {"certificate": certificate})
    response["Cache-Control"] = "no-store"  # a revocation shows at once
    response["X-Robots-Tag"] = "noindex"
    return response


def _my_learning() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("courses:dashboard"))


def _own_certificate(request: HttpRequest, serial: str) -> Certificate:
    """The user's own certificate; 404 for anyone else's (its existence is not told)."""
    return get_object_or_404(Certificate, serial=serial, enrolment__learner_id=request.user.pk)


@login_required
@require_GET
def certificate_pdf(request: HttpRequest, serial: str) -> HttpResponse:
    """The holder's certificate as a PDF (not for a revoked certificate)."""
    certificate = _own_certificate(request, serial)
    if not certificate.is_valid:
        messages.error(request, _(
            "Certificate %(serial)s was revoked on %(date)s and can no longer be downloaded. "
            "Reason: %(reason)s") % {
            "serial": certificate.serial, "reason": certificate.revoked_reason,
            "date": formats.date_format(timezone.localtime(certificate.revoked_at))})
        return _my_learning()
    try:
        data = certificate_pdf_render(certificate=certificate)
    except CertificateFontUnavailable as exc:
        logger.error("certificate %s: no PDF: %s", certificate.serial, exc)
        messages.error(request, _("Your certificate cannot be made into a PDF right now; the "
                                  "site's staff have been told. Please try again later."))
        return _my_learning()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def certificate_name(request: HttpRequest, serial: str) -> HttpResponse:
    """The holder chooses whether the verification page shows their full or masked name."""
    certificate = _own_certificate(request, serial)
    choice = request.POST.get("show")
    if choice not in ("0", "1"):
        messages.error(request, _("Choose whether the verification page shows your name."))
        return _my_learning()
    try:
        certificate = certificate_name_visibility_set(
            certificate=certificate, learner=request.user, show=choice == "1")
    except NotTheHolder:
        raise Http404 from None
    if certificate.show_name:
        messages.success(request, _("The verification page now shows your full name."))
    else:
        messages.success(request, _("The verification page now shows your name masked: "
                                    "%(name)s.") % {"name": certificate.public_name})
    return _my_learning()
