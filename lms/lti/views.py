"""The LTI tool's endpoints: JWKS, OIDC login initiation, launch, deep linking, account linking
and the instructor's placement page. Each translates the request and calls a service; every
refused launch gets a page saying why and a log line."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lti_tool.models import LtiLaunch

from lms.lti import protocol, selectors, services
from lms.lti.middleware import LTI_SESSION_KEY, lti_frame_policy
from lms.lti.models import Placement

logger = logging.getLogger(__name__)

DEEP_LINK_SESSION_KEY = "lms_lti_deep_link"

REFUSAL_MESSAGES = {
    "bad_signature": gettext_lazy(
        "The launch was not signed by the platform's registered key."),
    "wrong_audience": gettext_lazy(
        "The launch was meant for another tool, or this platform's client ID is not "
        "registered here."),
    "replayed_nonce": gettext_lazy(
        "This launch was already used. Open the activity again from your course."),
    "bad_nonce": gettext_lazy(
        "This launch was not started here or has expired. Open the activity again from your "
        "course."),
    "bad_state": gettext_lazy(
        "Your browser did not keep the sign-in state of this launch (cookies may be blocked "
        "in embedded pages). Open the activity in a new window."),
    "expired": gettext_lazy("The launch has expired. Open the activity again from your "
                            "course."),
    "unknown_deployment": gettext_lazy(
        "This deployment of the tool is not registered here. Ask the platform's administrator "
        "to register its deployment ID."),
    "unknown_platform": gettext_lazy("This platform is not registered with this site."),
    "platform_address": gettext_lazy(
        "This platform's registration uses an address the site may not call (it must be "
        "https on the public internet). Ask the site's administrator to correct it."),
    "missing_target": gettext_lazy("The launch request is incomplete."),
    "bad_token": gettext_lazy("The launch request is incomplete or damaged."),
    "wrong_method": gettext_lazy("The launch request is incomplete or damaged."),
    "bad_message": gettext_lazy("The launch message is not one this tool understands."),
    "no_placement": gettext_lazy(
        "This link does not point at any content yet. Ask your instructor to choose it."),
    "outside_scope": gettext_lazy(
        "This site has not opened this programme to your university's LMS. Ask the site's "
        "administrators to add it to your LMS's deployment."),
    "no_open_run": gettext_lazy(
        "The programme of this activity has no run open for enrolment."),
    "enrolment_refused": gettext_lazy("You could not be enrolled in this programme."),
    "not_instructor": gettext_lazy("Only an instructor may choose content for the course."),
    "unsupported": gettext_lazy("This kind of launch is not supported."),
    "privileged_account": gettext_lazy(
        "An account with staff rights on this site has this email address; it cannot be "
        "signed in through a university's LMS. Sign in on this site directly."),
}


def _framed(response: HttpResponse, origins: list[str]) -> HttpResponse:
    """Let the registered platforms frame this response (and nobody else)."""
    response["Content-Security-Policy"] = lti_frame_policy(origins)
    response.xframe_options_exempt = True
    return response


def refusal_page(request: HttpRequest, exc: protocol.LaunchRefused) -> HttpResponse:
    logger.warning("lti: launch refused (%s) from %s: %s", exc.code,
                   request.META.get("REMOTE_ADDR", "?"), exc.detail)
    response = render(request, "lti/refused.html", {
        "code": exc.code,
        "message": REFUSAL_MESSAGES.get(exc.code, REFUSAL_MESSAGES["bad_message"])},
        status=403 if exc.code not in ("missing_target", "bad_token") else 400)
    return _framed(response, protocol.platform_origins())


@require_http_methods(["GET", "HEAD"])
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys (every active key; the newest signs)."""
    response = JsonResponse(protocol.jwks())
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def login_initiation(request: HttpRequest, registration_uuid=None) -> HttpResponse:
    """OIDC third-party initiated login: redirect to the platform's auth URL."""
    try:
        response = protocol.login_redirect(request=request, registration_uuid=registration_uuid)
    except protocol.LaunchRefused as exc:
        return refusal_page(request, exc)
    logger.info("lti: login initiation from %s", (request.POST or request.GET).get("iss", "?"))
    return response


def _link_url_for(request: HttpRequest):
    def url_for(token: str) -> str:
        return request.build_absolute_uri(reverse("lti:link", args=[token]))
    return url_for


def _start_session(request: HttpRequest, *, user, launch: LtiLaunch) -> None:
    request.session.flush()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session[LTI_SESSION_KEY] = {
        "origins": protocol.registration_origins(launch.registration),
        "registration": launch.registration.pk,
    }


@csrf_exempt
@xframe_options_exempt
def launch(request: HttpRequest) -> HttpResponse:
    """The launch (the OIDC redirect URI): check everything, then sign the person in and open
    the placement's page, the instructor's page or the deep-linking picker."""
    if request.method != "POST":  # a reload or a link: the refusal page, not a blank 405
        response = refusal_page(request, protocol.LaunchRefused("wrong_method", request.method))
        response.status_code, response["Allow"] = 405, "POST"
        return response
    try:
        lti_launch = protocol.launch_validate(request=request)
        if lti_launch.is_deep_link_launch:
            outcome = services.deep_link_accept(launch=lti_launch,
                                                link_url_for=_link_url_for(request))
        elif lti_launch.is_resource_launch:
            outcome = services.launch_accept(launch=lti_launch,
                                             link_url_for=_link_url_for(request))
        else:
            raise protocol.LaunchRefused("unsupported", str(lti_launch.get_claim(
                "https://purl.imsglobal.org/spec/lti/claim/message_type")))
    except protocol.LaunchRefused as exc:
        return refusal_page(request, exc)
    origins = protocol.registration_origins(lti_launch.registration)
    if outcome.user is None:
        logger.info("lti: launch of lti user %s waits for an account link",
                    outcome.lti_user.pk)
        return _framed(render(request, "lti/link_sent.html",
                              {"email": services._masked(outcome.link_sent_to)}), origins)
    _start_session(request, user=outcome.user, launch=lti_launch)
    logger.info("lti: launch accepted: user %s, lti user %s, placement %s", outcome.user.pk,
                outcome.lti_user.pk, outcome.placement.pk if outcome.placement else None)
    if lti_launch.is_deep_link_launch:
        request.session[DEEP_LINK_SESSION_KEY] = lti_launch.get_launch_id()
        return redirect("lti:deep_link")
    if outcome.instructor:
        if outcome.placement is None:
            return render(request, "lti/no_placement.html")
        return redirect("lti:placement", pk=outcome.placement.pk)
    page = outcome.placement.page
    if outcome.placement.assignment_id:
        page = outcome.placement.assignment.module
    return redirect(page.get_url(request) or "/")


def _frame_session(request: HttpRequest) -> dict:
    frame = request.session.get(LTI_SESSION_KEY)
    if not frame or not request.user.is_authenticated:
        raise PermissionDenied(_("This page may only be opened through an LTI launch."))
    return frame


@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest) -> HttpResponse:
    """The picker of a deep-linking launch: the instructor chooses what to place; the answer
    (a signed JWT) is posted back to the platform by the browser."""
    _frame_session(request)
    launch_id = request.session.get(DEEP_LINK_SESSION_KEY)
    if not launch_id:
        raise PermissionDenied(_("This page may only be opened through an LTI launch."))
    try:
        lti_launch = protocol.launch_restore(request=request, launch_id=launch_id)
    except Exception as exc:  # noqa: BLE001 - an expired launch in any form: a clear page
        return refusal_page(request, protocol.LaunchRefused("expired", str(exc)))
    choices = selectors.deep_link_choices(deployment=lti_launch.deployment)
    if request.method == "POST":
        picked = request.POST.getlist("choice")
        items = []
        by_key = {_choice_key(c): c for c in choices}
        for key in picked:
            choice = by_key.get(key)
            if choice is None:
                continue
            items.append(_deep_link_item(request, choice))
        if not items:
            return render(request, "lti/deep_link.html", {
                "choices": choices, "error": _("Choose at least one item."),
                "keyed": [(c, _choice_key(c)) for c in choices]}, status=400)
        token, return_url = protocol.deep_link_response(launch=lti_launch, items=items)
        del request.session[DEEP_LINK_SESSION_KEY]
        logger.info("lti: deep link of %d items by user %s", len(items), request.user.pk)
        return render(request, "lti/deep_link_return.html",
                      {"return_url": return_url, "jwt": token})
    return render(request, "lti/deep_link.html",
                  {"keyed": [(c, _choice_key(c)) for c in choices]})


def _choice_key(choice: selectors.DeepLinkChoice) -> str:
    return (f"a:{choice.assignment.key}" if choice.assignment is not None
            else f"p:{choice.page.pk}")


def _deep_link_item(request, choice: selectors.DeepLinkChoice) -> protocol.DeepLinkItem:
    url = request.build_absolute_uri(reverse("lti:launch"))
    if choice.assignment is not None:
        return protocol.DeepLinkItem(
            title=choice.assignment.title, url=url,
            custom={"lms_page": str(choice.page.pk), "lms_assignment": choice.assignment.key},
            max_score=float(choice.assignment.max_score or 0) or 1.0,
            resource_id=selectors.assignment_resource_id(choice.assignment))
    return protocol.DeepLinkItem(title=choice.page.title, url=url,
                                 custom={"lms_page": str(choice.page.pk)})


@require_http_methods(["GET", "POST"])
def placement(request: HttpRequest, pk: int) -> HttpResponse:
    """The instructor's page of a placement: the line item, the scores sent, a resend button
    and, when the platform offers it, the roster with who has not started."""
    _frame_session(request)
    item = get_object_or_404(Placement.objects.select_related(
        "page", "assignment", "resource_link__context__deployment__registration"), pk=pk)
    if not selectors.manages_placement(user=request.user, placement=item):
        raise PermissionDenied(_("Only an instructor of this course may open this page."))
    queued = None
    if request.method == "POST":
        queued = services.scores_resend(placement=item)
    roster, roster_error = None, ""
    context = item.resource_link.context
    if context.memberships_url:
        try:
            roster = selectors.roster_rows(placement=item,
                                           members=protocol.members(context=context))
        except (protocol.PlatformUnavailable, protocol.PlatformRefused) as exc:
            logger.warning("lti: roster of placement %s failed: %s", item.pk, exc)
            roster_error = _("The platform's roster could not be read just now.")
    return render(request, "lti/placement.html", {
        "placement": item, "posts": selectors.placement_score_posts(placement=item),
        "queued": queued, "roster": roster, "roster_error": roster_error})


@require_http_methods(["GET", "POST"])
def account_link(request: HttpRequest, token: str) -> HttpResponse:
    """The address of the link email: a button (GET never links: mail scanners open links),
    then the link."""
    if request.method == "POST":
        try:
            user = services.account_link_confirm(token=token)
        except services.LinkRefused as exc:
            logger.warning("lti: account link refused: %s", exc)
            return render(request, "lti/link_done.html", {"error": str(exc)}, status=400)
        return render(request, "lti/link_done.html", {"linked_email": user.email})
    return render(request, "lti/link_confirm.html", {"token": token})
