"""Work teams and the workforce, as SageMaker describes them, on truthset's teams.

A SageMaker work team is the truthset team of the same name. Its MemberDefinitions name groups
(a Cognito `UserGroup`, or OIDC `Groups`); each group is a truthset team, and the members of the
named teams join the work team when it is created or updated. A group named like the work team
itself stands for its own members (Ground Truth's console names the team's group after it).
DescribeWorkteam reports the membership as one OIDC group named after the team. There is one
workforce, `default`: everyone on this deployment.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from truthset import workforce
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import ApiError, invalid
from truthset.web.sagemaker.labeling_jobs import epoch
from truthset.web.sagemaker.pagination import page
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


def _source_teams(dep: Deployment, team: str, definitions: list[dict[str, Any]]) -> list[str]:
    """The truthset teams whose members join the work team; each must exist."""
    sources = []
    for field, group in _groups(definitions):
        if group.lower() == team.lower():
            continue
        try:
            sources.append(workforce.get_team(dep, group)[0].name)
        except NotFound:
            raise invalid(
                f"{field}: there is no truthset team named {group!r}; each group names a "
                "team whose members join this work team"
            ) from None
    return sources


def _workteam(dep: Deployment, team: TeamInfo) -> dict[str, Any]:
    settings = dep.settings
    described: dict[str, Any] = {
        "WorkteamName": team.name,
        "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": [team.name]}}],
        "WorkteamArn": arns.workteam_arn(settings, team.name),
        "WorkforceArn": arns.workforce_arn(settings),
        "ProductListingIds": [],
        "Description": team.description,
        "SubDomain": urlsplit(settings.base_url).netloc,
        "CreateDate": epoch(team.created_at),
    }
    if team.updated_at is not None:
        described["LastUpdatedDate"] = epoch(team.updated_at)
    return described


def _check_workforce(params: dict[str, Any]) -> None:
    name = params.get("WorkforceName", arns.WORKFORCE_NAME)
    if name != arns.WORKFORCE_NAME:
        raise invalid(
            f"WorkforceName: there is no workforce named {name!r}; truthset has one, 'default'"
        )


def create_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    _check_workforce(params)
    name = params["WorkteamName"]
    sources = _source_teams(dep, name, params["MemberDefinitions"])
    workforce.create_team(dep, name, params["Description"])
    if sources:
        workforce.add_members_of(dep, name, sources)
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
        sources = _source_teams(dep, team.name, params["MemberDefinitions"])
        if sources:
            workforce.add_members_of(dep, team.name, sources)
    if "Description" in params:
        workforce.update_team(dep, team.name, params["Description"])
    team, _members = workforce.get_team(dep, name)
    return {"Workteam": _workteam(dep, team)}


def delete_workteam(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    workforce.delete_team(dep, params["WorkteamName"])
    return {"Success": True}


def _workforce(dep: Deployment) -> dict[str, Any]:
    return {
        "WorkforceName": arns.WORKFORCE_NAME,
        "WorkforceArn": arns.workforce_arn(dep.settings),
        "SubDomain": urlsplit(dep.settings.base_url).netloc,
        "SourceIpConfig": {"Cidrs": []},
        "Status": "Active",
    }


def describe_workforce(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    if params["WorkforceName"] != arns.WORKFORCE_NAME:
        raise ApiError(
            "ResourceNotFound",
            f"there is no workforce named {params['WorkforceName']!r}; truthset has one, 'default'",
        )
    return {"Workforce": _workforce(dep)}


def list_workforces(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    found = [_workforce(dep)]
    if params.get("NameContains", "").lower() not in arns.WORKFORCE_NAME:
        found = []
    shown, more = page(found, params, dep.secret_key, "ListWorkforces")
    return {"Workforces": shown, **more}
