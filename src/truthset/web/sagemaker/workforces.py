"""The workforce, as SageMaker describes it: CreateWorkforce, UpdateWorkforce,
DescribeWorkforce, ListWorkforces, DeleteWorkforce over identity/config.py.

There is one workforce per deployment, as there is one per AWS account and region. Until
CreateWorkforce or UpdateWorkforce stores one, the settings describe it as `default`. Sign-in is
by password and, with an OidcConfig, through that OpenID Connect provider; Cognito user pools
and VPC portals are AWS services truthset does not have. ClientSecret is never returned.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from truthset import workforce
from truthset.deployment import Deployment
from truthset.errors import Conflict, NotFound
from truthset.identity import config
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import ApiError, invalid
from truthset.web.sagemaker.labeling_jobs import epoch
from truthset.web.sagemaker.pagination import page

_FIELDS = {
    "ClientId": "client_id",
    "ClientSecret": "client_secret",
    "Issuer": "issuer",
    "AuthorizationEndpoint": "authorization_endpoint",
    "TokenEndpoint": "token_endpoint",
    "UserInfoEndpoint": "userinfo_endpoint",
    "LogoutEndpoint": "logout_endpoint",
    "JwksUri": "jwks_uri",
    "Scope": "scope",
    "AuthenticationRequestExtraParams": "extra_params",
}


def workforce_arn(dep: Deployment, name: str | None = None) -> str:
    chosen = name or config.current(dep).name
    return f"{arns.workforce_arn(dep.settings).rsplit('/', 1)[0]}/{chosen}"


def _oidc(params: dict[str, Any]) -> config.OidcConfig | None:
    given = params.get("OidcConfig")
    if given is None:
        return None
    values = {ours: given[theirs] for theirs, ours in _FIELDS.items() if theirs in given}
    values.setdefault("scope", "openid email profile")
    return config.OidcConfig(**values)


def _cidrs(params: dict[str, Any]) -> list[str] | None:
    source = params.get("SourceIpConfig")
    return None if source is None else list(source["Cidrs"])


def _unsupported(params: dict[str, Any]) -> None:
    if "CognitoConfig" in params:
        raise invalid(
            "CognitoConfig: truthset has no Cognito user pools; give an OidcConfig for your "
            "identity provider, or neither for password sign-in"
        )
    if "WorkforceVpcConfig" in params:
        raise invalid("WorkforceVpcConfig: truthset has no VPC worker portals; use SourceIpConfig")


def _described(dep: Deployment, found: config.Workforce) -> dict[str, Any]:
    described: dict[str, Any] = {
        "WorkforceName": found.name,
        "WorkforceArn": workforce_arn(dep, found.name),
        "SourceIpConfig": {"Cidrs": found.cidrs},
        "SubDomain": urlsplit(dep.settings.base_url).netloc,
        "Status": "Active",
    }
    if found.oidc is not None:
        described["OidcConfig"] = {
            theirs: getattr(found.oidc, ours)
            for theirs, ours in _FIELDS.items()
            if theirs != "ClientSecret" and getattr(found.oidc, ours)
        }
    if found.created_at is not None:
        described["CreateDate"] = epoch(found.created_at)
    if found.updated_at is not None:
        described["LastUpdatedDate"] = epoch(found.updated_at)
    return described


def create_workforce(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    _unsupported(params)
    name = params["WorkforceName"]
    try:
        config.create(dep, name, _oidc(params), _cidrs(params) or [])
    except Conflict as error:
        raise ApiError("ResourceLimitExceeded", error.message) from None
    return {"WorkforceArn": workforce_arn(dep, name)}


def _check_name(dep: Deployment, name: str) -> None:
    if name != config.current(dep).name:
        raise ApiError(
            "ResourceNotFound",
            f"there is no workforce named {name!r}; this deployment's is "
            f"{config.current(dep).name!r}",
        )


def update_workforce(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    _unsupported(params)
    name = params["WorkforceName"]
    _check_name(dep, name)
    oidc = _oidc(params)
    if oidc is not None and workforce.list_teams(dep):
        # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateWorkforce.html
        raise ApiError(
            "ConflictException",
            "OidcConfig: the identity provider can only change while the workforce has no work "
            "teams; delete them first (DeleteWorkteam), or set TRUTHSET_OIDC_* instead",
        )
    found = config.update_workforce(dep, name, oidc, _cidrs(params))
    return {"Workforce": _described(dep, found)}


def describe_workforce(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    _check_name(dep, params["WorkforceName"])
    return {"Workforce": _described(dep, config.current(dep))}


def list_workforces(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    found = config.current(dep)
    shown_all = [_described(dep, found)]
    if params.get("NameContains", "").lower() not in found.name.lower():
        shown_all = []
    shown, more = page(shown_all, params, dep.secret_key, "ListWorkforces")
    return {"Workforces": shown, **more}


def delete_workforce(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    name = params["WorkforceName"]
    _check_name(dep, name)
    teams = workforce.list_teams(dep)
    if teams:
        raise ApiError(
            "ResourceInUse",
            f"the workforce {name!r} still has {len(teams)} work team(s); delete them first "
            "(DeleteWorkteam)",
        )
    try:
        config.delete_workforce(dep, name)
    except NotFound as error:
        raise ApiError("ResourceNotFound", error.message) from None
    return {}
