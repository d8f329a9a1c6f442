"""Sign-in through an OpenID Connect provider (a real one on loopback, over TLS): groups follow
work teams at every sign-in, admin groups grant admin, and every way a sign-in can be wrong is
refused without a session."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey

from tests.identity.conftest import oidc_deployment, provider_redirect, sign_in
from tests.support.factories import PASSWORD, make_admin
from tests.support.oidc_provider import CLIENT_ID, OTHER_CLIENT, Provider
from truthset import workforce
from truthset.app import create_app
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.settings import Settings


def members(dep: Deployment, team: str) -> list[str]:
    return [m.email for m in workforce.get_team(dep, team)[1]]


def test_a_worker_signs_in_and_teams_follow_their_groups(
    oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "mammography")
    workforce.set_team_groups(oidc_dep, "mammography", ["radiology-readers"])
    workforce.create_team(oidc_dep, "pathology")
    workforce.set_team_groups(oidc_dep, "pathology", ["pathologists"])
    fresh_provider.add_user("u-1", "Ana@Hospital.example", ["radiology-readers", "staff"])

    answer = sign_in(oidc_client, fresh_provider, "u-1")
    assert answer.status_code == 303 and answer.headers["location"] == "/portal"
    me = oidc_client.get("/api/v1/me").json()
    assert me["email"] == "ana@hospital.example" and me["is_admin"] is False
    assert members(oidc_dep, "mammography") == ["ana@hospital.example"]
    assert members(oidc_dep, "pathology") == []

    # The provider moves her to the pathologists: the next sign-in follows.
    fresh_provider.users["u-1"]["groups"] = ["pathologists"]
    assert sign_in(oidc_client, fresh_provider, "u-1").status_code == 303
    assert members(oidc_dep, "mammography") == []
    assert members(oidc_dep, "pathology") == ["ana@hospital.example"]

    # No group with work here: refused, and the team she left stays left.
    fresh_provider.users["u-1"]["groups"] = ["staff"]
    refused = sign_in(oidc_client, fresh_provider, "u-1")
    assert refused.status_code == 401 and "none of your groups" in refused.text
    assert members(oidc_dep, "pathology") == []


def test_admin_group_grants_admin_at_every_sign_in(
    oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "readers")
    workforce.set_team_groups(oidc_dep, "readers", ["readers"])
    fresh_provider.add_user("boss", "chief@hospital.example", ["truthset-admins", "readers"])
    answer = sign_in(oidc_client, fresh_provider, "boss", next="/console/teams")
    assert answer.headers["location"] == "/console/teams"
    assert oidc_client.get("/api/v1/me").json()["is_admin"] is True
    fresh_provider.users["boss"]["groups"] = ["readers"]
    assert sign_in(oidc_client, fresh_provider, "boss").headers["location"] == "/portal"
    assert oidc_client.get("/api/v1/me").json()["is_admin"] is False


def test_ground_truths_group_claim_counts_too(
    oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "labelers")
    workforce.set_team_groups(oidc_dep, "labelers", ["work_team_1"])
    fresh_provider.users["gt"] = {"email": "gt@hospital.example", "sagemaker:groups": "work_team_1"}
    assert sign_in(oidc_client, fresh_provider, "gt").headers["location"] == "/portal"
    assert members(oidc_dep, "labelers") == ["gt@hospital.example"]


def test_a_user_with_no_mapped_group_gets_no_account(
    oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    fresh_provider.add_user("x", "visitor@hospital.example", ["cafeteria"])
    refused = sign_in(oidc_client, fresh_provider, "x")
    assert refused.status_code == 401 and "(cafeteria)" in refused.text
    assert "truthset_session" not in refused.cookies
    with pytest.raises(NotFound):
        workforce.get_user(oidc_dep, "visitor@hospital.example")


BAD_TOKENS = {
    "wrong issuer": {"iss": "https://evil.example"},
    "wrong audience": {"aud": "https://elsewhere.example"},
    "another client's token": {"aud": [OTHER_CLIENT, CLIENT_ID], "azp": OTHER_CLIENT},
    "expired": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    "replayed nonce": {"nonce": "a-nonce-from-an-earlier-sign-in"},
}


@pytest.mark.parametrize("problem", sorted(BAD_TOKENS))
def test_bad_id_tokens_are_refused(
    problem: str, oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "readers")
    workforce.set_team_groups(oidc_dep, "readers", ["readers"])
    fresh_provider.add_user("u", "u@hospital.example", ["readers"])
    fresh_provider.misbehave.update(BAD_TOKENS[problem])
    refused = sign_in(oidc_client, fresh_provider, "u")
    assert refused.status_code == 401 and "ID token was refused" in refused.text, refused.text
    assert oidc_client.get("/api/v1/me").status_code == 401
    assert members(oidc_dep, "readers") == []


def test_a_token_signed_with_another_key_is_refused(
    oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "readers")
    workforce.set_team_groups(oidc_dep, "readers", ["readers"])
    fresh_provider.add_user("u", "u@hospital.example", ["readers"])
    # Same key id as the provider's, so only the signature itself can give it away.
    fresh_provider.misbehave["sign_with"] = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    refused = sign_in(oidc_client, fresh_provider, "u")
    assert refused.status_code == 401 and "bad_signature" in refused.text
    assert oidc_client.get("/api/v1/me").status_code == 401


def test_state_is_single_use_and_bound_to_the_browser(
    oidc_dep: Deployment, oidc_client: TestClient, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "readers")
    workforce.set_team_groups(oidc_dep, "readers", ["readers"])
    fresh_provider.add_user("u", "u@hospital.example", ["readers"])
    fresh_provider.auto_user = "u"
    started = oidc_client.get("/oidc/login", follow_redirects=False)
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = provider_redirect(fresh_provider, started.headers["location"])
    # Another browser (no state cookie) cannot finish this sign-in.
    with TestClient(oidc_client.app) as stranger:
        foreign = stranger.get(back, follow_redirects=False)
    assert foreign.status_code == 401 and "another browser" in foreign.text
    assert oidc_client.get(back, follow_redirects=False).status_code == 303
    oidc_client.cookies.set("truthset_oidc_state", query["state"][0], path="/oauth2/idpresponse")
    replayed = oidc_client.get(back, follow_redirects=False)
    assert replayed.status_code == 401 and "already used" in replayed.text


def test_password_sign_in_can_be_left_to_the_break_glass_admin(
    settings: Settings, fresh_provider: Provider
) -> None:
    dep = oidc_deployment(
        settings, fresh_provider, password_sign_in=False, break_glass_admin="admin@example.org"
    )
    try:
        make_admin(dep)
        workforce.create_team(dep, "t")
        workforce.create_workers(dep, ["w@example.org"], "t", PASSWORD)
        with TestClient(create_app(deployment=dep)) as client:
            body = {"email": "w@example.org", "password": PASSWORD}
            refused = client.post("/api/v1/login", json=body)
            assert refused.status_code == 401 and "turned off" in refused.json()["error"]["message"]
            wrong = client.post("/api/v1/login", json={**body, "password": "not it at all"})
            assert wrong.json()["error"]["message"] == "wrong e-mail address or password"
            admin = client.post("/api/v1/login", json={**body, "email": "admin@example.org"})
            assert admin.status_code == 200
            page = client.get("/login").text
            assert "Sign in with Hospital SSO" in page and "Administrator sign-in" in page
    finally:
        dep.db.dispose()


def test_logout_ends_the_session_and_the_providers(
    oidc_client: TestClient, oidc_dep: Deployment, fresh_provider: Provider
) -> None:
    workforce.create_team(oidc_dep, "readers")
    workforce.set_team_groups(oidc_dep, "readers", ["readers"])
    fresh_provider.add_user("u", "u@hospital.example", ["readers"])
    sign_in(oidc_client, fresh_provider, "u")
    csrf = oidc_client.cookies.get("truthset_csrf") or oidc_client.get("/login").cookies.get(
        "truthset_csrf"
    )
    out = oidc_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    refresh = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', out.text)
    assert out.status_code == 200 and refresh is not None
    target = urlsplit(html.unescape(refresh.group(1)))
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{fresh_provider.url}/logout"
    query = parse_qs(target.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login"]
    assert oidc_client.get("/api/v1/me").status_code == 401
