"""Model workers as members of the workforce: created by an admin with a hook, put in a work
team like a person, never able to sign in (no password, an address under .invalid)."""

from __future__ import annotations

import json

from truthset import audit
from truthset.db.tables import User
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid
from truthset.hooks.targets import from_cli
from truthset.identity.accounts import UserInfo, find_user, insert_user, user_by_id, user_info
from truthset.names import check_name
from truthset.workforce.teams import add_member, team_id

# RFC 2606 keeps .invalid from ever being a real mail domain: no mail can reach a model.
MODEL_DOMAIN = "model.invalid"


def model_email(name: str) -> str:
    return f"{name.lower()}@{MODEL_DOMAIN}"


def create_model_worker(dep: Deployment, name: str, team: str, hook: str) -> UserInfo:
    """A model worker named `name` in `team`, answering through `hook` (a Python file path, an
    http(s) URL, a Lambda ARN or a registered hook's name, as `job create --pre-hook` takes)."""
    check_name(name, "model worker name")
    spec = from_cli(dep, hook, "--hook")
    if spec is None:
        raise Invalid("a model worker needs a hook that answers tasks")
    email = model_email(name)
    with dep.db.write() as conn:
        team_key = team_id(conn, team)
        if find_user(conn, email) is not None:
            raise Conflict(f"a model worker named {name!r} already exists")
        user_id = insert_user(conn, dep, email, status="active", model_hook=json.dumps(spec))
        add_member(conn, dep, team_key, user_id)
        audit.record(conn, dep, "worker.model_created", detail={"team": team, "hook": spec["kind"]})
        return user_info(user_by_id(conn, user_id))


def is_model_worker(row: User) -> bool:
    return row.model_hook is not None
