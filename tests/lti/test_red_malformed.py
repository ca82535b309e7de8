"""Red team: a token of the wrong shape, posted by anyone with a state cookie (the login
initiation gives one to whoever asks), gets the refusal page and a log line, never a 500."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.lti.conftest import LEARNER, LaunchSpec

pytestmark = pytest.mark.django_db


def _part(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _state(client, platform) -> tuple[str, str]:
    platform.prepare("p", LaunchSpec(sub="x", roles=[LEARNER]))
    login = client.get("/lti/login/", platform.login_initiation_query("p"))
    query = parse_qs(urlsplit(login["Location"]).query)
    return query["state"][0], query["nonce"][0]


@pytest.mark.parametrize(("header", "body"), [
    ({"alg": "RS256", "kid": "k"}, [1, 2]),                       # a JSON list, not an object
    ({"alg": "RS256", "kid": "k"}, "a string"),
    ([1], {"nonce": "n"}),                                         # a header that is a list
    ({"alg": "RS256", "kid": "k"}, {"nonce": 12}),                 # a nonce that is a number
    ({"alg": "RS256", "kid": "k"}, {"nonce": ["a"]}),
    ({"alg": "RS256", "kid": "k"}, {"nonce": "{n}", "iss": {"a": 1}}),
    ({"alg": "RS256", "kid": "k"}, {"nonce": "{n}", "iss": "{iss}", "aud": [1, 2]}),
])
def test_a_token_of_the_wrong_shape_gets_the_refusal_page(client, platform, registration,
                                                          caplog, header, body):
    state, nonce = _state(client, platform)
    if isinstance(body, dict):
        body = {k: (v.format(n=nonce, iss=platform.issuer) if isinstance(v, str) else v)
                for k, v in body.items()}
    token = f"{_part(header)}.{_part(body)}.c2ln"
    response = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert response.status_code == 400
    assert 'data-refusal="bad_token"' in response.content.decode()
    assert "launch refused (bad_token)" in caplog.text
