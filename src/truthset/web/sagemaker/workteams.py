"""Work teams, as SageMaker describes them, on truthset's teams (the workforce is in
workforces.py).

A SageMaker work team is the truthset team of the same name. Its MemberDefinitions name groups
(OIDC `Groups`, or a Cognito `UserGroup`): the team follows those identity-provider groups, so
whoever signs in through the provider with one of them is a member (identity/oidc.py). A group
that is also the name of another truthset team brings that team's members along once, when the
work team is created or updated. DescribeWorkteam reports the groups the team follows (its own
name when it follows none).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from truthset import workforce
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.identity import config
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import invalid
from truthset.web.sagemaker.labeling_jobs import epoch
from truthset.web.sagemaker.pagination import page
from truthset.web.sagemaker.workforces import workforce_arn
from truthset.workforce import TeamInfo


def _groups(definitions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(field, group name) of every group the definitions name; refuses mixed definitions."""
    kinds = set()
    pools = set()
    groups: list[tuple[str, str]] = []
    for index, definition in enumerate(definitions):
        where = f"MemberDefinitions[{index}]"
        present = [
            k for k in ("CognitoMemberDefinition", "OidcMemberDefinition") if k in definition
        ]
        if len(present) != 1:
            raise invalid(
                f"{where}: give exactly one of CognitoMemberDefinition, OidcMemberDefinition"
            )
        kinds.add(present[0])
        if "CognitoMemberDefinition" in definition:
            cognito = definition["CognitoMemberDefinition"]
            pools.add((cognito["UserPool"], cognito["ClientId"]))
            groups.append((f"{where}.CognitoMemberDefinition.UserGroup", cognito["UserGroup"]))
        else:
            for position, group in enumerate(definition["OidcMemberDefinition"].get("Groups", [])):
                groups.append((f"{where}.OidcMemberDefinition.Groups[{position}]", group))
    if len(kinds) > 1:
        raise invalid("MemberDefinitions: use Cognito or OIDC member definitions, not both")
    if len(pools) > 1:
        raise invalid(
            "MemberDefinitions: every Cognito definition must name the same UserPool and ClientId"
        )
    return groups


def _source_teams(dep: Deployment, team: str, groups: list[str]) -> list[str]:
    """The other truthset teams the groups name, whose members join the work team now."""
    sources = []
    for group in groups:
        if group.lower() == team.lower():
            continue
        try:
            sources.append(workforce.get_team(dep, group)[0].name)
        except NotFound:
            continue  # a group of the identity provider only
    return sources


def _set_members(dep: Deployment, team: str, definitions: list[dict[str, Any]]) -> None:
    groups = list(dict.fromkeys(group for _field, group in _groups(definitions)))
    workforce.set_team_groups(dep, team, groups)
    sources = _source_teams(dep, team, groups)
    if sources:
        workforce.add_members_of(dep, team, sources)


def _workteam(dep: Deployment, team: TeamInfo) -> dict[str, Any]:
    settings = dep.settings
    described: dict[str, Any] = {
        "WorkteamName": team.name,
        "MemberDefinitions": [
            {
                "OidcMemberDefinition": {
                    "Groups": workforce.team_groups(dep, team.name) or [team.name]
                }
            }
        ],
        "WorkteamArn": arns.workteam_arn(settings, team.name),
        "WorkforceArn": workforce_arn(dep),
        "ProductListingIds": [],
        "Description": team.description,
        "SubDomain": urlsplit(settings.base_url).netloc,
        "CreateDate": epoch(team.created_at),
    }
    if team.updated_at is not None:
        described["LastUpdatedDate"] = epoch(team.updated_at)
    if team.notification_topic:
        # Here the "topic" turns on e-mail through SMTP; no SNS topic is called.
        described["NotificationConfiguration"] = {"NotificationTopicArn": team.notification_topic}
    return described


def _topic(params: dict[str, Any]) -> str | None:
    return params.get("NotificationConfiguration", {}).get("NotificationTopicArn") or None


def _check_workforce(dep: Deployment, params: dict[str, Any]) -> None:
    present = config.current(dep).name
    name = params.get("WorkforceName", present)
    if name != present:
        raise invalid(
            f"WorkforceName: there is no workforce named {name!r}; this deployment's is {present!r}"
        )


def create_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    _check_workforce(dep, params)
    name = params["WorkteamName"]
    _groups(params["MemberDefinitions"])  # refused before anything is created
    workforce.create_team(dep, name, params["Description"], _topic(params))
    _set_members(dep, name, params["MemberDefinitions"])
    return {"WorkteamArn": arns.workteam_arn(dep.settings, name)}


def describe_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    team, _members = workforce.get_team(dep, params["WorkteamName"])
    return {"Workteam": _workteam(dep, team)}


def list_workteams(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    contains = params.get("NameContains", "").lower()
    teams = [team for team in workforce.list_teams(dep) if contains in team.name.lower()]
    if params.get("SortBy") == "Name":
        teams.sort(key=lambda t: t.name.lower())
    else:
        teams.sort(key=lambda t: (t.created_at, t.name.lower()))
    if params.get("SortOrder") == "Descending":
        teams.reverse()
    shown, more = page(teams, params, dep.secret_key, "ListWorkteams")
    return {"Workteams": [_workteam(dep, team) for team in shown], **more}


def update_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    name = params["WorkteamName"]
    team, _members = workforce.get_team(dep, name)
    if "MemberDefinitions" in params:
        _set_members(dep, team.name, params["MemberDefinitions"])
    if "Description" in params:
        workforce.update_team(dep, team.name, params["Description"])
    if "NotificationConfiguration" in params:
        workforce.set_notifications(dep, team.name, _topic(params))
    team, _members = workforce.get_team(dep, name)
    return {"Workteam": _workteam(dep, team)}


def delete_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    workforce.delete_team(dep, params["WorkteamName"])
    return {"Success": True}
