"""The learner's side of grading: submit a notebook, follow its grade, read the feedback.

Views translate requests into service calls and outcomes into messages; every decision is
the services'. Learners reach only their own submissions; graders those of their courses.
Feedback HTML is served with a sandboxing Content-Security-Policy (no scripts, no network,
an opaque origin), because it contains learner-produced text.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from courses.page_cache import cached_learner_page
from grading.autograder.notebooks import NotebookInvalid
from grading.hub import HubError, HubNotFound, HubUnavailable
from grading.lab import (
    LabNotConfigured,
    NotebookMissing,
    lab_files_ensure,
    lab_paths,
    lab_progress,
    lab_progress_shown,
    lab_start,
    lab_submit,
    lab_url,
)
from grading.models import Assignment, Submission
from grading.selectors.access import can_grade, submission_visible_to
from grading.selectors.grades import (
    assignments_for_panels,
    learner_assignment,
    learner_assignments,
    submission_feedback,
)
from grading.services.grades import grade_feedback_ensure
from grading.services.submissions import SubmissionRefused, learner_run, submission_create
from grading.uploads import SizeLimitedUpload
from lms.core.middleware import csp_header_value
from lms.core.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)
SEOUL = ZoneInfo("Asia/Seoul")  # the receipt is dated in Korea, like every page

FEEDBACK_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'self'")


class SubmitForm(forms.Form):
    notebook = forms.FileField()


def _module_url(request: HttpRequest, assignment: Assignment) -> str:
    return (assignment.module.localized.get_url(request=request) or "/") + "#assignment-" \
        + assignment.key


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _answer(request, assignment, *, ok: bool, message: str, status: int = 200):
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": message}, status=status)
    (messages.success if ok else messages.error)(request, message)
    return HttpResponseRedirect(_module_url(request, assignment))


def _submit_rate_exceeded(request: HttpRequest, assignment: Assignment) -> HttpResponse | None:
    """429 (a message on the module page for a form post) when the learner has submitted
    more than GRADING_SUBMIT_RATE allows; checked before anything is stored, so a refused
    attempt leaves no trace and an accepted one is never undone. Both ways of submitting
    (upload and lab) share the learner's budget: each submission starts a sandboxed grade."""
    outcome = rate_limit_hit(scope="grading-submit", ident=request.user.pk,
                             rate=settings.GRADING_SUBMIT_RATE)
    if outcome.allowed:
        return None
    logger.info("user %s: submission to %s refused by the rate limit", request.user.pk,
                assignment.key)
    message = ngettext(
        "You are submitting too often. Wait %(seconds)s second, then submit again; your "
        "earlier submissions are kept.",
        "You are submitting too often. Wait %(seconds)s seconds, then submit again; your "
        "earlier submissions are kept.", outcome.retry_after) % {"seconds": outcome.retry_after}
    response = _answer(request, assignment, ok=False, status=429, message=message)
    if response.status_code == 429:
        response["Retry-After"] = str(outcome.retry_after)
    return response


@csrf_exempt  # checked below, once the size-limited upload handler is in place
@login_required
@require_POST
def submit(request: HttpRequest, key: str) -> HttpResponse:
    limiter = SizeLimitedUpload(request, limit=settings.GRADING_MAX_NOTEBOOK_BYTES)
    request.upload_handlers.insert(0, limiter)
    return _submit_checked(request, key, limiter)


@csrf_protect
def _submit_checked(request: HttpRequest, key: str, limiter) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("module"), key=key)
    if (refused := _submit_rate_exceeded(request, assignment)) is not None:
        return refused
    form = SubmitForm(request.POST, request.FILES)
    if limiter.exceeded or (form.is_valid()
                            and form.cleaned_data["notebook"].size
                            > settings.GRADING_MAX_NOTEBOOK_BYTES):
        logger.info("user %s: refused an oversize notebook for %s", request.user.pk, key)
        return _answer(request, assignment, ok=False, status=400, message=_(
            "The notebook is larger than %(limit)s MB; clear large outputs and try again.")
            % {"limit": settings.GRADING_MAX_NOTEBOOK_BYTES // (1024 * 1024)})
    if not form.is_valid():
        return _answer(request, assignment, ok=False, status=400,
                       message=_("Choose your notebook file (.ipynb) to submit."))
    upload = form.cleaned_data["notebook"]
    data = upload.read()
    try:
        outcome = submission_create(assignment=assignment, learner=request.user, data=data)
    except NotebookInvalid as exc:
        logger.info("user %s: refused notebook for %s: %s", request.user.pk, key, exc)
        return _answer(request, assignment, ok=False, status=400,
                       message=_("This file cannot be submitted: %(reason)s")
                       % {"reason": exc})
    except SubmissionRefused as refused:
        logger.info("user %s: submission to %s refused: %s", request.user.pk, key,
                    refused.code)
        return _answer(request, assignment, ok=False, status=409, message=str(refused))
    return _receipt(request, assignment, outcome)


def _korea_time(moment) -> str:
    """A moment as the site's pages write it ("DATE_FORMAT TIME_FORMAT" of the active
    language), in Korea time whatever the server's zone."""
    local = timezone.localtime(moment, timezone=SEOUL)
    return (f"{formats.date_format(local, 'DATE_FORMAT')} "
            f"{formats.time_format(local, 'TIME_FORMAT')}")


def _receipt(request, assignment, outcome):
    submission = outcome.submission
    if outcome.created:
        receipt = {
            "attempt": submission.attempt, "hash": submission.sha256[:12],
            "time": _korea_time(submission.submitted_at)}
        # Sent on commit: not sent means the broker is down; the sweep sends it later.
        if Submission.objects.filter(pk=submission.pk, enqueued_at__isnull=False).exists():
            message = _("Submitted: attempt %(attempt)s at %(time)s, SHA-256 %(hash)s. "
                        "Grading has started.") % receipt
        else:
            message = _("Submitted: attempt %(attempt)s at %(time)s, SHA-256 %(hash)s. It is "
                        "queued: grading is delayed right now and will start by itself; you "
                        "do not need to submit again.") % receipt
    else:
        message = _("This notebook is the same as your attempt %(attempt)s; it was not "
                    "submitted again.") % {"attempt": submission.attempt}
    return _answer(request, assignment, ok=True, message=message)


def _panel(request: HttpRequest, key: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("module"), key=key)
    request.lms_page_cacheable = True
    context = assignment_panel_context(request, assignment)
    html = render_to_string("grading/assignment_panel.html", context, request=request)
    response = HttpResponse(html)
    # The script polls this while a grade is pending (a deadline's 400 learners do): the
    # learner's state is worked out once, for the panel and this header.
    response["X-Grading-Pending"] = "1" if context["state"].pending else "0"
    response["Cache-Control"] = "no-store"
    return response


_panel_cached = cached_learner_page(_panel)


@login_required
@require_GET
def panel(request: HttpRequest, key: str) -> HttpResponse:
    """The assignment's panel of the module page, for the page's script to refresh while a
    grade is pending. A deadline's 400 learners poll it: a plain learner's panel comes from
    their page cache (``courses.page_cache``) until their submissions, grades or extensions,
    or the assignment, change, which is what moves it on."""
    return _panel_cached(request, key)


def assignment_panel_context(request: HttpRequest, assignment: Assignment | None) -> dict:
    state = None
    if assignment is not None and request.user.is_authenticated:
        state = learner_assignment(assignment=assignment, learner=request.user)
    return {"assignment": assignment, "state": state,
            "max_mb": settings.GRADING_MAX_NOTEBOOK_BYTES // (1024 * 1024),
            "lab_enabled": bool(settings.JUPYTERHUB_URL and settings.JUPYTERHUB_API_TOKEN),
            "lab_path": lab_paths(assignment).notebook if assignment else "",
            "data_files": assignment.data_files.visible() if assignment else []}


def assignment_panel_contexts(request: HttpRequest, keys: list[str], *, module=None) -> dict:
    """:func:`assignment_panel_context` of each key, in a fixed number of queries whatever
    the number of assignments (the module page shows them all). ``module``: the page they
    are placed in, whose course is known already (for the lab path; an assignment of another
    module reads its own)."""
    assignments = assignments_for_panels(keys=keys, learner=request.user)
    states = (learner_assignments(assignments=list(assignments.values()), learner=request.user)
              if request.user.is_authenticated and assignments else {})
    lab_enabled = bool(settings.JUPYTERHUB_URL and settings.JUPYTERHUB_API_TOKEN)
    contexts = {}
    for key in keys:
        assignment = assignments.get(key)
        if assignment is not None and module is not None and assignment.module_id == module.pk:
            assignment.module = module
        contexts[key] = {
            "assignment": assignment, "state": states.get(getattr(assignment, "pk", None)),
            "max_mb": settings.GRADING_MAX_NOTEBOOK_BYTES // (1024 * 1024),
            "lab_enabled": lab_enabled,
            "lab_path": lab_paths(assignment).notebook if assignment and lab_enabled else "",
            "data_files": assignment.visible_data_files if assignment else []}
    return contexts


def _own_or_graded(request: HttpRequest, submission_id: int) -> Submission:
    submission = get_object_or_404(
        Submission.objects.select_related("assignment__module", "learner"), pk=submission_id)
    if not submission_visible_to(user=request.user, submission=submission):
        raise Http404  # do not tell others that the submission exists
    return submission


@login_required
@require_GET
def feedback(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The feedback page in the site's layout: the score now, hand-graded points and the
    instructor's comments, a way back, and the graded notebook in a sandboxed frame
    (:func:`feedback_document`)."""
    submission = _own_or_graded(request, submission_id)
    summary = submission_feedback(submission=submission)
    if summary is None or not grade_feedback_ensure(summary.grade):
        raise Http404
    grader = submission.learner_id != request.user.pk
    response = render(request, "grading/feedback.html", {
        "summary": summary, "submission": submission, "assignment": submission.assignment,
        "back_url": (reverse("grading_admin:submission", args=[submission.pk]) if grader
                     else _module_url(request, submission.assignment)),
        "module_url": _module_url(request, submission.assignment), "grader": grader})
    # The site's policy, and the notebook's frame from this site (its own sandbox policy).
    response["Content-Security-Policy"] = csp_header_value(
        {**settings.LMS_CSP, "frame-src": ["'self'"]})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def feedback_document(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The graded notebook (nbgrader's feedback page), sandboxed: it holds learner text."""
    submission = _own_or_graded(request, submission_id)
    grade = getattr(submission, "grade", None)
    page = (grade.feedback_in(get_language())
            if grade is not None and grade_feedback_ensure(grade) else "")
    if not page:
        raise Http404
    response = HttpResponse(page)
    response["Content-Security-Policy"] = FEEDBACK_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def download(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = _own_or_graded(request, submission_id)
    name = f"{submission.assignment.key}-attempt{submission.attempt}.ipynb"
    response = FileResponse(submission.notebook.open("rb"), as_attachment=True, filename=name,
                            content_type="application/x-ipynb+json")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def released(request: HttpRequest, key: str) -> HttpResponse:
    """The released notebook, for learners of the programme and its graders."""
    assignment = _downloadable(request, key)
    return FileResponse(assignment.released.open("rb"), as_attachment=True,
                        filename=f"{assignment.key}.ipynb",
                        content_type="application/x-ipynb+json")


@login_required
@require_GET
def data_file(request: HttpRequest, key: str, name: str) -> HttpResponse:
    assignment = _downloadable(request, key)
    item = get_object_or_404(assignment.data_files.visible(), name=name)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)


def _downloadable(request: HttpRequest, key: str) -> Assignment:
    """A released assignment the user learns (enrolled) or grades; 404 for anyone else."""
    assignment = get_object_or_404(Assignment.objects.select_related("module"), key=key)
    if not assignment.is_released:
        raise Http404
    if can_grade(user=request.user, assignment=assignment):
        return assignment
    try:
        run = learner_run(assignment=assignment, learner=request.user)
    except SubmissionRefused:
        raise Http404 from None
    if run is None:  # course staff of another course
        raise Http404
    return assignment


# --- The learner's lab (JupyterHub) ---------------------------------------------------------


def _lab_assignment(request: HttpRequest, key: str) -> Assignment:
    """A released assignment of a programme the user learns in (404 otherwise)."""
    assignment = get_object_or_404(Assignment.objects.select_related("module"), key=key)
    if not assignment.is_released:
        raise Http404
    try:
        learner_run(assignment=assignment, learner=request.user)
    except SubmissionRefused:
        raise Http404 from None
    return assignment


LAB_DOWN = _lazy("The notebook service is not responding right now. Your work in the lab is "
                 "safe; try again in a minute.")
LAB_NOT_CONFIGURED = _lazy("The notebook service is not connected on this site. Download the "
                           "notebook and upload it here instead.")


def _lab_failure(request, assignment, exc: Exception, *, action: str):
    if isinstance(exc, LabNotConfigured):
        message = LAB_NOT_CONFIGURED
    else:
        logger.warning("lab %s for user %s (%s) failed: %s", action, request.user.pk,
                       assignment.key, exc)
        message = LAB_DOWN
    return _answer(request, assignment, ok=False, status=503, message=str(message))


@login_required
@require_POST
def lab_open(request: HttpRequest, key: str) -> HttpResponse:
    """Start the learner's server if needed, then (once ready) open the assignment in it."""
    assignment = _lab_assignment(request, key)
    fresh = request.POST.get("fresh") == "1"
    try:
        state = lab_start(user=request.user)
        if state.ready:
            path = lab_files_ensure(assignment=assignment, user=request.user,
                                    server_url=state.url, fresh=fresh)
            if _wants_json(request):
                return JsonResponse({"state": "ready", "url": lab_url(path)})
            return HttpResponseRedirect(lab_url(path))
    except (HubUnavailable, HubNotFound, HubError) as exc:
        return _lab_failure(request, assignment, exc, action="open")
    wait = reverse("grading:lab_wait", args=[key]) + ("?fresh=1" if fresh else "")
    if _wants_json(request):
        return JsonResponse({"state": "starting", "wait": wait})
    return HttpResponseRedirect(wait)


@login_required
@require_GET
def lab_wait(request: HttpRequest, key: str) -> HttpResponse:
    """While the server starts: a progress bar (refreshed by lab.js, or by the page itself
    without JavaScript); when it is ready, on to the notebook."""
    assignment = _lab_assignment(request, key)
    fresh = request.GET.get("fresh") == "1"
    try:
        state, progress = lab_progress(user=request.user)
        if state.ready:
            path = lab_files_ensure(assignment=assignment, user=request.user,
                                    server_url=state.url, fresh=fresh)
            url = lab_url(path)
            if _wants_json(request):
                return JsonResponse({"state": "ready", "url": url})
            return HttpResponseRedirect(url)
        if not state.exists and not state.starting:
            logger.warning("lab of user %s did not start (%s)", request.user.pk, progress)
            shown = lab_progress_shown({**progress, "failed": True})
            if _wants_json(request):
                return JsonResponse({"state": "failed", "message": shown.message,
                                     "timed_out": shown.timed_out}, status=503)
            messages.error(request, shown.message)
            return HttpResponseRedirect(_module_url(request, assignment))
    except (HubUnavailable, HubNotFound, HubError) as exc:
        return _lab_failure(request, assignment, exc, action="wait")
    shown = lab_progress_shown(progress)
    if _wants_json(request):
        return JsonResponse({"state": "starting", "progress": shown.percent,
                             "message": shown.message})
    return render(request, "grading/lab_wait.html", {
        "assignment": assignment, "shown": shown,
        "status_url": request.get_full_path(), "module_url": _module_url(request, assignment),
        "retry_url": reverse("grading:lab_open", args=[key]), "fresh": fresh})


@login_required
@require_POST
def lab_submit_view(request: HttpRequest, key: str) -> HttpResponse:
    assignment = _lab_assignment(request, key)
    if (refused := _submit_rate_exceeded(request, assignment)) is not None:
        return refused
    try:
        outcome = lab_submit(assignment=assignment, user=request.user)
    except NotebookMissing as missing:
        logger.info("user %s: %s is not in their lab", request.user.pk, missing.path)
        return _answer(request, assignment, ok=False, status=409, message=_(
            "We could not find %(path)s in your lab. Did you rename or move it? Put it back "
            "under that name, or use “Get a fresh copy”.") % {"path": missing.path})
    except NotebookInvalid as exc:
        logger.info("user %s: refused notebook from the lab for %s: %s", request.user.pk,
                    key, exc)
        return _answer(request, assignment, ok=False, status=400,
                       message=_("This notebook cannot be submitted: %(reason)s")
                       % {"reason": exc})
    except SubmissionRefused as refused:
        return _answer(request, assignment, ok=False, status=409, message=str(refused))
    except LabNotConfigured as exc:
        return _lab_failure(request, assignment, exc, action="submit")
    except (HubUnavailable, HubError) as exc:
        if isinstance(exc, HubUnavailable) and "not running" in str(exc):
            return _answer(request, assignment, ok=False, status=409, message=_(
                "Your lab is not running. Open it, save your notebook, then submit."))
        return _lab_failure(request, assignment, exc, action="submit")
    return _receipt(request, assignment, outcome)
