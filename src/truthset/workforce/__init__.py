"""The private workforce: admins, workers, work teams and invitations.

Sign-in (passwords, login limits, sessions and tokens) lives in truthset.identity; its names
are also exported here, where the rest of truthset has always found them.
"""

from truthset.identity.accounts import UserInfo, normalize_email, token_hash
from truthset.identity.limits import forget_old_failures
from truthset.identity.login import authenticate, change_password
from truthset.identity.sessions import issue_token, resolve_token, revoke_token
from truthset.workforce.invitations import (
    InvitationResult,
    accept_invitation,
    invitation_email,
    invite,
)
from truthset.workforce.teams import (
    Member,
    TeamInfo,
    add_members_of,
    cached_team_ids,
    create_team,
    delete_team,
    get_team,
    list_teams,
    remove_member,
    set_notifications,
    set_team_groups,
    team_groups,
    team_ids_of,
    update_team,
)
from truthset.workforce.users import (
    create_admin,
    create_workers,
    email_notifications,
    enable_admin,
    get_user,
    set_admin,
    set_disabled,
    set_email_notifications,
)

__all__ = [
    "InvitationResult",
    "Member",
    "TeamInfo",
    "UserInfo",
    "accept_invitation",
    "add_members_of",
    "authenticate",
    "cached_team_ids",
    "change_password",
    "create_admin",
    "create_team",
    "create_workers",
    "delete_team",
    "email_notifications",
    "enable_admin",
    "forget_old_failures",
    "get_team",
    "get_user",
    "invitation_email",
    "invite",
    "issue_token",
    "list_teams",
    "normalize_email",
    "remove_member",
    "resolve_token",
    "revoke_token",
    "set_admin",
    "set_disabled",
    "set_email_notifications",
    "set_notifications",
    "set_team_groups",
    "team_groups",
    "team_ids_of",
    "token_hash",
    "update_team",
]
