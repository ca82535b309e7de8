"""A minimal, real LTI 1.3 platform for the tests, served over HTTP on loopback.

It has its own RSA key and does what an LMS does, with no code of the tool's:

- ``GET /jwks``: its public key set;
- ``GET /auth``: the OIDC authorization endpoint; checks the tool's request (client id,
  redirect URI, response type and mode, scope, prompt, state and nonce present) and answers
  with a page that posts the signed ``id_token`` and ``state`` to the redirect URI;
- ``POST /token``: OAuth2 client credentials with a JWT client assertion, verified against
  the tool's JWKS (fetched over HTTP from the tool, or given);
- ``GET|POST /lineitems/<context>``, ``POST /lineitems/<context>/<n>/scores``: AGS line items
  and scores, recorded; ``fail_scores`` makes the next scores answer 503;
- ``GET /memberships/<context>``: NRPS;
- ``POST /deep-link-return``: the deep-linking answer, verified against the tool's JWKS;
- ``GET /course``: a course page that frames the tool (its login initiation in an iframe);
  ``GET /course-window``: one that opens it in a new window.

What a launch carries is set per login hint with :meth:`TestPlatform.prepare`; the test can
also tamper with a launch (another key, audience, deployment, expiry).
"""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from urllib.request import urlopen
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
AGS_SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
              "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
              "https://purl.imsglobal.org/spec/lti-ags/scope/score"]
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def new_key() -> tuple[str, dict]:
    """A new RSA key: (private PEM, public JWK with a kid)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid=uuid.uuid4().hex, alg="RS256", use="sig")
    return pem, public


@dataclass
class LaunchSpec:
    """What the platform puts in the id_token of one launch (per login hint)."""

    sub: str
    roles: list[str]
    context_id: str = "course-1"
    resource_link_id: str = "link-1"
    custom: dict = field(default_factory=dict)
    name: str = "김학생"
    email: str = ""
    deep_linking: bool = False
    # Tampering, for the refusal tests:
    sign_with: str | None = None   # another private key (PEM): a bad signature
    kid: str | None = None
    audience: str | list | None = None
    deployment_id: str | None = None
    expires_in: int = 300
    nonce: str | None = None


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # the tests' output stays readable
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class TestPlatform:
    """The platform. ``start()`` serves it on 127.0.0.1 (another site than the tool's
    ``localhost``: the tool is a third party in the course page's iframe)."""

    __test__ = False  # not a test class for pytest

    def __init__(self, *, client_id: str = "aimd-tool", deployment_id: str = "dep-1"):
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_pem, self.public_jwk = new_key()
        self.launch_url = ""          # the tool's redirect URI (registered)
        self.login_url = ""           # the tool's OIDC login initiation URL
        self.tool_jwks_url = ""       # fetched over HTTP; or set tool_jwks
        self.tool_jwks: dict | None = None
        self.specs: dict[str, LaunchSpec] = {}
        self.line_items: dict[str, list[dict]] = {}
        self.scores: list[dict] = []
        self.score_requests = 0
        self.fail_scores = 0
        self.tokens: dict[str, list[str]] = {}
        self.token_requests: list[dict] = []
        self.members: dict[str, list[dict]] = {}
        self.deep_link_returns: list[dict] = []
        self.id_tokens: list[str] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.url = ""

    # --- serving ----------------------------------------------------------------------------
    def start(self) -> TestPlatform:
        self._server = make_server("127.0.0.1", 0, self.wsgi, server_class=_Server,
                                   handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def issuer(self) -> str:
        return self.url

    def prepare(self, login_hint: str, spec: LaunchSpec) -> None:
        self.specs[login_hint] = spec

    def login_initiation_query(self, login_hint: str, *, target: str = "") -> dict:
        return {"iss": self.issuer, "login_hint": login_hint,
                "target_link_uri": target or self.launch_url,
                "lti_message_hint": login_hint, "client_id": self.client_id,
                "lti_deployment_id": self.deployment_id}

    # --- the id_token -----------------------------------------------------------------------
    def id_token(self, spec: LaunchSpec, *, nonce: str) -> str:
        now = int(time.time())
        context_url = f"{self.url}/lineitems/{spec.context_id}"
        claims = {
            "iss": self.issuer,
            "aud": spec.audience if spec.audience is not None else self.client_id,
            "sub": spec.sub, "iat": now, "exp": now + spec.expires_in,
            "nonce": spec.nonce or nonce, "name": spec.name,
            LTI + "deployment_id": spec.deployment_id or self.deployment_id,
            LTI + "version": "1.3.0",
            LTI + "roles": spec.roles,
            LTI + "context": {"id": spec.context_id, "label": "AI-101",
                              "title": "대학 AI 기초", "type": [
                                  "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "tool_platform": {"guid": "test-platform", "name": "Test LMS",
                                    "product_family_code": "tests"},
            LTI + "launch_presentation": {"document_target": "iframe",
                                          "return_url": f"{self.url}/return"},
            AGS_CLAIM: {"scope": AGS_SCOPES, "lineitems": context_url},
            NRPS_CLAIM: {"context_memberships_url": f"{self.url}/memberships/{spec.context_id}",
                         "service_versions": ["2.0"]},
        }
        if spec.email:
            claims["email"] = spec.email
        if spec.custom:
            claims[LTI + "custom"] = spec.custom
        if spec.deep_linking:
            claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
            claims[DL_CLAIM] = {"deep_link_return_url": f"{self.url}/deep-link-return",
                                "accept_types": ["ltiResourceLink"],
                                "accept_presentation_document_targets": ["iframe", "window"],
                                "accept_multiple": True, "data": "dl-data-1"}
        else:
            claims[LTI + "message_type"] = "LtiResourceLinkRequest"
            claims[LTI + "target_link_uri"] = self.launch_url
            claims[LTI + "resource_link"] = {"id": spec.resource_link_id, "title": "과제"}
        key = spec.sign_with or self.private_pem
        kid = spec.kid or self.public_jwk["kid"]
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def authorize(self, query: dict) -> tuple[int, dict]:
        """The OIDC authorization checks; (status, form fields to post) or an error."""
        def one(name):
            return (query.get(name) or [""])[0] if isinstance(query.get(name), list) \
                else query.get(name, "")
        problems = []
        if one("client_id") != self.client_id:
            problems.append("client_id")
        if one("redirect_uri") != self.launch_url:
            problems.append("redirect_uri")
        for name, wanted in (("response_type", "id_token"), ("response_mode", "form_post"),
                             ("scope", "openid"), ("prompt", "none")):
            if one(name) != wanted:
                problems.append(name)
        if not one("state") or not one("nonce"):
            problems.append("state/nonce")
        spec = self.specs.get(one("login_hint"))
        if spec is None:
            problems.append("login_hint")
        if problems:
            return 400, {"error": ",".join(problems)}
        token = self.id_token(spec, nonce=one("nonce"))
        self.id_tokens.append(token)
        return 200, {"id_token": token, "state": one("state"),
                     "action": one("redirect_uri")}

    # --- the tool's keys --------------------------------------------------------------------
    def _tool_keys(self) -> dict:
        if self.tool_jwks is not None:
            return self.tool_jwks
        with urlopen(self.tool_jwks_url, timeout=10) as response:  # noqa: S310 - loopback
            return json.loads(response.read())

    def verify_tool_jwt(self, token: str, *, audience: str) -> dict:
        header = jwt.get_unverified_header(token)
        keys = {k["kid"]: k for k in self._tool_keys()["keys"]}
        jwk = keys[header["kid"]]
        return jwt.decode(token, RSAAlgorithm.from_jwk(json.dumps(jwk)), algorithms=["RS256"],
                          audience=audience, options={"require": ["exp", "iat"]})

    # --- WSGI -------------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        body = b""
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
        try:
            status, headers, content = self._route(method, path, query, body, environ)
        except Exception as exc:  # noqa: BLE001 - the platform answers 500 like a real one
            status, headers, content = 500, [("Content-Type", "text/plain")], repr(exc).encode()
        reasons = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized",
                   404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}
        start_response(f"{status} {reasons.get(status, 'X')}", headers)
        return [content]

    def _json(self, status, data, content_type="application/json"):
        return status, [("Content-Type", content_type)], json.dumps(data).encode()

    def _bearer(self, environ) -> list[str] | None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = auth.removeprefix("Bearer ")
        return self.tokens.get(token)

    def _route(self, method, path, query, body, environ):
        if path == "/jwks":
            return self._json(200, {"keys": [self.public_jwk]})
        if path == "/auth":
            status, fields = self.authorize(query)
            if status != 200:
                return self._json(status, fields)
            page = (f'<!doctype html><html><body><form id="f" method="post" '
                    f'action="{html.escape(fields["action"])}">'
                    f'<input type="hidden" name="id_token" value="{fields["id_token"]}">'
                    f'<input type="hidden" name="state" value="{html.escape(fields["state"])}">'
                    f'</form><script>document.getElementById("f").submit()</script>'
                    f'</body></html>')
            return 200, [("Content-Type", "text/html; charset=utf-8")], page.encode()
        if path == "/course":
            hint = (query.get("hint") or [""])[0]
            src = self.login_url + "?" + urlencode(self.login_initiation_query(hint))
            page = (f'<!doctype html><html><head><title>Test LMS course</title></head><body>'
                    f'<h1>Test LMS</h1><iframe id="tool" title="tool" '
                    f'src="{html.escape(src)}" width="1000" height="700"></iframe>'
                    f'</body></html>')
            return 200, [("Content-Type", "text/html; charset=utf-8")], page.encode()
        if path == "/course-window":
            hint = (query.get("hint") or [""])[0]
            href = self.login_url + "?" + urlencode(self.login_initiation_query(hint))
            page = (f'<!doctype html><html><head><title>Test LMS course</title></head><body>'
                    f'<h1>Test LMS</h1><a id="open" href="{html.escape(href)}" '
                    f'target="_blank" rel="opener">Open the activity in a new window</a>'
                    f'</body></html>')
            return 200, [("Content-Type", "text/html; charset=utf-8")], page.encode()
        if path == "/token" and method == "POST":
            return self._token(parse_qs(body.decode()))
        if path.startswith("/lineitems/"):
            scopes = self._bearer(environ)
            if scopes is None:
                return self._json(401, {"error": "no token"})
            return self._ags(method, path, query, body, scopes)
        if path.startswith("/memberships/"):
            scopes = self._bearer(environ)
            if scopes is None or NRPS_SCOPE not in scopes and not scopes:
                return self._json(401, {"error": "no token"})
            context = path.split("/")[2]
            return self._json(200, {"id": path, "context": {"id": context},
                                    "members": self.members.get(context, [])},
                              "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        if path == "/deep-link-return" and method == "POST":
            token = parse_qs(body.decode())["JWT"][0]
            claims = self.verify_tool_jwt(token, audience=self.issuer)
            self.deep_link_returns.append(claims)
            return 200, [("Content-Type", "text/html; charset=utf-8")], \
                b"<!doctype html><p id='dl-done'>Deep linking received</p>"
        return self._json(404, {"error": path})

    def _token(self, form):
        one = {k: v[0] for k, v in form.items()}
        self.token_requests.append(one)
        if one.get("grant_type") != "client_credentials" or one.get(
                "client_assertion_type") != JWT_BEARER:
            return self._json(400, {"error": "unsupported_grant_type"})
        try:
            claims = self.verify_tool_jwt(one["client_assertion"], audience=f"{self.url}/token")
        except Exception as exc:  # noqa: BLE001 - any bad assertion is invalid_client
            return self._json(401, {"error": "invalid_client", "detail": repr(exc)})
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return self._json(401, {"error": "invalid_client"})
        token = uuid.uuid4().hex
        self.tokens[token] = one.get("scope", "").split()
        return self._json(200, {"access_token": token, "token_type": "bearer",
                                "expires_in": 3600, "scope": one.get("scope", "")})

    def _ags(self, method, path, query, body, scopes):
        parts = path.strip("/").split("/")
        context = parts[1]
        with self._lock:
            items = self.line_items.setdefault(context, [])
            if len(parts) == 2 and method == "GET":
                wanted = (query.get("resource_id") or [None])[0]
                found = [i for i in items if wanted is None or i.get("resourceId") == wanted]
                return self._json(200, found,
                                  "application/vnd.ims.lis.v2.lineitemcontainer+json")
            if len(parts) == 2 and method == "POST":
                if AGS_SCOPES[0] not in scopes:
                    return self._json(401, {"error": "scope"})
                item = json.loads(body)
                item["id"] = f"{self.url}/lineitems/{context}/{len(items) + 1}"
                items.append(item)
                return self._json(201, item, "application/vnd.ims.lis.v2.lineitem+json")
            if len(parts) == 4 and parts[3] == "scores" and method == "POST":
                self.score_requests += 1
                if self.fail_scores > 0:
                    self.fail_scores -= 1
                    return self._json(503, {"error": "try later"})
                score = json.loads(body)
                score["lineitem"] = f"{self.url}/lineitems/{context}/{parts[2]}"
                self.scores.append(score)
                return 200, [("Content-Type", "application/json")], b""
        return self._json(404, {"error": path})
