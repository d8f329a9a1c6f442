"""There is always an active admin: the last one cannot be disabled or demoted (REST, console,
CLI), also not by a second admin who disables the first and then themselves; `truthset admin
enable` and `admin create` bring one back."""

from __future__ import annotations

import re
import threading

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.support.factories import PASSWORD, make_admin
from tests.web.test_security import bearer
from truthset import workforce
from truthset.cli.main import app as cli
from truthset.deployment import Deployment
from truthset.errors import Conflict


def test_the_last_admin_cannot_be_disabled_over_rest(client: TestClient, dep: Deployment) -> None:
    first = make_admin(dep, "first@example.org")
    second = make_admin(dep, "second@example.org")
    headers = bearer(dep, second.id)
    assert client.post(f"/api/v1/workers/{first.email}/disable", headers=headers).status_code == 200
    refused = client.post(f"/api/v1/workers/{second.email}/disable", headers=headers)
    assert refused.status_code == 409
    assert "last active admin" in refused.json()["error"]["message"]
    assert workforce.get_user(dep, second.email).status == "active"
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_the_console_refuses_too(client: TestClient, dep: Deployment) -> None:
    admin = make_admin(dep)
    workforce.create_team(dep, "t")
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf})
    answer = client.post(
        f"/console/teams/t/members/{admin.email}/disable", data={"csrf_token": csrf}
    )
    assert answer.status_code == 409 and "last active admin" in answer.text


def cli_run(dep: Deployment, *args: str) -> tuple[int, str]:
    options = [
        "--data-dir",
        str(dep.settings.data_dir),
        "--database-url",
        dep.settings.database_url,
    ]
    result = CliRunner().invoke(cli, [*options, *args])
    return result.exit_code, result.output


def test_cli_demote_disable_and_recovery(dep: Deployment) -> None:
    make_admin(dep, "only@example.org")
    code, output = cli_run(dep, "admin", "demote", "only@example.org")
    assert code == 1 and "last active admin" in output
    code, output = cli_run(dep, "worker", "disable", "only@example.org")
    assert code == 1 and "last active admin" in output
    make_admin(dep, "other@example.org")
    assert cli_run(dep, "worker", "disable", "only@example.org")[0] == 0
    assert cli_run(dep, "admin", "demote", "other@example.org")[0] == 1
    # The recovery the docs give: admin enable brings the disabled one back.
    code, output = cli_run(dep, "admin", "enable", "only@example.org")
    assert code == 0 and "is an active admin" in output
    assert workforce.authenticate(dep, "only@example.org", PASSWORD, "cli").is_admin
    assert cli_run(dep, "admin", "demote", "other@example.org")[0] == 0
    assert not workforce.get_user(dep, "other@example.org").is_admin


def test_two_admins_disabling_each_other_at_once_leave_one(dep: Deployment) -> None:
    """On PostgreSQL the active admins' rows are locked first; on SQLite writes are serial."""
    make_admin(dep, "a@example.org")
    make_admin(dep, "b@example.org")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def disable(email: str) -> None:
        start.wait()
        try:
            workforce.set_disabled(dep, email, True)
            outcomes.append("disabled")
        except Conflict:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=disable, args=(e,)) for e in ("a@example.org", "b@example.org")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["disabled", "refused"]
    statuses = {workforce.get_user(dep, e).status for e in ("a@example.org", "b@example.org")}
    assert statuses == {"active", "disabled"}
