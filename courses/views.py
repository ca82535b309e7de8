"""The learner's actions on the course site and the "My learning" dashboard.

Views only translate the request into a service call and the outcome into a message and a
redirect; every decision (may this learner enrol, is this module unlocked) is the services'.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.views import serve as wagtail_serve

from courses.caching import site_for_request
from courses.models import Enrolment, EnrolmentStatus, ModulePage, ProgrammeRun
from courses.page_cache import cached_learner_page
from courses.routing import page_route
from courses.selectors import learner_dashboard, module_view
from courses.services.enrolments import EnrolmentRefused, enrolment_create, enrolment_drop
from courses.services.progress import ProgressRefused, module_complete, module_visit_note


class DropForm(forms.Form):
    reason = forms.CharField(max_length=1000, strip=True)


def _page_url(request: HttpRequest, page) -> str:
    """The page in the active language when it is translated (and live), else the page."""
    return page.localized.get_url(request=request) or "/"


def _programme_url(request: HttpRequest, run: ProgrammeRun) -> str:
    return _page_url(request, run.programme) + "#runs"


def _module_visit_noted(request: HttpRequest) -> None:
    """A module page served from the learner's page cache is still a visit."""
    module_key = getattr(request, "lms_page_cache_module_key", None)
    if module_key:
        module_visit_note(learner_id=request.user.pk, module_key=module_key)


def _serve(request: HttpRequest, path: str) -> HttpResponse:
    site = site_for_request(request)
    if site is not None:
        request._wagtail_route_for_request = page_route(request=request, site=site, path=path)
    return wagtail_serve(request, path)


_serve_cached = cached_learner_page(_serve, on_hit=_module_visit_noted)


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page view, with the site from the tree cache and the page found in one query
    (``courses.routing``); Wagtail takes both from the request and does the rest (view
    restrictions, its hooks, the page's own ``serve``). A plain learner's page comes from
    their page cache while nothing it shows has changed (``courses.page_cache``)."""
    return _serve_cached(request, path)


def _dashboard(request: HttpRequest) -> HttpResponse:
    site_for_request(request)  # the page links' site, from the tree cache
    request.lms_page_cacheable = True
    return render(request, "courses/dashboard.html",
                  {"programmes": learner_dashboard(user=request.user)})


_dashboard_cached = cached_learner_page(_dashboard)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """"My learning", from the learner's page cache while nothing it shows has changed."""
    return _dashboard_cached(request)


@require_POST
def enrol(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ProgrammeRun.objects.select_related("programme"), pk=run_id)
    if not run.programme.live:
        raise Http404
    back = _programme_url(request, run)
    if not request.user.is_authenticated:
        return redirect_to_login(back)

    profile = getattr(request.user, "profile", None)
    if profile is None or not profile.is_complete:
        messages.info(request, _("Please complete your profile before you enrol. "
                                 "You will come back to the programme when it is saved."))
        return HttpResponseRedirect(
            reverse("profile") + "?" + urlencode({"next": back}))

    try:
        enrolment = enrolment_create(learner=request.user, run=run)
    except EnrolmentRefused as refused:
        messages.error(request, str(refused.refusal.message))
        return HttpResponseRedirect(back)

    names = {"number": run.number, "programme": run.programme.localized.title}
    if enrolment.status == EnrolmentStatus.APPLIED:
        messages.success(request, _(
            "Your application for run %(number)s of %(programme)s has been received. "
            "Programme staff will review it; your status is shown on this page.") % names)
    else:
        messages.success(request, _(
            "You are enrolled in run %(number)s of %(programme)s. You can start learning "
            "now.") % names)
    return HttpResponseRedirect(back)


@require_POST
def drop(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("courses:dashboard"))
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("run__programme"), pk=enrolment_id,
        learner=request.user)
    back = _programme_url(request, enrolment.run)

    form = DropForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tell us why you are leaving (up to 1,000 characters); "
                                  "the reason helps us improve the programme."))
        return HttpResponseRedirect(back)
    try:
        enrolment_drop(enrolment=enrolment, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(back)
    messages.success(request, _(
        "You have left run %(number)s of %(programme)s. Your progress is kept if you enrol "
        "again.") % {"number": enrolment.run.number,
                     "programme": enrolment.run.programme.localized.title})
    return HttpResponseRedirect(back)


@require_POST
def module_complete_view(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(ModulePage.objects.live(), pk=module_id)
    here = module.get_url(request=request) or "/"
    if not request.user.is_authenticated:
        return redirect_to_login(here)
    try:
        module_complete(learner=request.user, module=module)
    except ProgressRefused as refused:
        messages.error(request, str(refused))
        return HttpResponseRedirect(here)

    following = module_view(module=module, user=request.user).next
    if following is not None:
        messages.success(request, _("“%(module)s” is complete. On to the next module.")
                         % {"module": module.title})
        return HttpResponseRedirect(following.page.get_url(request=request) or here)
    messages.success(request, _("“%(module)s” is complete. That was the last module of this "
                                "course.") % {"module": module.title})
    return HttpResponseRedirect(module.get_parent().get_url(request=request) or here)
