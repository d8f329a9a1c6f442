"""Teams, invitations (e-mailed through a real SMTP server), logins, rate limits, disabling."""

from __future__ import annotations

import pytest

from tests.support.factories import PASSWORD, make_team
from tests.support.smtp import smtp_sink
from truthset import workforce
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthenticated
from truthset.mailer import SmtpMailer


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_team_names_are_unique_ignoring_case(dep: Deployment) -> None:
    workforce.create_team(dep, "Radiology", "x")
    with pytest.raises(Conflict):
        workforce.create_team(dep, "radiology")
    with pytest.raises(Invalid):
        workforce.create_team(dep, "has space")
    assert [t.name for t in workforce.list_teams(dep)] == ["Radiology"]


def test_invitation_flow(dep: Deployment, clock: ManualClock) -> None:
    workforce.create_team(dep, "radiology")
    (first,) = workforce.invite(dep, "radiology", ["Doc@Example.org"])
    assert first.email == "doc@example.org" and first.status == "invited" and first.url
    assert workforce.get_team(dep, "radiology")[1][0].status == "invited"
    (second,) = workforce.invite(dep, "radiology", ["doc@example.org"])
    assert second.url and second.url != first.url
    with pytest.raises(NotFound):  # a newer invitation replaces the older one
        workforce.accept_invitation(dep, token_of(first.url), PASSWORD)
    with pytest.raises(Invalid, match="at least 10"):
        workforce.accept_invitation(dep, token_of(second.url), "short")
    user = workforce.accept_invitation(dep, token_of(second.url), PASSWORD)
    assert user.status == "active"
    with pytest.raises(NotFound):  # single use
        workforce.accept_invitation(dep, token_of(second.url), PASSWORD)
    assert workforce.authenticate(dep, "doc@example.org", PASSWORD, "1.2.3.4").id == user.id
    (again,) = workforce.invite(dep, "radiology", ["doc@example.org"])
    assert again.url is None and again.status == "active"
    workforce.create_team(dep, "oncology")
    (late,) = workforce.invite(dep, "oncology", ["late@example.org"])
    assert late.url
    clock.advance(dep.settings.invitation_ttl + 1)
    with pytest.raises(NotFound, match="expired"):
        workforce.accept_invitation(dep, token_of(late.url), PASSWORD)


def test_invitations_are_emailed_when_smtp_is_set(dep: Deployment) -> None:
    workforce.create_team(dep, "radiology")
    with smtp_sink() as (url, inbox):
        dep.mailer = SmtpMailer(url, "truthset <noreply@example.org>")
        results = workforce.invite(dep, "radiology", ["a@example.org", "b@example.org"])
    assert all(r.emailed for r in results)
    assert [m["To"] for m in inbox.messages] == ["a@example.org", "b@example.org"]
    body = inbox.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert results[0].url in body and "radiology" in inbox.messages[0]["Subject"]


def test_login_limit_and_disabled_workers(dep: Deployment, clock: ManualClock) -> None:
    (worker,) = make_team(dep, workers=1)
    for _ in range(dep.settings.login_max_failures):
        with pytest.raises(Unauthenticated):
            workforce.authenticate(dep, worker.email, "wrong password", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        workforce.authenticate(dep, worker.email, PASSWORD, "10.0.0.1")
    # Only the guessing address waits: the worker elsewhere signs in.
    workforce.authenticate(dep, worker.email, PASSWORD, "10.0.0.2")
    clock.advance(dep.settings.login_failure_window + 1)
    token = workforce.issue_token(
        dep, workforce.authenticate(dep, worker.email, PASSWORD, "10.0.0.1").id, "api"
    )
    assert workforce.resolve_token(dep, token)[0].id == worker.id
    workforce.set_disabled(dep, worker.email, True)
    with pytest.raises(Unauthenticated):
        workforce.resolve_token(dep, token)
    with pytest.raises(Unauthenticated, match="wrong e-mail address or password"):
        workforce.authenticate(dep, worker.email, PASSWORD, "10.0.0.1")
    assert workforce.set_disabled(dep, worker.email, False).status == "active"
    workforce.authenticate(dep, worker.email, PASSWORD, "10.0.0.1")


def test_tokens_expire_and_can_be_revoked(dep: Deployment, clock: ManualClock) -> None:
    (worker,) = make_team(dep, workers=1)
    token = workforce.issue_token(dep, worker.id, "api")
    workforce.revoke_token(dep, token)
    with pytest.raises(Unauthenticated):
        workforce.resolve_token(dep, token)
    token = workforce.issue_token(dep, worker.id, "api")
    clock.advance(dep.settings.session_ttl + 1)
    with pytest.raises(Unauthenticated):
        workforce.resolve_token(dep, token)


def test_create_admin_and_workers(dep: Deployment) -> None:
    admin, generated = workforce.create_admin(dep, "boss@example.org", None)
    assert admin.is_admin and generated and len(generated) >= 10
    workforce.authenticate(dep, "boss@example.org", generated, "x")
    with pytest.raises(Conflict):
        workforce.create_admin(dep, "boss@example.org", None)
    workforce.create_team(dep, "t")
    created = workforce.create_workers(dep, ["w@example.org"], "t", None)
    assert created[0][1]
    with pytest.raises(Conflict):
        workforce.create_workers(dep, ["w@example.org"], "t", None)
    with pytest.raises(Invalid, match="not an e-mail"):
        workforce.create_workers(dep, ["nobody"], "t", None)
