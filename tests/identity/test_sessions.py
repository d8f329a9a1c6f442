"""Changing a password ends the user's other sessions and API tokens; the session that made
the change stays."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import PASSWORD, make_admin
from truthset.deployment import Deployment

ADMIN = "admin@example.org"
NEW = "a brand new password"


def signed_in_browser(app: FastAPI) -> tuple[TestClient, str]:
    browser = TestClient(app)
    page = browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = browser.post(
        "/login",
        data={"email": ADMIN, "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return browser, csrf


def test_a_new_password_ends_other_sessions_and_tokens(app: FastAPI, dep: Deployment) -> None:
    make_admin(dep)
    with TestClient(app) as script:
        token = script.post("/api/v1/login", json={"email": ADMIN, "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    here, csrf = signed_in_browser(app)
    elsewhere, _ = signed_in_browser(app)
    with here, elsewhere, TestClient(app) as script:
        assert script.get("/api/v1/me", headers=bearer).status_code == 200
        form = {"current": PASSWORD, "password": NEW, "confirm": NEW, "csrf_token": csrf}
        changed = here.post("/account/password", data=form)
        assert (
            changed.status_code == 200
            and "other sessions and API tokens have ended" in changed.text
        )
        assert here.get("/api/v1/me").status_code == 200, "the session that changed it stays"
        assert elsewhere.get("/api/v1/me").status_code == 401
        assert script.get("/api/v1/me", headers=bearer).status_code == 401
        assert (
            script.post("/api/v1/login", json={"email": ADMIN, "password": PASSWORD}).status_code
            == 401
        )
        assert (
            script.post("/api/v1/login", json={"email": ADMIN, "password": NEW}).status_code == 200
        )
