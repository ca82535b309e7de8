"""The one module that talks LTI 1.3 (django-lti's ``lti_tool`` and PyLTI1p3): launch checks,
the OIDC login redirect, the cookies of the flow, AGS line items and scores, NRPS, deep
linking responses. Everything else in ``lms.lti`` sees plain values and these exceptions.

What PyLTI1p3 checks on a launch: the OIDC state, the JWT's form, that the nonce was issued
by our login step, the registration (issuer + client id = ``aud``), the RS256 signature
against the platform's JWKS (``exp``/``iat`` by PyJWT), the deployment, the message's claims.
What it leaves open and this module adds:

- a nonce is accepted once (PyLTI1p3 keeps it for a day and a replayed form passes its
  checks): :func:`launch_validate` records it under a unique constraint;
- ``exp`` and ``iat`` are required, not only checked when present;
- an ``aud`` list must name our client id and ``azp`` must then be it (LTI 1.3 §5.1.2);
- an unknown deployment is refused (django-lti would create it, inactive, on the fly);
- the membership holds the launch's roles exactly (django-lti only ever adds roles to it, so
  a role the platform took away would stay).
"""

from __future__ import annotations

import http.cookies
import ipaddress
import logging
import socket
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role
from lti_tool.models import (
    Key,
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiMembership,
    LtiRegistration,
)
from lti_tool.utils import DjangoToolConfig, sync_data_from_launch
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.cookie import DjangoCookieService
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, LtiServiceException, OIDCException
from pylti1p3.grade import Grade as AgsGrade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from lms.lti.models import LaunchNonce

logger = logging.getLogger(__name__)

# Python 3.11's cookies know no "Partitioned" flag (3.14 does): taught here, as PyLTI1p3 teaches
# them SameSite. It is written only on the cookies that set it (the LTI flow's).
http.cookies.Morsel._reserved.setdefault("partitioned", "Partitioned")  # type: ignore[attr-defined]
http.cookies.Morsel._flags.add("partitioned")  # type: ignore[attr-defined]

AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


class LaunchRefused(Exception):
    """A launch that fails a check. ``code`` names the check (for the page and the log)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class PlatformUnavailable(Exception):
    """The platform's service answered with an error or not at all (worth retrying)."""


class PlatformRefused(Exception):
    """The platform's service refused the request for good (4xx other than 429)."""


def set_flow_cookie(response: HttpResponse, key: str, value: str, *, max_age: int | None) -> None:
    """Set a cookie that must reach us inside a third-party iframe: SameSite=None needs Secure,
    and Partitioned (CHIPS) keeps it working where browsers block third-party cookies (the
    cookie lives only under the platform's site). Browsers accept Secure cookies from
    http://localhost, so the loopback tests see the production attributes."""
    response.set_cookie(key, value, max_age=max_age, secure=True, httponly=True, path="/",
                        samesite="None")
    response.cookies[key]["partitioned"] = True


class FlowCookieService(DjangoCookieService):
    """PyLTI1p3's state cookie with the flow's attributes whatever the scheme the proxy
    reports (PyLTI1p3 sets SameSite=None only when ``request.is_secure()``)."""

    def update_response(self, response):
        for key, data in self._cookie_data_to_set.items():
            set_flow_cookie(response, key, data["value"], max_age=data["exp"])


class ToolConfig(DjangoToolConfig):
    """django-lti's tool configuration, refusing deployments an administrator has not
    registered and activated (django-lti would create them inactive)."""

    def find_deployment(self, iss, deployment_id):
        return self._deployment(registration__issuer=iss, deployment_id=deployment_id)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        return self._deployment(registration__issuer=iss, registration__client_id=client_id,
                                deployment_id=deployment_id)

    def _deployment(self, **lookups):
        if self.registration_uuid is not None:
            lookups["registration__uuid"] = self.registration_uuid
        self.deployment = (LtiDeployment.objects.active().select_related("registration")
                           .filter(registration__is_active=True, **lookups).first())
        if self.deployment is None:
            return None
        return Deployment().set_deployment_id(self.deployment.deployment_id)


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


def login_redirect(*, request: HttpRequest, registration_uuid=None) -> HttpResponse:
    """The OIDC login initiation's answer: a redirect to the platform's auth URL with a new
    state (in a flow cookie) and nonce. Raises LaunchRefused for an unknown platform."""
    params = request.POST if request.method == "POST" else request.GET
    target = params.get("target_link_uri")
    if not target:
        raise LaunchRefused("missing_target", "no target_link_uri")
    # The id_token comes back to our launch URL, never to an address the request names.
    launch_url = request.build_absolute_uri(_launch_path())
    oidc = DjangoOIDCLogin(request, ToolConfig(registration_uuid),
                           cookie_service=FlowCookieService(_django_request(request)),
                           launch_data_storage=_storage())
    try:
        return oidc.redirect(launch_url)
    except (OIDCException, LtiException) as exc:
        raise LaunchRefused("unknown_platform", str(exc)) from exc


def _launch_path() -> str:
    return reverse("lti:launch")


def _django_request(request: HttpRequest) -> DjangoRequest:
    return DjangoRequest(request)


_REFUSALS = (
    ("Missing state param", "bad_state"),
    ("State not found", "bad_state"),
    ("Invalid Nonce", "bad_nonce"),
    ('"nonce" is empty', "bad_nonce"),
    ("Signature has expired", "expired"),
    ("is not yet valid", "expired"),
    ('Token is missing the "exp"', "expired"),
    ('Token is missing the "iat"', "expired"),
    ("Signature verification failed", "bad_signature"),
    ("Unable to find public key", "bad_signature"),
    ("Can't decode id_token", "bad_signature"),
    ("Invalid id_token", "bad_token"),
    ("Invalid JWT format", "bad_token"),
    ("Missing id_token", "bad_token"),
    ("Registration not found", "wrong_audience"),
    ("Client id not registered", "wrong_audience"),
    ("Unable to find deployment", "unknown_deployment"),
    ("deployment_id is not set", "unknown_deployment"),
)


def _refusal_code(message: str) -> str:
    return next((code for text, code in _REFUSALS if text in message), "bad_message")


def _unverified_body(request: HttpRequest) -> dict:
    """The token's claims before any check, refused unless the token has the shape PyLTI1p3
    reads before it checks the signature (a JSON object header and body; string ``iss``,
    ``nonce`` and ``azp``; ``aud`` a string or a list of strings): anyone may post a token,
    and a number for a nonce must get the refusal page, not a 500."""
    token = request.POST.get("id_token", "")
    if not token:
        return {}  # PyLTI1p3 names what is missing (the state first)
    try:
        header = jwt.get_unverified_header(token)
        body = jwt.decode(token, options={"verify_signature": False})
    except Exception as exc:  # noqa: BLE001 - PyJWT raises several kinds for a bad token
        raise LaunchRefused("bad_token", f"undecodable: {type(exc).__name__}") from exc
    audience = body.get("aud", "")
    audience = audience if isinstance(audience, list) else [audience]
    if (not isinstance(header, dict)
            or not all(isinstance(body.get(name, ""), str) for name in ("iss", "nonce", "azp"))
            or not all(isinstance(item, str) for item in audience)):
        raise LaunchRefused("bad_token", "claims of the wrong type")
    return body


def launch_validate(*, request: HttpRequest) -> LtiLaunch:
    """Validate the launch POSTed to us (every check above) and record its data in django-lti's
    models (user, context, membership, resource link). Raises LaunchRefused."""
    body = _unverified_body(request)
    issuer = str(body.get("iss", ""))
    registrations = list(LtiRegistration.objects.active().filter(issuer=issuer)) \
        if issuer else []
    if issuer and not registrations:
        raise LaunchRefused("unknown_platform", issuer)
    for registration in registrations:  # its keyset is fetched to check the signature
        refusal = outbound_url_refusal(registration.keyset_url)
        if refusal is not None:
            raise LaunchRefused("platform_address", f"keyset URL {registration.keyset_url}: "
                                                    f"{refusal}")
    message = DjangoMessageLaunch(request, ToolConfig(),
                                  cookie_service=FlowCookieService(_django_request(request)),
                                  launch_data_storage=_storage())
    message.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
    try:
        message.validate()
    except LtiException as exc:
        raise LaunchRefused(_refusal_code(str(exc)), str(exc)) from exc
    data = message.get_launch_data()
    client_id = message.get_client_id()
    audience = data.get("aud")
    if isinstance(audience, list):
        if client_id not in audience or (len(audience) > 1 and data.get("azp") != client_id):
            raise LaunchRefused("wrong_audience", f"aud={audience} azp={data.get('azp')}")
    try:
        with transaction.atomic():
            LaunchNonce.objects.create(issuer=issuer, nonce=str(data["nonce"]))
    except IntegrityError as exc:
        raise LaunchRefused("replayed_nonce", str(data["nonce"])[:16]) from exc
    # PyLTI1p3 forgets a nonce after a day (a later replay fails its own check): ours go
    # after two.
    LaunchNonce.objects.filter(used_at__lt=timezone.now() - timedelta(days=2)).delete()
    launch = LtiLaunch(message)
    sync_data_from_launch(launch)
    _membership_roles_set(launch)
    return launch


def _membership_roles_set(launch: LtiLaunch) -> None:
    """The membership's roles as this launch states them: django-lti sets the roles a launch
    names and never clears the others, so an instructor turned learner would stay one."""
    if launch.is_data_privacy_launch:
        return
    roles = {normalize_role(role) for role in launch.roles_claim or []}
    LtiMembership.objects.filter(user=launch.user, context=launch.context).update(
        is_administrator=ContextRole.ADMINISTRATOR in roles,
        is_content_developer=ContextRole.CONTENT_DEVELOPER in roles,
        is_instructor=ContextRole.INSTRUCTOR in roles,
        is_learner=ContextRole.LEARNER in roles,
        is_mentor=ContextRole.MENTOR in roles,
        datetime_modified=timezone.now())


def launch_restore(*, request: HttpRequest, launch_id: str) -> LtiLaunch:
    """A validated launch kept in the cache (for the deep-linking picker's second step)."""
    message = DjangoMessageLaunch.from_cache(launch_id, request, ToolConfig(),
                                             launch_data_storage=_storage())
    return LtiLaunch(message)


def custom_claim(launch: LtiLaunch) -> dict:
    return launch.get_claim(CUSTOM_CLAIM) or {}


def registration_origins(registration: LtiRegistration) -> list[str]:
    """The origins of a registration (its issuer and OIDC auth URL): the only ones that may
    frame the pages of a session it launched, or receive their forms."""
    origins = set()
    for url in (registration.issuer, registration.auth_url):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def platform_origins() -> list[str]:
    """The origins of every active registration (for pages shown before a session exists:
    a refused launch)."""
    return sorted({origin for registration in LtiRegistration.objects.active()
                   for origin in registration_origins(registration)})


# --- Deep linking ---------------------------------------------------------------------------


@dataclass
class DeepLinkItem:
    title: str
    url: str
    custom: dict[str, str]
    max_score: float | None = None
    resource_id: str = ""


def deep_link_response(*, launch: LtiLaunch, items: list[DeepLinkItem]) -> tuple[str, str]:
    """The signed LtiDeepLinkingResponse JWT for ``items`` and the platform's return URL."""
    resources = []
    for item in items:
        resource = (DeepLinkResource().set_url(item.url).set_title(item.title)
                    .set_custom_params(item.custom))
        if item.max_score is not None:
            resource.set_lineitem(LineItem().set_score_maximum(item.max_score)
                                  .set_label(item.title).set_resource_id(item.resource_id))
        resources.append(resource)
    settings_claim = launch.get_claim(DEEP_LINKING_CLAIM) or {}
    deep_link = launch.get_message_launch().get_deep_link()
    return deep_link.get_response_jwt(resources), settings_claim["deep_link_return_url"]


# --- Services: AGS and NRPS -----------------------------------------------------------------


def outbound_url_refusal(url: str) -> str | None:
    """Why the tool may not call this address of a platform, or None: https only (unless
    ``LTI_ALLOW_HTTP``) and never an address that is not on the public internet (loopback,
    private, link-local, reserved; unless ``LTI_ALLOW_PRIVATE_ADDRESSES``), so that a
    registered platform, or a launch it signs, cannot make the site call its neighbours."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.LTI_ALLOW_HTTP):
        return f"not https: {parts.scheme or 'no scheme'}"
    if not parts.hostname:
        return "no host"
    if settings.LTI_ALLOW_PRIVATE_ADDRESSES:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port,
                                                                proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError):
        return None  # unreachable: the call itself fails and is retried or reported
    for address in sorted(addresses):
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            return f"{parts.hostname} is at a non-public address ({address})"
    return None


def _outbound(what: str, url: str) -> str:
    refusal = outbound_url_refusal(url)
    if refusal is not None:
        logger.warning("lti: refused to call the platform's %s at %s: %s", what, url, refusal)
        raise PlatformRefused(f"{what}: {refusal}")
    return url


def _connector(registration: LtiRegistration) -> ServiceConnector:
    _outbound("token URL", registration.token_url)
    return ServiceConnector(registration.to_registration())


def _ags(context: LtiContext) -> AssignmentsGradesService:
    scope = [s for s, ok in zip(AGS_SCOPES, (context.can_manage_lineitems,
                                             context.can_query_lineitems,
                                             context.can_publish_scores), strict=True) if ok]
    return AssignmentsGradesService(_connector(context.deployment.registration),
                                    {"scope": scope,
                                     "lineitems": _outbound("line items URL",
                                                            context.lineitems_url)})


def _service_call(what: str, call):
    try:
        return call()
    except LtiServiceException as exc:
        status = exc.response.status_code
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            raise PlatformRefused(f"{what}: HTTP {status}") from exc
        raise PlatformUnavailable(f"{what}: HTTP {status}") from exc
    except (OSError, ValueError) as exc:  # requests' connection errors are OSErrors
        raise PlatformUnavailable(f"{what}: {exc}") from exc


@dataclass
class PlatformLineItem:
    url: str
    label: str
    maximum_score: float
    resource_id: str


def line_item_find_or_create(*, context: LtiContext, resource_id: str, label: str,
                             maximum_score: float) -> PlatformLineItem:
    """The platform's line item with ``resource_id`` in the context, created when it has none
    (found by resource id first: a relaunch or a second worker never makes another)."""
    if not context.lineitems_url:
        raise PlatformRefused("the platform gave no line items URL (AGS not enabled)")
    ags = _ags(context)
    wanted = (LineItem().set_resource_id(resource_id).set_label(label)
              .set_score_maximum(maximum_score))
    found = _service_call("line items", lambda: ags.find_or_create_lineitem(
        wanted, find_by="resource_id"))
    return PlatformLineItem(url=found.get_id(), label=found.get_label() or label,
                            maximum_score=float(found.get_score_maximum() or maximum_score),
                            resource_id=found.get_resource_id() or resource_id)


def score_put(*, context: LtiContext, line_item_url: str, user_sub: str, score: float,
              maximum: float, timestamp: str, needs_manual_grade: bool, comment: str = "") -> None:
    """POST one score to the line item's scores endpoint (AGS 2.0)."""
    grade = (AgsGrade().set_user_id(user_sub).set_score_given(score).set_score_maximum(maximum)
             .set_timestamp(timestamp).set_activity_progress("Completed")
             .set_grading_progress("Pending" if needs_manual_grade else "FullyGraded"))
    if comment:
        grade.set_comment(comment)
    ags = _ags(context)
    _outbound("line item URL", line_item_url)
    _service_call("score", lambda: ags.put_grade(grade, LineItem({"id": line_item_url})))


def members(*, context: LtiContext) -> list[dict]:
    """The context's members from the platform's names and roles service (NRPS)."""
    if not context.memberships_url:
        raise PlatformRefused("the platform gave no memberships URL (NRPS not enabled)")
    nrps = NamesRolesProvisioningService(
        _connector(context.deployment.registration),
        {"context_memberships_url": _outbound("memberships URL", context.memberships_url)})
    return _service_call("memberships", nrps.get_members)


def jwks() -> dict:
    """The tool's public keys (django-lti's active keys; the newest signs)."""
    return Key.objects.as_jwks()
