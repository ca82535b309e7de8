"""The learner's pages of employment outcomes: consents, their own outcomes, and the
follow-up form behind the one-time emailed link (no login)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from lms.outcomes.definitions import EMPLOYED
from lms.outcomes.forms import AnswerForm, ConsentForm
from lms.outcomes.selectors import consent_of, learner_outcomes
from lms.outcomes.services import (
    LinkInvalid,
    outcome_answer_by_learner,
    outcome_answer_by_link,
    outcome_consent_set,
    outcome_from_link,
)

logger = logging.getLogger(__name__)


def _safe_next(request: HttpRequest) -> str:
    """A path on this site to go back to, or "". Only a path: ``redirect`` would try any
    other text as a view name first (and fail with a server error)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return ""


@never_cache  # the date of birth, on a shared computer
@login_required
@require_http_methods(["GET", "POST"])
def consent_edit(request: HttpRequest) -> HttpResponse:
    consent = consent_of(user=request.user)
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            outcome_consent_set(user=request.user, language=get_language(),
                                **form.cleaned_data)
            messages.success(request, _("Your choices about the employment follow-up have "
                                        "been saved."))
            return redirect(_safe_next(request) or "outcomes:mine")
    else:
        form = ConsentForm(initial=ConsentForm.initial_for(consent))
    return render(request, "outcomes/consent.html",
                  {"form": form, "consent": consent, "next": _safe_next(request)})


@never_cache
@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """The learner's own outcomes and consents."""
    return render(request, "outcomes/mine.html", {
        "consent": consent_of(user=request.user),
        "outcomes": list(learner_outcomes(user=request.user)),
    })


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def outcome_edit(request: HttpRequest, outcome_id: int) -> HttpResponse:
    """The learner answers or corrects one of their own outcomes (404 for anyone else's)."""
    outcome = get_object_or_404(learner_outcomes(user=request.user), pk=outcome_id)
    earliest = outcome.certificate.enrolment.run.starts_on
    if request.method == "POST":
        form = AnswerForm(request.POST, earliest=earliest)
        if form.is_valid():
            outcome_answer_by_learner(outcome_id=outcome.pk, learner=request.user,
                                      answer=form.answer())
            messages.success(request, _("Thank you: your answer has been saved."))
            return redirect("outcomes:mine")
    else:
        form = AnswerForm(initial=AnswerForm.initial_for(outcome), earliest=earliest)
    return render(request, "outcomes/answer.html",
                  {"form": form, "outcome": outcome, "employed": _employed_values()})


def _employed_values() -> list[str]:
    """The statuses that show the employment details (the form's script reads them)."""
    return sorted(EMPLOYED)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The follow-up form behind the emailed link: works without a login, once, until it
    expires. A bad link gets a page saying why, and a log line."""
    try:
        outcome = outcome_from_link(token=token)
    except LinkInvalid as problem:
        return _link_problem(request, problem.reason)
    earliest = outcome.certificate.enrolment.run.starts_on
    if request.method == "POST":
        form = AnswerForm(request.POST, earliest=earliest)
        if form.is_valid():
            try:
                outcome_answer_by_link(token=token, answer=form.answer())
            except LinkInvalid as problem:
                return _link_problem(request, problem.reason)
            return render(request, "outcomes/thanks.html", {"outcome": outcome})
    else:
        form = AnswerForm(initial=AnswerForm.initial_for(outcome), earliest=earliest)
    return render(request, "outcomes/answer.html", {
        "form": form, "outcome": outcome, "by_link": True, "employed": _employed_values()})


def _link_problem(request: HttpRequest, reason: str) -> HttpResponse:
    logger.warning("outcome link refused (%s) from %s at %s", reason,
                   request.META.get("REMOTE_ADDR", "?"), timezone.now().isoformat())
    status = 410 if reason in ("expired", "used", "answered") else 400
    return render(request, "outcomes/link_problem.html", {"reason": reason}, status=status)
