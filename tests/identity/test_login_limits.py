"""Sign-in limits through /api/v1/login and the sign-in page: guessing slows the guesser's
address only; the account's owner elsewhere still gets in; X-Forwarded-For counts only from a
trusted proxy; the password form limits wrong current passwords too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.factories import PASSWORD, make_admin, make_team
from truthset.app import create_app
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.settings import Settings

ADMIN = "admin@example.org"


def client_at(dep: Deployment, address: str) -> TestClient:
    return TestClient(create_app(deployment=dep), client=(address, 40000))


@pytest.fixture
def attacker(dep: Deployment) -> Iterator[TestClient]:
    with client_at(dep, "203.0.113.66") as client:
        yield client


def login(client: TestClient, password: str, email: str = ADMIN, **headers: str) -> int:
    answer = client.post(
        "/api/v1/login", json={"email": email, "password": password}, headers=headers
    )
    return answer.status_code


def test_guessing_slows_the_guessers_address_not_the_owner(
    dep: Deployment, attacker: TestClient, clock: ManualClock
) -> None:
    make_admin(dep)
    free = dep.settings.login_max_failures
    assert [login(attacker, "guess") for _ in range(free)] == [401] * free
    throttled = attacker.post("/api/v1/login", json={"email": ADMIN, "password": "guess"})
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    # Even the right password waits at the guessing address...
    assert login(attacker, PASSWORD) == 429
    # ...but the owner, elsewhere, is not locked out.
    with client_at(dep, "198.51.100.7") as owner:
        assert login(owner, PASSWORD) == 200
    # Once the wait is over one more guess is checked, and each failure doubles the wait.
    waits = [int(throttled.headers["retry-after"])]
    for _ in range(3):
        clock.advance(waits[-1])
        assert login(attacker, "guess") == 401
        answer = attacker.post("/api/v1/login", json={"email": ADMIN, "password": "guess"})
        waits.append(int(answer.headers["retry-after"]))
    assert waits == [1, 2, 4, 8]
    clock.advance(8)
    assert login(attacker, PASSWORD) == 200


def test_spraying_many_accounts_from_one_address_is_slowed(
    dep: Deployment, attacker: TestClient
) -> None:
    workers = make_team(dep, workers=2)
    tries = dep.settings.login_max_failures * 5
    answers = [login(attacker, f"guess-{i}", email=f"nobody{i}@example.org") for i in range(tries)]
    assert answers == [401] * tries
    assert login(attacker, PASSWORD, email=workers[0].email) == 429


def test_a_forged_forwarded_for_is_ignored(dep: Deployment, attacker: TestClient) -> None:
    make_admin(dep)
    codes = [
        login(attacker, "guess", **{"X-Forwarded-For": f"10.0.{i}.1"})
        for i in range(dep.settings.login_max_failures + 1)
    ]
    assert codes[-1] == 429, "a client changing X-Forwarded-For is still its socket address"


def test_a_trusted_proxy_names_the_client(settings: Settings, clock: ManualClock) -> None:
    from truthset.deployment import open_deployment

    trusting = settings.model_copy(update={"trusted_proxies": ["127.0.0.0/8", "::1"]})
    dep = open_deployment(trusting, clock=clock, migrate=False)
    try:
        make_admin(dep)
        with client_at(dep, "127.0.0.1") as proxy:
            for _ in range(dep.settings.login_max_failures):
                assert login(proxy, "guess", **{"X-Forwarded-For": "spoofed, 203.0.113.9"}) == 401
            assert login(proxy, PASSWORD, **{"X-Forwarded-For": "203.0.113.9"}) == 429
            # Another user behind the same proxy is a different address.
            assert login(proxy, PASSWORD, **{"X-Forwarded-For": "203.0.113.10"}) == 200
    finally:
        dep.db.dispose()


def test_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As docs/settings.md says: comma-separated addresses or CIDRs."""
    monkeypatch.setenv("TRUTHSET_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,2001:db8::/32")
    monkeypatch.setenv("TRUTHSET_WORKFORCE_CIDRS", "")
    monkeypatch.setenv("TRUTHSET_OIDC_ADMIN_GROUPS", "truthset-admins,ops")
    loaded = Settings()
    assert loaded.trusted_proxies == ["10.0.0.1", "192.168.0.0/16", "2001:db8::/32"]
    assert loaded.workforce_cidrs == []
    assert loaded.oidc_admin_groups == ["truthset-admins", "ops"]
    monkeypatch.setenv("TRUTHSET_TRUSTED_PROXIES", "10.0.0.1,proxy.internal")
    with pytest.raises(ValueError, match=r"trusted_proxies[\s\S]*'proxy.internal' is not an IPv4"):
        Settings()


def test_a_disabled_account_answers_as_a_wrong_password(
    dep: Deployment, client: TestClient
) -> None:
    (worker,) = make_team(dep, workers=1)
    from truthset import workforce

    workforce.set_disabled(dep, worker.email, True)
    right = client.post("/api/v1/login", json={"email": worker.email, "password": PASSWORD})
    wrong = client.post("/api/v1/login", json={"email": worker.email, "password": "nope nope"})
    unknown = client.post("/api/v1/login", json={"email": "no@example.org", "password": "x"})
    assert right.status_code == wrong.status_code == unknown.status_code == 401
    assert right.json() == wrong.json() == unknown.json()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = client.post(
        "/login", data={"email": worker.email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert form.status_code == 401 and "wrong e-mail address or password" in form.text
    assert "disabled" not in form.text


def test_wrong_current_passwords_on_the_password_form_are_limited(
    dep: Deployment, client: TestClient
) -> None:
    make_admin(dep)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": csrf})
    form = {"password": "a new password 1", "confirm": "a new password 1", "csrf_token": csrf}
    codes = [
        client.post("/account/password", data={**form, "current": "wrong"}).status_code
        for _ in range(dep.settings.login_max_failures + 1)
    ]
    assert codes == [400] * dep.settings.login_max_failures + [429]
    assert client.post("/account/password", data={**form, "current": PASSWORD}).status_code == 429
